"""The naive baseline: fuzzy-match the question against every entry's example questions.

This is what a first FAQ bot usually is: one rapidfuzz call, the entry owning the most similar
example question wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from benchmarks.baselines.common import Hit

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase


class NaiveBaseline:
    name = "naive"

    def __init__(self) -> None:
        self._questions: list[str] = []
        self._owners: list[str] = []

    def build(self, kb: KnowledgeBase) -> None:
        self._questions = [q for e in kb.entries.values() for q in e.questions]
        self._owners = [e.id for e in kb.entries.values() for _ in e.questions]

    def query(self, question: str) -> list[Hit]:
        best = process.extractOne(
            question, self._questions, scorer=fuzz.WRatio, processor=default_process, score_cutoff=None,
        )
        if best is None:  # no example questions at all
            return []
        _, score, index = best
        return [Hit(self._owners[index], float(score))]
