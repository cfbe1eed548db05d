"""Read a question with a few small recognisers: names, numbers, the intent, the answer type, content words.

Each recogniser marks the words it explains; what is left are content words, weighted later by how
rare they are in the knowledge base. Nothing here decides whether to answer: that is the scorer's job,
on the evidence collected here. The numbers recogniser is `references`; what comes out is a
`question.Question`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.answering import asked
from bot.answering.catalogue import SWAP_QUALITY, TYPO_MIN_LENGTH, Catalogue, sorted_key
from bot.answering.context import GENERAL_NAME, Context
from bot.answering.question import Name, Question, Word
from bot.answering.references import is_number, number_concept, references, spell_counts
from bot.answering.words import CARRY_OVER, NUMBER_LABELS, PRONOUNS, STOPWORDS
from knowledge.text import stem, tokens_with_case

# A typo is corrected only to a knowledge-base word at least this similar (fuzz.ratio, 0-100): 80
# allows one edit in a five-letter word ("staf" -> "staff" is 89) and two in a ten-letter one, and
# keeps ordinary English words that merely resemble one apart. Kept from the matcher this engine
# replaces, where it was chosen on the dev set.
TYPO_SCORE_CUTOFF = 80.0
# Whole-question fuzzy match against names (word order, run-together names) when no alias matched
# exactly (fuzz.token_sort_ratio): 85 keeps "command naples joint force" and drops "what is the weather
# in brussels". Chosen on the dev set for the previous matcher and kept.
FUZZY_NAME_CUTOFF = 85.0
# How sure a name found only by the whole-question fuzzy match is, per point of its score.
FUZZY_NAME_WEIGHT = 0.9
# An ordinary word used as a name in lower case ("act"), taken when nothing else names anything.
ORDINARY_NAME_SCORE = 0.6
# A follow-up's subject carried over from the previous question ("who heads it?").
CONTEXT_NAME_SCORE = 0.9
# Questions are cut to this many words: no real question is longer, and time stays bounded.
MAX_TOKENS = 60
# The focus of a question is a word at least this rare (lexicon.rarity): "how many people *work* at
# the IMS" turns on "people", not on "work".
FOCUS_RARITY = 0.3
# A follow-up without a name of its own keeps the previous subject when it has at most this many
# content words ("is it 24/7?", "when was that approved?").
FOLLOW_UP_WORDS = 4
# The entry field that places an entry in the command structure (structure.yaml's "Level"): two entries of
# one kind at one level are each other's "other one".
PEER_FIELD = "Level"
POSSESSIVES = frozenset({"its", "their", "his", "her"})
# A follow-up whose only cue is a bare "what"/"who is" keeps the previous facet when it has at most this
# many content words: "what rank?" asks the rank of the head just named. Chosen on the training
# conversations (0, 1 and 2 tried; 1 gained a turn and lost none, 2 re-read "is it 24/7?" as a size).
ATTRIBUTE_WORDS = 1


@dataclass
class _Reading:
    words: list[str]  # lower case, typo corrected, chat spellings rewritten
    raw: list[str]  # each word as typed (lower-cased when the whole question is shouted)
    quality: list[float]  # 1.0, or how sure a typo correction or an everyday-word reading is
    covered: list[bool]  # explained by a name or a number
    cue_hit: list[bool]  # an intent cue


class Analyser:
    def __init__(
        self, catalogue: Catalogue, concepts_known: frozenset[str], specificity: dict[str, float] | None = None,
        *, aspects: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.cat = catalogue
        self._specificity = specificity or {}
        self._aspects = aspects or {}
        # Entries that are posts: "who is the <post>" asks for the person holding it.
        self._posts = frozenset(e for e, entry in catalogue.kb.entries.items() if entry.kind == "position")
        self._peer = _peers(catalogue)
        self._wholes = {e: frozenset(catalogue.kb.wholes(e)) for e in catalogue.kb.entries}
        aliases_of: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for key, owner in catalogue.aliases.items():
            if len(key) > 1:
                aliases_of.setdefault(owner, []).append((key, owner))
        self._aliases_of = aliases_of
        self.lex = catalogue.lexicon
        self.concepts_known = concepts_known
        self._correct = lru_cache(maxsize=16384)(self._correct_uncached)
        self.concept = lru_cache(maxsize=16384)(self.lex.concept)
        self._stem = lru_cache(maxsize=16384)(stem)
        self._ordinary_stems = frozenset(map(stem, catalogue.ordinary))  # "headquartered", "acting" too
        # Word -> the longest intent cue it starts: most words start none and need no lookups.
        self._cue_starts: dict[str, int] = {}
        for key in catalogue.intents.cues:
            self._cue_starts[key[0]] = max(self._cue_starts.get(key[0], 0), len(key))

    def _correct_uncached(self, word: str) -> tuple[str, float]:
        if word in self.cat.known_words or word in self.lex.words or word in self.lex.phrase_words:
            return word, 1.0
        if word in self.lex.reads_as:
            return self.lex.reads_as[word]  # "soldiers" reads as "troops", with less certainty
        if len(word) < TYPO_MIN_LENGTH or not word.isalpha() or word in self.lex.english:
            return word, 1.0  # an everyday word ("earn", "dress") is not a typo of a knowledge-base word
        best = self.cat.typo_index.best(word, TYPO_SCORE_CUTOFF)
        near, score = (self.cat.vocabulary[best[0]], best[1] / 100.0) if best is not None else (word, 1.0)
        swapped = self.cat.swap_of(word)  # fuzz.ratio counts a swap as two edits: "jion" is 75
        return (swapped, SWAP_QUALITY) if swapped is not None and swapped != near else (near, score)

    def analyse(
        self, text: str, context: Context | None = None, *, pairs: list[tuple[str, str]] | None = None,
    ) -> Question:
        """Run the recognisers in turn. `pairs`: the text's tokens_with_case(), when the caller has them."""
        r = self._read((tokens_with_case(text) if pairs is None else pairs)[:MAX_TOKENS], text)
        names, ambiguous, unknown = references(r.words, r.covered, self.cat.numbered)
        names = self._names(r, names)
        intent_rank, r.cue_hit = self._cues(r.words, r.covered)
        intent = self.cat.intents.order[intent_rank] if intent_rank is not None else None
        content_idx = self._content_positions(r, names)
        names.sort(key=lambda n: n.start)
        content = tuple(self._content_word(r, i) for i in content_idx)
        listed = asked.listed(names, r.words, self._wholes)
        names, intent, follow_up = self._follow_up(r, names, content, intent, context)
        intent, content = self._otherwise(intent, names, content)
        facet = self.cat.intents.by_id[intent].facet if intent else None
        holder = asked.asks_holder(r.words, names, self._posts, self.lex.framing)
        return Question(
            text=text, words=tuple(r.words), names=tuple(names), content=content, intent=intent, facet=facet,
            wants=asked.wants(r.words, facet, self.lex.asks, holder=holder), listed=listed, follow_up=follow_up,
            ambiguous=tuple(ambiguous), unknown_number=unknown,
            cue_words=tuple([w for w, hit in zip(r.words, r.cue_hit, strict=True) if hit]),
            numbers=frozenset([w for w in r.words if w[:1].isdigit()]),
            focus=self._focus(r.words, content_idx), acronyms=self._acronyms(r, names),
            counted=tuple(dict.fromkeys(self.concept(r.words[i]) for i in asked.counted(r.words))),
            now=asked.asks_now(r.words), exact=asked.asks_exact(r.words),
        )

    def _read(self, pairs: list[tuple[str, str]], text: str) -> _Reading:
        """Words as read: typos corrected first (so "us mision" still reads as the U.S. Mission), then chat
        spellings, then counts spelled out; each word keeps how it was typed and how sure the reading is."""
        shouted = len(pairs) > 2 and all(raw.isupper() for _, raw in pairs)
        corrected = [self._correct(low) for low, _ in pairs]
        rewritten = self.lex.rewrite([w for w, _ in corrected])
        raw = [pairs[i][1].lower() if shouted else pairs[i][1] for _, i in rewritten]
        words = spell_counts([w for w, _ in rewritten], raw, text)
        return _Reading(
            words=words,
            raw=raw,
            quality=[corrected[i][1] for _, i in rewritten],
            covered=[False] * len(words), cue_hit=[False] * len(words),
        )

    def _names(self, r: _Reading, names: list[Name]) -> list[Name]:
        weak = self._aliases(r.words, r.raw, r.quality, r.covered, names)
        if not names and weak:
            names.append(weak[0])  # "where is act": an ordinary word is a name when nothing else is
            r.covered[weak[0].start] = True
        return names

    def _content_positions(self, r: _Reading, names: list[Name]) -> list[int]:
        """The positions of the content words: those no name or number explains, function words aside.
        When nothing is named, they may be a name in another word order ("command naples joint force"):
        it is added to `names`, and only the intent cues among them stay content."""
        content_idx = [i for i, w in enumerate(r.words) if not r.covered[i] and (w not in STOPWORDS or w.isdigit())]
        if names:
            return content_idx
        fuzzy = self._fuzzy_name([r.words[i] for i in content_idx if not r.cue_hit[i]])
        if fuzzy is None:
            return content_idx
        names.append(Name(fuzzy[0], content_idx[0], content_idx[-1] + 1, fuzzy[1], "fuzzy"))
        return [i for i in content_idx if r.cue_hit[i]]

    def _content_word(self, r: _Reading, i: int) -> Word:
        label = r.words[i - 1] if i > 0 and r.words[i - 1] in NUMBER_LABELS else None
        return self._word(r.words[i], r.quality[i], framing_or_cue=r.cue_hit[i], label=label)

    def _acronyms(self, r: _Reading, names: list[Name]) -> tuple[str, ...]:
        single = {n.start for n in names if n.end == n.start + 1}
        return tuple(dict.fromkeys(
            w for i, w in enumerate(r.words)
            if (r.raw[i].isupper() and len(r.raw[i]) > 1) or (len(w) <= 6 and i in single)
        ))

    def _follow_up(
        self, r: _Reading, names: list[Name], content: tuple[Word, ...], intent: str | None,
        context: Context | None,
    ) -> tuple[list[Name], str | None, bool]:
        """Keep the conversation's subject when the question is a follow-up: "who heads it?", "and JFC
        Naples?", "and the Norfolk one?", "what does USNATO do about it?"."""
        if context is None or not context.entities:
            return names, intent, False
        opened = _opener(r.words)
        if opened and not any(r.cue_hit[opened:]):
            intent = None  # the cue was the opener's own ("what about"): it asks the previous question again
        opener = opened > 0
        pronoun = any(w in PRONOUNS for w in r.words)
        carrying = [w for w in content if w.carries]
        short = pronoun or opener or len(carrying) <= FOLLOW_UP_WORDS
        carried = [Name(e, -1, -1, CONTEXT_NAME_SCORE, "context") for e in context.entities]
        peer = self._the_other(r.words, names, context.entities[0])
        if peer is not None:
            # "and the other one?" after "where is ACT?" asks where ACO is; "and the other strategic
            # command?", which describes it, asks which (or what) it is.
            asked = intent or (None if carrying else context.intent)
            return [Name(peer, -1, -1, CONTEXT_NAME_SCORE, "alias")], asked, True
        if not names:
            return self._unnamed_follow_up(content, intent, context, carried, opener=opener, short=short)
        return self._named_follow_up(names, intent, context, carried, opener=opener, refers=pronoun)

    def _named_follow_up(
        self, names: list[Name], intent: str | None, context: Context, carried: list[Name], *,
        opener: bool, refers: bool,
    ) -> tuple[list[Name], str | None, bool]:
        """A question that names something: "and JFC Naples?" asks the previous question of a new
        subject; the subject stays beside names of the setting, or everyday words that may be names ("hq"),
        only when a pronoun points back to it ("how does USNATO handle it?", "how does hq keep tabs on it?"),
        since "when was NATO founded?" asks about NATO."""
        names = [self._own_part(n, context.entities[0]) for n in names]
        if opener and intent is None:
            return names, context.intent, True  # "and JFC Naples?" asks the previous question again
        general = all(self.specificity(n.entry) < GENERAL_NAME or n.how == "ordinary" for n in names)
        if refers and general and context.entities[0] not in {n.entry for n in names}:
            # USNATO is named in everything the strategy says: after objective 3.1 the subject stays 3.1.
            return names + carried, intent, True
        return names, intent, False

    def _unnamed_follow_up(
        self, content: tuple[Word, ...], intent: str | None, context: Context, carried: list[Name], *,
        opener: bool, short: bool,
    ) -> tuple[list[Name], str | None, bool]:
        """A question that names nothing: "and the Norfolk one?" names a sibling of the subject, a
        short one ("who heads it?") keeps the subject; a long one is a new question."""
        if opener:
            sibling = self._sibling(context.entities, [w.word for w in content])
            if sibling is not None:
                return [Name(sibling, -1, -1, CONTEXT_NAME_SCORE, "alias")], intent or context.intent, True
        if short:
            carrying = sum(w.carries for w in content)
            # "what rank?" after "who heads the IMS?": a bare "what" asks an attribute of what was asked.
            generic = intent is not None and self.cat.intents.by_id[intent].generic
            keep_intent = (intent is None and (opener or not carrying)) or (generic and carrying <= ATTRIBUTE_WORDS)
            return carried, context.intent if keep_intent else intent, True
        return [], intent, False

    def _otherwise(
        self, intent: str | None, names: list[Name], content: tuple[Word, ...],
    ) -> tuple[str | None, tuple[Word, ...]]:
        """The intent's `otherwise` when the question asks it of what it names ("what does objective 3.1
        cover?") and nothing named has a statement of its facet; the words that asked for the facet
        ("cover") are then cues of that intent, not content a reply must hold. A question that carries
        more ("which division handles medical issues?") asks something else of its names, and keeps its
        intent."""
        spec = self.cat.intents.by_id[intent] if intent else None
        if spec is None or spec.otherwise is None or spec.facet is None or not names:
            return intent, content
        facet = self.concept(spec.facet)
        if any(w.carries and w.concept != facet for w in content):
            return intent, content
        if any(spec.facet in self._aspects.get(n.entry, ()) for n in names):
            return intent, content
        return spec.otherwise, tuple(replace(w, carries=False) if w.concept == facet else w for w in content)

    def whole_of(self, previous: list[str], subject: list[str]) -> str | None:
        """The previous subject when a reply was about parts of it: after "and divisions?" about the IMS,
        "where is it?" still asks about the IMS."""
        if previous and subject and all(previous[0] in self.cat.kb.parents(e) for e in subject):
            return previous[0]
        return None

    def _own_part(self, name: Name, subject: str) -> Name:
        """An ordinary word that names a part of the subject ("divisions" after the IMS: the IMS divisions)
        is as sure a name as one typed in full."""
        if name.how != "ordinary" or subject not in self.cat.kb.parents(name.entry):
            return name
        return Name(name.entry, name.start, name.end, name.score / ORDINARY_NAME_SCORE, "alias")

    def _the_other(self, words: list[str], names: list[Name], subject: str) -> str | None:
        """The subject's one peer when "the other" points at it; "which other committees" asks for more
        of a kind and points at none. Only ordinary words may be names beside it ("the other one's HQ")."""
        if any(n.start < 0 or n.end - n.start > 1 or words[n.start] not in self.cat.ordinary for n in names):
            return None
        if any(a == "the" and b == "other" for a, b in itertools.pairwise(words)):
            return self._peer.get(subject)
        return None

    def specificity(self, entry: str) -> float:
        return self._specificity.get(entry, 1.0)

    def _sibling(self, entities: list[str], words: list[str]) -> str | None:
        """The entry named by a subject's name with one word swapped: "JFC Naples" + "Norfolk"."""
        for entry in entities:
            for key, owner in self._aliases_of.get(entry, ()):
                for i in range(len(key)):
                    for w in words:
                        other = self.cat.aliases.get((*key[:i], w, *key[i + 1:]))
                        if other is not None and other != owner:
                            return other
        return None

    # -- recognisers ------------------------------------------------------------------
    def _word(self, word: str, quality: float, *, framing_or_cue: bool, label: str | None = None) -> Word:
        concept = self.concept(word)
        if label is not None and is_number(word):
            concept = number_concept(self.concept(label), word)
        framing = word in self.lex.framing and not framing_or_cue
        return Word(word, concept, quality, concept in self.concepts_known, self.lex.rarity(word),
                    carries=not (framing or framing_or_cue), framing=framing)

    def _aliases(
        self, words: list[str], raw: list[str], quality: list[float], covered: list[bool], found: list[Name],
    ) -> list[Name]:
        """Longest-first alias spans, exact then by stems; returns the ordinary-word ones apart."""
        cat = self.cat
        starts, stem_starts = cat.alias_starts, cat.alias_stem_starts
        stems = list(map(self._stem, words))
        weak: list[Name] = []
        i, n = 0, len(words)
        while i < n:
            if covered[i]:
                i += 1
                continue
            longest = max(starts.get(words[i], 0), stem_starts.get(stems[i], 0))
            for length in range(min(longest, n - i), 0, -1):
                if any(covered[i:i + length]):
                    continue
                entry, how = self._alias_at(words, stems, i, length)
                if entry is None:
                    continue
                score = min(quality[i:i + length])
                if length == 1 and stems[i] in self._ordinary_stems:
                    if i > 0 and words[i - 1] in POSSESSIVES:
                        break  # "its HQ" is the subject's own headquarters, not NATO HQ
                    # Capitals make an acronym ("IS", "ACT") a name, not a spelling of an everyday word
                    # ("HQ", read as "headquarters": every command has one).
                    if not raw[i].isupper() or words[i] != raw[i].lower():
                        if words[i] not in STOPWORDS:
                            weak.append(Name(entry, i, i + 1, ORDINARY_NAME_SCORE * score, "ordinary"))
                        break
                found.append(Name(entry, i, i + length, score, how))
                for j in range(i, i + length):
                    covered[j] = True
                i += length - 1
                break
            i += 1
        return weak

    def _alias_at(self, words: list[str], stems: list[str], i: int, length: int) -> tuple[str | None, str]:
        """The entry the words at i:i+length are an alias of, exactly or (unless a single short word) by
        their stems, and how it was found."""
        entry = self.cat.aliases.get(tuple(words[i:i + length]))
        if entry is None and (length > 1 or len(words[i]) > 4):
            return self.cat.alias_stems.get(tuple(stems[i:i + length])), "stem"
        return entry, "alias"

    def _cues(self, words: list[str], covered: list[bool]) -> tuple[int | None, list[bool]]:
        cues, starts, not_after = self.cat.intents.cues, self._cue_starts, self.cat.intents.not_after
        hit = [False] * len(words)
        best: int | None = None
        n = len(words)
        for i in range(n):
            for length in range(min(starts.get(words[i], 0), n - i), 0, -1):
                if any(covered[i:i + length]) or any(hit[i:i + length]):
                    continue
                rank = cues.get(tuple(words[i:i + length]))
                if rank is None or (length == 1 and i and words[i - 1] in not_after.get(words[i], ())):
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
        best = self.cat.sorted_names.best(sorted_key(" ".join(content)), FUZZY_NAME_CUTOFF)
        if best is None:
            return None
        index, score = best
        return self.cat.names[index][1], FUZZY_NAME_WEIGHT * score / 100.0

    def _focus(self, words: list[str], content_idx: list[int]) -> str | None:
        start = next((i for i, w in enumerate(words) if w in asked.QUESTION_WORDS), -1)
        after = [i for i in content_idx if i > start and words[i] not in self.lex.framing
                 and self.lex.rarity(words[i]) >= FOCUS_RARITY]
        return self.concept(words[after[0]]) if after else None


def _opener(words: list[str]) -> int:
    """How many words open the question with a carry-over ("and", "what about"); 0 when none does."""
    return next((len(o) for o in CARRY_OVER if tuple(words[: len(o)]) == o), 0)


def _peers(catalogue: Catalogue) -> dict[str, str]:
    """Entry -> "the other one": the only other entry of its kind at its level of the command structure
    (ACO and ACT, SACEUR and SACT, the IMS and the MC, the IS and the NAC); entries at a level with more
    than two of a kind (the Joint Force Commands) have none."""
    by_level: dict[tuple[str, str], list[str]] = {}
    for entry in catalogue.kb.entries.values():
        level = entry.fields.get(PEER_FIELD) if entry.fields else None
        if level:
            by_level.setdefault((entry.kind, level), []).append(entry.id)
    return {a: b for pair in by_level.values() if len(pair) == 2 for a, b in (pair, pair[::-1])}
