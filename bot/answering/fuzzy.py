"""FuzzyIndex: rapidfuzz's extractOne with fuzz.ratio, without scoring every choice.

Typo correction and whole-question name matching compare a word or phrase with every word or name of
the knowledge base; at ten or a hundred times today's knowledge base that scan would dominate the time
of a question. The index finds the only choices that can reach the cutoff, exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
        for band in self.postings:
            for ids in self._band_lists(band, grams, la, cutoff):
                found.update(ids)
        return sorted(found)

    def _band_lists(
        self, band: int, grams: dict[int, list[Gram]], la: int, cutoff: float,
    ) -> list[tuple[int, ...]]:
        """Posting lists whose union holds every choice of the band that can reach the cutoff: the
        cheapest set of the query's q-grams one of which must survive, or the whole band."""
        # (length, shortest LCS the cutoff allows) for the lengths in the band that can reach it.
        reachable = [(n, need) for n in self.band_lengths[band]
                     if (need := math.ceil(cutoff * (la + n) / 200 - _CUTOFF_SLACK)) <= min(la, n)]
        if not reachable:
            return []
        bucket = self.postings[band]
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
        return best if best is not None else [self.in_band[band]]

    def best(self, query: str, cutoff: float) -> tuple[int, float] | None:
        """(index, score) of the first best choice at or over the cutoff, as extractOne with fuzz.ratio finds it."""
        # Imported here: only a word the catalogue has never seen (a typo) or a name it cannot place comes this
        # far, and importing rapidfuzz is a tenth of `natobot ask`'s start.
        from rapidfuzz import fuzz, process

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
