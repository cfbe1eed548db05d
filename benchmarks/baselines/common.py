"""What every baseline shares: its interface, refusal threshold, entry-level judging and scores.

A baseline ranks knowledge entries for a question; it has no notion of facets, so it answers with
the whole top entry, or refuses when the top score is below its threshold. The metrics mirror
`bot.evaluation.evaluate.Result.summary` so that baseline and natobot rows read the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from knowledge.loader import KnowledgeBase

# The same verdicts as bot.evaluation.evaluate.judge, so the counts line up with `natobot eval`.
Verdict = Literal["right", "wrong", "fallback-ok", "missed", "false-answer"]

# A refusal threshold above every score: the "always fall back" end of the sweep.
REFUSE_ALL = math.inf


@dataclass(frozen=True)
class Hit:
    entry: str
    score: float


class Baseline(Protocol):
    """Build an index over the knowledge base once, then rank entries for each question."""

    name: str

    def build(self, kb: KnowledgeBase) -> None: ...

    def query(self, question: str) -> list[Hit]:
        """Entries best first (possibly only the top one, possibly none); higher score = surer."""
        ...


class Labelled(Protocol):
    """The fields of a dev-set item (bot.evaluation.evaluate.Item) that entry-level judging needs."""

    @property
    def answered(self) -> bool: ...
    @property
    def entry(self) -> str | None: ...
    @property
    def entities(self) -> Sequence[str]: ...
    @property
    def alt(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Prediction:
    """A baseline's top entry and its score, before the refusal threshold is applied."""

    entry: str | None
    score: float

    def answer(self, threshold: float) -> str | None:
        """The entry answered at this threshold, or None for a fallback."""
        return self.entry if self.entry is not None and self.score >= threshold else None


def top(hits: Sequence[Hit]) -> Prediction:
    return Prediction(hits[0].entry, hits[0].score) if hits else Prediction(None, -math.inf)


def lenient_verdict(item: Labelled, answered_entry: str | None) -> Verdict:
    """Entry-level judging: right when the one entry answered is any acceptable one.

    More lenient than bot.evaluation.evaluate.judge, which also wants every entity of a multi-entity question
    and the expected facts in the answer text; a baseline cannot compose facets, so it is only
    asked to find the right entry.
    """
    if not item.answered:
        return "fallback-ok" if answered_entry is None else "false-answer"
    if answered_entry is None:
        return "missed"
    acceptable = {*item.entities, *([item.entry] if item.entry else []), *item.alt}
    return "right" if answered_entry in acceptable else "wrong"


@dataclass(frozen=True)
class Metrics:
    questions: int
    in_scope: int
    right: int
    fallback_ok: int
    confidently_wrong_count: int

    @property
    def out_of_scope(self) -> int:
        return self.questions - self.in_scope

    @property
    def in_scope_accuracy(self) -> float:
        return self.right / self.in_scope if self.in_scope else 0.0

    @property
    def correct_fallback(self) -> float:
        return self.fallback_ok / self.out_of_scope if self.out_of_scope else 0.0

    @property
    def confidently_wrong(self) -> float:
        return self.confidently_wrong_count / self.questions if self.questions else 0.0

    @property
    def overall_accuracy(self) -> float:
        return (self.right + self.fallback_ok) / self.questions if self.questions else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "questions": self.questions,
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "in_scope_accuracy": self.in_scope_accuracy,
            "correct_fallback": self.correct_fallback,
            "confidently_wrong": self.confidently_wrong,
            "overall_accuracy": self.overall_accuracy,
        }


def summarise(items: Sequence[Labelled], verdicts: Sequence[str]) -> Metrics:
    """Scores as bot.evaluation.evaluate.Result.summary computes them, from one verdict per item."""
    if len(items) != len(verdicts):
        raise ValueError(f"{len(items)} items but {len(verdicts)} verdicts")
    return Metrics(
        questions=len(items),
        in_scope=sum(i.answered for i in items),
        right=sum(v == "right" for v in verdicts),
        fallback_ok=sum(v == "fallback-ok" for v in verdicts),
        confidently_wrong_count=sum(v in ("wrong", "false-answer") for v in verdicts),
    )


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    metrics: Metrics
    verdicts: tuple[Verdict, ...]


def judge_at(items: Sequence[Labelled], predictions: Sequence[Prediction], threshold: float) -> list[Verdict]:
    return [lenient_verdict(i, p.answer(threshold)) for i, p in zip(items, predictions, strict=True)]


def candidate_thresholds(predictions: Iterable[Prediction]) -> list[float]:
    """Every distinct top score (answer everything scoring at least it), plus refuse-all.

    Accuracy only changes at an observed score, so this sweep is exhaustive.
    """
    return sorted({p.score for p in predictions if p.entry is not None} | {REFUSE_ALL})


def choose_threshold(items: Sequence[Labelled], predictions: Sequence[Prediction]) -> ThresholdChoice:
    """The refusal threshold with the best overall accuracy on these items.

    Ties go to fewer confidently wrong answers. Tuning on the very set that is then scored is
    optimistic for the baselines: natobot gets no such help.
    """
    best: ThresholdChoice | None = None
    for t in candidate_thresholds(predictions):
        verdicts = judge_at(items, predictions, t)
        m = summarise(items, verdicts)
        if best is None or (m.overall_accuracy, -m.confidently_wrong) > (
            best.metrics.overall_accuracy, -best.metrics.confidently_wrong
        ):
            best = ThresholdChoice(t, m, tuple(verdicts))
    assert best is not None  # REFUSE_ALL is always a candidate
    return best


