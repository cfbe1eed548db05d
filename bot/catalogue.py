"""The intent and entity catalogue, built once from the knowledge base.

Everything the matcher needs per question is a dictionary or set lookup here;
the only fuzzy work left for question time is for words the catalogue has
never seen (typos) and for questions no alias matches exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from bot.words import FILLER, NEUTRAL, PRONOUNS, STOPWORDS, WORD_NAMES
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry, Intent
from knowledge.text import stem, tokens

Key = tuple[str, ...]

_NUMBERED_KINDS = {"objective": "objective", "goal": "goal", "management-objective": "management"}
_WORD = re.compile(r"^[a-z]+$")
# Rounding room when turning a fuzz.ratio cutoff into the shortest common subsequence it allows,
# ceil(cutoff * (len(a) + len(b)) / 200): that length is a whole number, so this only stops float
# error from pushing an exact whole number up by one. It can let a candidate in, never keep one out.
_CUTOFF_SLACK = 1e-6


@dataclass(frozen=True)
class IndexPlan:
    """How a FuzzyIndex is laid out. The figures below were measured against samples of 250 to 35,000
    choices from bench_growth's synthetic knowledge bases, with the dev set's unknown words (typos)
    and leftover phrases (names) as queries, best of three to five runs."""

    # q-gram sizes indexed: longer grams are rarer, so they find fewer candidates, but fewer of them
    # survive the edits a cutoff allows, and when none is sure to survive they cannot narrow anything.
    grams: tuple[int, ...]
    # Choices are indexed in bands of lengths this wide: narrow bands find fewer candidates, wide
    # ones cost fewer lookups per query.
    band: int
    # Below this many choices no index is built and best() scans all of them: rapidfuzz's C++ loop
    # (under 0.1 µs a choice) is then quicker than the index's lookups in Python.
    min_choices: int


# Typo correction (cutoff 80, words of 4 to 15 letters): characters and pairs (in a word of under 15
# letters no triple is sure to survive the edits 80 allows), one band per length; the index overtook
# the scan between 750 and 1,000 words, and at 17,000 it takes 0.2 ms a word where the scan takes 1.5 ms.
TYPO_PLAN = IndexPlan(grams=(1, 2), band=1, min_choices=1000)
# Whole-question name matching (cutoff 85, phrases of 10 to 60 characters): triples survive in
# phrases that long and cut the candidates by half or more; bands of 8 lengths take a quarter (at
# 35,000 names) to two thirds (at 1,000) off the time of one band per length, for somewhat more
# candidates. The index overtook the scan between 1,000 and 4,000 names; at 35,000 it takes 0.8 ms a
# question where the scan takes 2.4 ms.
NAME_PLAN = IndexPlan(grams=(1, 2, 3), band=8, min_choices=2500)

Gram = tuple[str, int]  # a q-gram and which occurrence of it in the string (1 = first)


class FuzzyIndex:
    """The choices a query can reach a fuzz.ratio cutoff with, found without scoring every choice.

    fuzz.ratio is 200 * LCS / (len(a) + len(b)). For a choice of length n to reach the cutoff, the
    longest common subsequence must be at least some T(n), so the query loses at most `len(query) - T`
    characters and the choice adds at most `n - T`. A lost character breaks at most q of the query's
    q-grams, an added one at most q - 1, so at least `S = (len(query) - q + 1) - q(len(query) - T) -
    (q - 1)(n - T)` of them survive in the choice, and it holds at least one of any
    `(len(query) - q + 1) - S + 1` of them. Those, the rarest, are looked up in an inverted index per
    band of lengths, and only the choices found there are scored.

    Exact: every choice at or over the cutoff is among the candidates, in its original order, so
    rapidfuzz's extractOne over them returns what it returns over all choices (ties included).
    """

    def __init__(self, choices: Sequence[str], plan: IndexPlan = TYPO_PLAN) -> None:
        self.choices = tuple(choices)
        self.plan = plan
        # Band -> (q-gram, occurrence) -> indices of the choices in that band holding it.
        self.postings: dict[int, dict[Gram, tuple[int, ...]]] = {}
        self.in_band: dict[int, tuple[int, ...]] = {}
        self.band_lengths: dict[int, tuple[int, ...]] = {}
        self.indexed = len(self.choices) >= plan.min_choices
        if self.indexed:
            self._build()

    def _build(self) -> None:
        postings: dict[int, dict[Gram, list[int]]] = {}
        in_band: dict[int, list[int]] = {}
        lengths: dict[int, set[int]] = {}
        for i, choice in enumerate(self.choices):
            band = len(choice) // self.plan.band
            in_band.setdefault(band, []).append(i)
            lengths.setdefault(band, set()).add(len(choice))
            bucket = postings.setdefault(band, {})
            for q in self.plan.grams:
                for gram in _grams(choice, q):
                    bucket.setdefault(gram, []).append(i)
        self.postings = {b: {g: tuple(ids) for g, ids in grams.items()} for b, grams in postings.items()}
        self.in_band = {b: tuple(ids) for b, ids in in_band.items()}
        self.band_lengths = {b: tuple(sorted(ns)) for b, ns in lengths.items()}

    def candidates(self, query: str, cutoff: float) -> list[int]:
        """Indices, ascending, of a superset of the choices with fuzz.ratio(query, choice) >= cutoff."""
        la = len(query)
        if la == 0 or not self.indexed:
            return list(range(len(self.choices)))
        grams = {q: list(_grams(query, q)) for q in self.plan.grams}
        found: set[int] = set()
        for band, bucket in self.postings.items():
            # (length, shortest LCS the cutoff allows) for the lengths in the band that can reach it.
            reachable = [(n, need) for n in self.band_lengths[band]
                         if (need := math.ceil(cutoff * (la + n) / 200 - _CUTOFF_SLACK)) <= min(la, n)]
            if not reachable:
                continue
            best: list[tuple[int, ...]] | None = None
            best_cost = len(self.in_band[band])
            for q, own in grams.items():
                survive = min(len(own) - q * (la - need) - (q - 1) * (n - need) for n, need in reachable)
                if survive <= 0:
                    continue
                lists = sorted((bucket.get(g, ()) for g in own), key=len)[: len(own) - survive + 1]
                cost = sum(len(ids) for ids in lists)
                if cost < best_cost:
                    best, best_cost = lists, cost
            for ids in best if best is not None else [self.in_band[band]]:
                found.update(ids)
        return sorted(found)

    def best(self, query: str, cutoff: float) -> tuple[int, float] | None:
        """(index, score) of the first best choice at or over the cutoff, as extractOne with fuzz.ratio finds it."""
        if not self.indexed:
            hit = process.extractOne(query, self.choices, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff)
            return None if hit is None else (hit[2], float(hit[1]))
        ids = self.candidates(query, cutoff)
        hit = process.extractOne(
            query, [self.choices[i] for i in ids], scorer=fuzz.ratio, processor=None, score_cutoff=cutoff,
        )
        if hit is None:
            return None
        return ids[hit[2]], float(hit[1])


def _grams(text: str, q: int) -> Iterator[Gram]:
    """("a", 1), ("b", 1), ("a", 2) for "aba" and q=1: each q-gram with how often it has occurred so far."""
    seen: dict[str, int] = {}
    for i in range(len(text) - q + 1):
        gram = text[i:i + q]
        seen[gram] = seen.get(gram, 0) + 1
        yield gram, seen[gram]


@dataclass(frozen=True)
class Intents:
    by_id: dict[str, Intent]
    # Cue phrase -> index into `order`; a lower index means a more specific intent.
    cues: dict[Key, int]
    order: list[str]
    max_cue_len: int


@dataclass
class Catalogue:
    kb: KnowledgeBase
    intents: Intents
    # Normalised alias -> entry id.
    aliases: dict[Key, str]
    # The longest alias (and stemmed alias) starting with each word: most words start none, so the
    # matcher tries no span from them at all.
    alias_starts: dict[str, int]
    # Single-word aliases that are also ordinary words ("is", "act"): only taken as
    # names when typed in capitals, or when nothing else in the question names anything.
    word_aliases: frozenset[str]
    # ("objective", "2.1"), ("goal", "3"), ("management", "1") -> entry id.
    numbered: dict[tuple[str, str], str]
    # Words of the catalogue's own names and cues: what a typo is corrected towards.
    vocabulary: list[str]
    # Every word anywhere in the knowledge base or in the word lists: never a typo.
    known_words: frozenset[str]
    # The words each entry's texts use: a question word outside them is unexplained.
    entry_words: dict[str, frozenset[str]]
    # (display name, entry id) pairs for suggestions.
    names: list[tuple[str, str]] = field(default_factory=list)
    # Stemmed alias -> entry id, for "joint force commands"; only where the stem is unambiguous.
    alias_stems: dict[Key, str] = field(default_factory=dict)
    alias_stem_starts: dict[str, int] = field(default_factory=dict)
    # Stems of each entry's words, and which entries use a stem.
    entry_stems: dict[str, frozenset[str]] = field(default_factory=dict)
    stem_index: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Stems of each entry's own names, and how many entries each is connected to.
    name_stems: dict[str, frozenset[str]] = field(default_factory=dict)
    # Entries related to each entry, in either direction.
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)
    # The vocabulary, indexed for typo correction.
    typo_index: FuzzyIndex = field(default_factory=lambda: FuzzyIndex((), TYPO_PLAN))
    # `names` as token_sort_ratio sees them (processed, words sorted), in the same order, indexed.
    sorted_names: FuzzyIndex = field(default_factory=lambda: FuzzyIndex((), NAME_PLAN))

    def degree(self, entry_id: str) -> int:
        return len(self.neighbours.get(entry_id, ()))

    def entry(self, entry_id: str) -> Entry:
        return self.kb.entries[entry_id]


def name_key(item: str | tuple[str, str]) -> str:
    """rapidfuzz processor for (name, entry id) choices; the query comes through as a plain string."""
    return default_process(item[0] if isinstance(item, tuple) else item)


def sorted_key(text: str) -> str:
    """What fuzz.token_sort_ratio compares after name_key: processed words in sorted order."""
    return " ".join(sorted(default_process(text).split()))


def _starts(keys: dict[Key, str]) -> dict[str, int]:
    longest: dict[str, int] = {}
    for key in keys:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


def _entry_text(entry: Entry) -> str:
    parts = [entry.title, *entry.aliases, entry.short, entry.answer, *entry.fields.values()]
    parts += [ft.text for ft in entry.facets.values()]
    return " ".join(parts)


def build_intents(intents: list[Intent]) -> Intents:
    cues: dict[Key, int] = {}
    for rank, intent in enumerate(intents):
        for cue in intent.cues:
            key = tuple(tokens(cue))
            if key:
                cues.setdefault(key, rank)
    return Intents(
        by_id={i.id: i for i in intents},
        cues=cues,
        order=[i.id for i in intents],
        max_cue_len=max((len(k) for k in cues), default=1),
    )


def build(kb: KnowledgeBase) -> Catalogue:
    intents = build_intents(kb.intents)
    aliases: dict[Key, str] = {}
    names: list[tuple[str, str]] = []
    entry_words: dict[str, frozenset[str]] = {}
    numbered: dict[tuple[str, str], str] = {}
    name_words: set[str] = set()
    all_words: set[str] = set()
    for entry in kb.entries.values():
        for name in [entry.title, *entry.aliases]:
            key = tuple(tokens(name))
            if key:
                aliases.setdefault(key, entry.id)
                name_words.update(key)
                names.append((name, entry.id))
        words = frozenset(tokens(_entry_text(entry)))
        entry_words[entry.id] = words
        all_words |= words
        if entry.number and entry.kind in _NUMBERED_KINDS:
            numbered[(_NUMBERED_KINDS[entry.kind], entry.number)] = entry.id
    cue_words = {w for key in intents.cues for w in key}
    entry_stems = {eid: frozenset(stem(w) for w in words) for eid, words in entry_words.items()}
    users: dict[str, list[str]] = {}
    for eid, stems in entry_stems.items():
        for st in stems:
            users.setdefault(st, []).append(eid)
    stem_counts: dict[Key, set[str]] = {}
    for key, eid in aliases.items():
        stem_counts.setdefault(tuple(stem(w) for w in key), set()).add(eid)
    alias_stems = {k: next(iter(v)) for k, v in stem_counts.items() if len(v) == 1}
    word_aliases = frozenset(
        key[0] for key in aliases if len(key) == 1 and (key[0] in STOPWORDS or key[0] in FILLER or key[0] in WORD_NAMES)
    )
    padding = STOPWORDS | FILLER | NEUTRAL | PRONOUNS
    # A typo is never "corrected" into filler: that would hide a word that matters.
    vocabulary = sorted(
        w for w in (name_words - padding) | cue_words if len(w) >= 4 and _WORD.match(w)
    )
    name_stems: dict[str, set[str]] = {}
    for key, eid in aliases.items():
        name_stems.setdefault(eid, set()).update(stem(w) for w in key)
    return Catalogue(
        kb=kb,
        intents=intents,
        aliases=aliases,
        alias_starts=_starts(aliases),
        word_aliases=word_aliases,
        numbered=numbered,
        vocabulary=vocabulary,
        known_words=frozenset(all_words | cue_words | STOPWORDS | FILLER),
        entry_words=entry_words,
        names=names,
        alias_stems=alias_stems,
        alias_stem_starts=_starts(alias_stems),
        entry_stems=entry_stems,
        stem_index={st: tuple(ids) for st, ids in users.items()},
        name_stems={eid: frozenset(v) for eid, v in name_stems.items()},
        neighbours=_neighbours(kb),
        typo_index=FuzzyIndex(vocabulary, TYPO_PLAN),
        sorted_names=FuzzyIndex([sorted_key(name) for name, _ in names], NAME_PLAN),
    )


def _neighbours(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {eid: set() for eid in kb.entries}
    for entry in kb.entries.values():
        for targets in entry.relations.values():
            for target in targets:
                if target in near and target != entry.id:
                    near[entry.id].add(target)
                    near[target].add(entry.id)
    return {eid: frozenset(v) for eid, v in near.items()}
