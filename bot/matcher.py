"""Match a question to entries, a facet and a confidence.

The pipeline per question: tokenise, correct typos towards the catalogue's own
vocabulary, find objective and goal numbers, find entity names (longest alias
first), find intent cues in the words left over, then score. Words that neither
name an entity, nor cue an intent, nor are filler are "unexplained": they are
what distinguishes "who heads the IMS?" from "what is the IMS's budget?", and
they cost confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.catalogue import Catalogue, sorted_key
from bot.words import CARRY_OVER, FILLER, NEUTRAL, PRONOUNS, STOPWORDS, UMBRELLA
from knowledge.models import Facet
from knowledge.text import stem, tokens_with_case

# A typo is corrected only to a catalogue word at least this similar (fuzz.ratio, 0-100).
# 80 accepts one edit in a 5-letter word ("staf" -> "staff" is 89) and two in a 10-letter
# one, and rejects ordinary English words that merely resemble a name; chosen on the dev set.
TYPO_SCORE_CUTOFF = 80.0
# Words shorter than this are never corrected: too many short words are one edit apart.
TYPO_MIN_LENGTH = 4
# Whole-question fuzzy match against names, for word order and run-together names when no
# alias matched exactly (fuzz.token_sort_ratio, 0-100). Set on the dev set: 85 keeps
# "command naples joint force" and drops "what is the weather in brussels".
FUZZY_NAME_CUTOFF = 85.0
# Confidence of an entity found only through the whole-question fuzzy match, per point.
FUZZY_NAME_WEIGHT = 0.9
# An ordinary word used as a name in lower case ("act") when nothing else names anything.
WORD_ALIAS_SCORE = 0.8
# A question with words left over but no intent cue is only probably a "what is X?".
NO_CUE_FACTOR = 0.9
# Each leftover word costs confidence, by how well the knowledge base knows it: used by the
# matched entry itself (a paraphrase), used only by other entries (perhaps a different question
# about the same name), or used nowhere (almost surely something the sources do not cover:
# "budget", "Sweden", "salary"). Set on the dev set so that one word from elsewhere still
# answers but an unknown word, or two from elsewhere, fall back.
EXPLAINED_FACTOR = 0.93
ELSEWHERE_FACTOR = 0.55
UNKNOWN_FACTOR = 0.45
# An entry found by its words rather than its name ("principles of policy alignment" leads to the
# principles entry) is answered with at most this confidence.
RESCUE_CONFIDENCE = 0.8
# Intents for which leftover words may name a better topic; for the others (who heads, where)
# leftover words usually describe the answer ("which strategic command is JFC Norfolk under").
_RESCUE_INTENTS = frozenset({None, "what_is"})
# Questions are cut to this many tokens: no real question is longer and matching stays bounded.
MAX_TOKENS = 60
# At most this many entities are answered in one reply.
MAX_ENTITIES = 4

_DECIMAL = re.compile(r"^\d\.\d{1,2}$")
_WORD_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "first": "1", "second": "2",
                 "third": "3", "fourth": "4"}
_OBJECTIVE_WORDS = frozenset({"objective", "objectives", "obj", "objs", "mo"})
_MANAGEMENT_WORDS = frozenset({"management", "mgmt", "mgt", "managment"})
_CONJUNCTIONS = frozenset({"and", "or", "vs", "versus", "both", "plus"})
_COMPARE = frozenset({"different", "difference", "differences", "differ", "compare", "comparing", "comparison",
                      "versus", "vs", "distinguish", "between"})
_HOLDER_WORDS = frozenset({"current", "currently", "now", "today", "incumbent", "present", "name", "named", "person"})
_REFERENCE_WORDS = _OBJECTIVE_WORDS | _MANAGEMENT_WORDS | {"goal", "goals", "mission", "number", "no"}
_KIND_LABEL = {"objective": "Mission Objective", "management": "Management Objective", "goal": "Mission Goal"}


def _is_padding(word: str) -> bool:
    return word in STOPWORDS or word in FILLER or word in PRONOUNS or word in NEUTRAL


@dataclass
class Context:
    """What the conversation was last about, for follow-ups like "who heads it?"."""

    entities: list[str] = field(default_factory=list)
    intent: str | None = None
    facet: Facet | None = None


@dataclass(frozen=True)
class Match:
    entries: tuple[str, ...]  # entries to answer, in question order; empty when none
    intent: str | None
    facet: Facet | None
    confidence: float
    entities: tuple[str, ...] = ()  # every entity recognised in the question
    unexplained: tuple[str, ...] = ()
    via_context: bool = False
    # Candidates when a reference was ambiguous ("objective 2" could be several).
    ambiguous: tuple[str, ...] = ()
    # A numbered reference that does not exist ("objective 5.1").
    unknown_number: str | None = None
    rescued: bool = False


@dataclass
class _Span:
    start: int
    end: int
    entry: str
    score: float


class Matcher:
    def __init__(self, catalogue: Catalogue) -> None:
        self.cat = catalogue
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)
        self._stem = lru_cache(maxsize=16384)(stem)

    # -- typo correction -------------------------------------------------------------
    def _correct_uncached(self, word: str) -> tuple[str, float]:
        if len(word) < TYPO_MIN_LENGTH or not word.isalpha() or word in self.cat.known_words:
            return word, 1.0
        # The index scores only the words that can reach the cutoff, not the whole vocabulary.
        best = self.cat.typo_index.best(word, TYPO_SCORE_CUTOFF)
        if best is None:
            return word, 1.0
        return self.cat.vocabulary[best[0]], best[1] / 100.0

    # -- the pipeline ----------------------------------------------------------------
    def match(
        self, question: str, context: Context | None = None, *, pairs: list[tuple[str, str]] | None = None,
    ) -> Match:
        """`pairs`: the question's tokens_with_case(), when the caller has them already."""
        pairs = (tokens_with_case(question) if pairs is None else pairs)[:MAX_TOKENS]
        # In a question typed all in capitals, capitals say nothing about which words are names.
        shouted = sum(r.isupper() for _, r in pairs) == len(pairs) > 2
        raw = [r.lower() if shouted else r for _, r in pairs]
        corrected = [self._correct(w) for w, _ in pairs]
        words = [w for w, _ in corrected]
        quality = [q for _, q in corrected]
        covered = [False] * len(words)

        spans, ambiguous, unknown = self._numbers(words, covered)
        weak = self._aliases(words, raw, quality, covered, spans)
        intent_rank, cue_covered = self._cues(words, covered)
        intent = self.cat.intents.order[intent_rank] if intent_rank is not None else None
        explained = [c or k for c, k in zip(covered, cue_covered, strict=True)]

        if unknown or (ambiguous and not spans):
            return Match((), intent, self._facet(intent), 0.0, ambiguous=tuple(ambiguous), unknown_number=unknown)
        weak = [sp for sp in weak if words[sp.start] not in STOPWORDS]  # "is" in lower case is a verb
        if not spans and weak and not (context and context.entities and any(w in PRONOUNS for w in words)):
            spans = [weak[0]]  # "where is act"
            explained[weak[0].start] = True
        leftover = [i for i, w in enumerate(words) if not explained[i] and not _is_padding(w)]
        if not spans and leftover:
            fuzzy = self._fuzzy_name([words[i] for i in leftover])
            if fuzzy is not None:
                spans = [_Span(leftover[0], leftover[-1] + 1, fuzzy[0], fuzzy[1])]
                leftover = []

        via_context = False
        rescued = False
        if spans:
            chosen = self._choose(spans, words)
            entity_score = min(s.score for s in spans if s.entry in chosen)
            if intent is None and context and context.intent and self._carries_over(words):
                intent = context.intent
        elif context and context.entities and (intent or any(w in PRONOUNS for w in words)):
            # "who heads it?" carries the subject over; "and the other one?" keeps the intent too.
            via_context = True
            chosen = list(context.entities)
            entity_score = 1.0
            if intent is None:
                intent = context.intent
        else:
            chosen, entity_score = [], 0.0

        stems = [self._stem(words[i]) for i in leftover]
        if len(chosen) == 1 and stems and intent in _RESCUE_INTENTS:
            better = self._rescue(stems, chosen[0])
            if better is not None:
                chosen, rescued = [better], True
                entity_score = min(entity_score or RESCUE_CONFIDENCE, RESCUE_CONFIDENCE)
        if not chosen:
            return Match((), intent, self._facet(intent), 0.0, unexplained=self._words(words, leftover))

        confidence = entity_score
        if intent is None and leftover and not rescued:
            confidence *= NO_CUE_FACTOR
        known = self.cat.stem_index
        for st in stems:
            if st.isdigit() and len(st) != 4:
                # A number the question adds ("article 4") is a different question, even when
                # the entry happens to contain that digit somewhere.
                confidence *= ELSEWHERE_FACTOR
            elif any(st in self.cat.entry_stems[e] for e in chosen):
                confidence *= EXPLAINED_FACTOR
            elif st in known:
                confidence *= ELSEWHERE_FACTOR
            else:
                confidence *= UNKNOWN_FACTOR
        if intent == "who_is" and any(w in _HOLDER_WORDS for w in words):
            intent = "who_heads"  # "who is the current SACEUR?" asks for a person, not the post
        return Match(
            entries=tuple(chosen[:MAX_ENTITIES]),
            intent=intent or "what_is",
            facet=self._facet(intent),
            confidence=round(confidence, 4),
            entities=tuple(dict.fromkeys([*(s.entry for s in spans), *chosen])),
            unexplained=self._words(words, leftover),
            via_context=via_context,
            rescued=rescued,
        )

    # -- steps -----------------------------------------------------------------------
    def _numbers(self, words: list[str], covered: list[bool]) -> tuple[list[_Span], list[str], str | None]:
        """Objective and goal references: "objective 2.1", "goal 3", "mgmt obj 2", "goals 1 and 4"."""
        spans: list[_Span] = []
        ambiguous: list[str] = []
        unknown: str | None = None
        numbered = self.cat.numbered
        last_kind: str | None = None
        for i, w in enumerate(words):
            num = _WORD_NUMBERS.get(w, w)
            if not (num.isdigit() or _DECIMAL.match(num)):
                continue
            before = words[max(0, i - 3):i]
            start = i
            while start > 0 and words[start - 1] in _REFERENCE_WORDS:
                start -= 1
            prev = before[-1] if before else ""
            kind: str | None
            if "." in num:
                kind = "objective"
            elif any(b in _MANAGEMENT_WORDS for b in before) or prev == "mo":
                kind = "management"
            elif prev in ("goal", "goals"):
                kind = "goal"
            elif prev in _OBJECTIVE_WORDS:
                ambiguous += [v for (k, n), v in numbered.items()
                              if (k == "objective" and n.startswith(num + ".")) or (k, n) == ("management", num)]
                continue
            elif prev in _CONJUNCTIONS and last_kind:
                kind = last_kind  # "goals 1 and 4"
            else:
                continue
            entry = numbered.get((kind, num))
            if entry is None:
                if "." in num and start == i:
                    continue  # a bare "5.1" may be anything, not necessarily an objective
                unknown = f"{_KIND_LABEL[kind]} {num}"
                continue
            last_kind = kind
            spans.append(_Span(start, i + 1, entry, 1.0))
            for j in range(start, i + 1):
                covered[j] = True
        return spans, ambiguous, unknown

    def _aliases(
        self, words: list[str], raw: list[str], quality: list[float], covered: list[bool], spans: list[_Span]
    ) -> list[_Span]:
        """Longest-first exact alias spans; returns the weak (lower-case ordinary word) ones apart."""
        aliases = self.cat.aliases
        stems = [self._stem(w) for w in words]  # once per word, not once per span tried
        weak: list[_Span] = []
        i, n = 0, len(words)
        while i < n:
            if covered[i]:
                i += 1
                continue
            # Trying every span length from every word was a third of the time of a match.
            longest = max(self.cat.alias_starts.get(words[i], 0), self.cat.alias_stem_starts.get(stems[i], 0))
            for length in range(min(longest, n - i), 0, -1):
                if any(covered[i:i + length]):
                    continue
                key = tuple(words[i:i + length])
                entry = aliases.get(key)
                if entry is None and (length > 1 or len(key[0]) > 4):
                    entry = self.cat.alias_stems.get(tuple(stems[i:i + length]))
                if entry is None:
                    continue
                score = min(quality[i:i + length])
                if length == 1 and words[i] in self.cat.word_aliases and not raw[i].isupper():
                    weak.append(_Span(i, i + 1, entry, WORD_ALIAS_SCORE * score))
                    break
                spans.append(_Span(i, i + length, entry, score))
                for j in range(i, i + length):
                    covered[j] = True
                i += length - 1
                break
            i += 1
        spans.sort(key=lambda s: s.start)
        return weak

    def _cues(self, words: list[str], covered: list[bool]) -> tuple[int | None, list[bool]]:
        cues = self.cat.intents.cues
        hit = [False] * len(words)
        best: int | None = None
        n = len(words)
        for i in range(n):
            for length in range(min(self.cat.intents.max_cue_len, n - i), 0, -1):
                if any(covered[i:i + length]) or any(hit[i:i + length]):
                    continue
                rank = cues.get(tuple(words[i:i + length]))
                if rank is None:
                    continue
                for j in range(i, i + length):
                    hit[j] = True
                if best is None or rank < best:
                    best = rank
                break
        return best, hit

    def _fuzzy_name(self, content: list[str]) -> tuple[str, float] | None:
        if not content:
            return None
        # fuzz.token_sort_ratio against the names is fuzz.ratio against their sorted forms, which the
        # catalogue has indexed: only the names that can reach the cutoff are scored.
        best = self.cat.sorted_names.best(sorted_key(" ".join(content)), FUZZY_NAME_CUTOFF)
        if best is None:
            return None
        index, score = best
        return self.cat.names[index][1], FUZZY_NAME_WEIGHT * score / 100.0

    def _choose(self, spans: list[_Span], words: list[str]) -> list[str]:
        ids = list(dict.fromkeys(s.entry for s in spans))
        if len(ids) == 1:
            return ids
        first, second = (next(s for s in spans if s.entry == e) for e in ids[:2])
        between = words[first.end:second.start]
        listed = not between and not UMBRELLA & {first.entry, second.entry}
        if listed or any(w in _COMPARE for w in words) or (
            all(w in _CONJUNCTIONS or w in STOPWORDS for w in between) and any(w in _CONJUNCTIONS for w in between)
        ):
            return ids  # "JFC Naples and JFC Brunssum", "AIRCOM, LANDCOM and MARCOM": answer each
        # A name that only sets the scene for another ("the P&P division of the IMS", "NATO HQ's
        # role in policy harmonisation") is dropped: ancestors first, then the better connected.
        ancestors = {a for e in ids for a in self._ancestors(e)} | UMBRELLA
        kept = [e for e in ids if e not in ancestors] or ids
        return [min(kept, key=lambda e: (self.cat.degree(e), kept.index(e)))]

    def _rescue(self, stems: list[str], anchor: str) -> str | None:
        """A neighbour of the named entry that the leftover words name more precisely.

        "principles of NATO defence policy alignment" names the overview but asks for the
        principles entry next to it: a leftover word is in that neighbour's names, and the
        neighbour's text uses every leftover word the anchor's names do not.
        """
        cat = self.cat
        own = cat.name_stems.get(anchor, frozenset())
        missing = list(dict.fromkeys(st for st in stems if st not in own and st in cat.stem_index))
        if not missing:
            return None
        best: tuple[int, int, str] | None = None
        for e in cat.neighbours.get(anchor, frozenset()):
            names = cat.name_stems.get(e, frozenset())
            named = sum(st in names for st in missing)
            if named == 0 or not all(st in cat.entry_stems[e] for st in missing):
                continue
            key = (-named, len(cat.entry_stems[e]), e)
            if best is None or key < best:
                best = key
        return best[2] if best else None

    def _ancestors(self, entry_id: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.cat.entry(entry_id).relations.get("part_of", []))
        while todo:
            e = todo.pop()
            if e not in seen and e in self.cat.kb.entries:
                seen.add(e)
                todo.extend(self.cat.entry(e).relations.get("part_of", []))
        return seen

    def _facet(self, intent: str | None) -> Facet | None:
        return self.cat.intents.by_id[intent].facet if intent else None

    @staticmethod
    def _carries_over(words: list[str]) -> bool:
        return any(tuple(words[: len(opener)]) == opener for opener in CARRY_OVER)

    @staticmethod
    def _words(words: list[str], idx: list[int]) -> tuple[str, ...]:
        return tuple(words[i] for i in idx)
