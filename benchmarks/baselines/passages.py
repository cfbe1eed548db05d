"""Baselines judged as natobot is judged on a blind set: by the text they would reply with.

A blind set labels each question with the facts a right answer holds, not with an entry, so a baseline
here ranks passages and answers with its best passage's text: `answered` and every fact in that text is
right, a must-decline question is right when it declines. Two grains of passage:

- units: natobot's own units (one statement each, with the context natobot would show after it), so a
  baseline searches exactly the statements natobot searches;
- entries: one passage per catalogue entry (its overview, facets, fields and the facts about it), the
  grain of issue 9's "an entry whose text holds the answer": generous, since a whole entry holds many facts.

Each baseline's refusal threshold is swept and chosen for the best overall accuracy on the very set it
is scored on, which flatters the baselines; natobot keeps its fitted threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.evaluation.blind import BlindItem, holds_all

if TYPE_CHECKING:
    from benchmarks.baselines.embedding import Encoder
    from bot.answering.engine import Engine

GRAINS = ("units", "entries")


@dataclass(frozen=True)
class Passage:
    entry: str
    text: str  # what the baseline replies with when this passage is its best


class Ranker(Protocol):
    def build(self, passages: Sequence[Passage]) -> None: ...

    def best(self, question: str) -> tuple[int, float] | None:
        """(index of the best passage, its score), or None when nothing scores at all."""
        ...


def unit_passages(engine: Engine) -> list[Passage]:
    """Every unit, its reply text as natobot would show it (statement, context, caveat)."""
    out = []
    for iu in engine.index.units:
        u = iu.unit
        out.append(Passage(u.entry, u.reply() + (f"\nNote: {u.caveat}" if u.caveat else "")))
    return out


def entry_passages(engine: Engine) -> list[Passage]:
    """One passage per entry: its title, overview, facets, fields and the facts about it."""
    facts: dict[str, list[str]] = {}
    for fact in engine.kb.facts:
        facts.setdefault(fact.about, []).append(fact.text)
    out = []
    for e in engine.kb.entries.values():
        parts = [e.title, e.answer, *(f.text for f in e.facets.values()),
                 *(f"{k}: {v}" for k, v in e.fields.items()), *facts.get(e.id, [])]
        out.append(Passage(e.id, "\n".join(parts)))
    return out


def passages(engine: Engine, grain: str) -> list[Passage]:
    if grain == "units":
        return unit_passages(engine)
    if grain == "entries":
        return entry_passages(engine)
    raise ValueError(f"unknown grain {grain!r}")


class BM25Ranker:
    """rank-bm25's Okapi BM25 over the passages, with the tokeniser and parameters of the entry baseline."""

    def __init__(self) -> None:
        self._index: Any = None

    def build(self, items: Sequence[Passage]) -> None:
        from rank_bm25 import BM25Okapi

        from benchmarks.baselines.bm25 import K1, B, tokenise

        self._index = BM25Okapi([tokenise(p.text) for p in items], k1=K1, b=B)

    def best(self, question: str) -> tuple[int, float] | None:
        from benchmarks.baselines.bm25 import tokenise

        if self._index is None:
            raise RuntimeError("build() first")
        words = tokenise(question)
        if not words:
            return None
        scores = self._index.get_scores(words)
        i = int(scores.argmax())
        return i, float(scores[i])


class EmbeddingRanker:
    """all-MiniLM-L6-v2: the passage with the highest cosine similarity to the question."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder
        self._matrix: Any = None

    def build(self, items: Sequence[Passage]) -> None:
        import numpy as np

        from benchmarks.baselines.embedding import BUILD_BATCH_SIZE, load_encoder

        if self._encoder is None:
            self._encoder = load_encoder()
        self._matrix = np.asarray(self._encode([p.text for p in items], BUILD_BATCH_SIZE), dtype=np.float32)

    def best(self, question: str) -> tuple[int, float] | None:
        import numpy as np

        from benchmarks.baselines.embedding import QUERY_BATCH_SIZE

        if self._matrix is None:
            raise RuntimeError("build() first")
        q = np.asarray(self._encode([question], QUERY_BATCH_SIZE), dtype=np.float32)[0]
        scores = self._matrix @ q
        i = int(scores.argmax())
        return i, float(scores[i])

    def _encode(self, texts: list[str], batch_size: int) -> Any:
        assert self._encoder is not None
        return self._encoder.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)


@dataclass(frozen=True)
class Pick:
    """A baseline's best passage for one question, before the refusal threshold."""

    score: float  # -inf: nothing scored, never answers
    holds_facts: bool  # the passage's text holds every fact the question asks for


def pick(item: BlindItem, best: tuple[int, float] | None, items: Sequence[Passage]) -> Pick:
    if best is None:
        return Pick(-math.inf, False)
    text = items[best[0]].text
    return Pick(best[1], bool(item.facts) and holds_all(text, item.facts))


def verdict_at(item: BlindItem, p: Pick, threshold: float) -> str:
    """bot.evaluation.blind.verdict's verdicts, for a reply of the picked passage when its score reaches the
    threshold."""
    answered = p.score >= threshold
    if item.decline:
        return "false-answer" if answered else "declined-ok"
    if not answered:
        return "missed"
    return "right" if p.holds_facts else "wrong"


@dataclass(frozen=True)
class BlindFigures:
    questions: int
    in_scope: int
    right: int
    declined_ok: int
    confidently_wrong: int
    threshold: float | None = None

    @property
    def overall_accuracy(self) -> float:
        return (self.right + self.declined_ok) / self.questions if self.questions else 0.0

    @property
    def in_scope_right(self) -> float:
        return self.right / self.in_scope if self.in_scope else 0.0

    @property
    def correct_fallback(self) -> float:
        declines = self.questions - self.in_scope
        return self.declined_ok / declines if declines else 0.0

    @property
    def confidently_wrong_share(self) -> float:
        return self.confidently_wrong / self.questions if self.questions else 0.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "questions": self.questions, "in_scope": self.in_scope, "in_scope_right": self.in_scope_right,
            "correct_fallback": self.correct_fallback, "confidently_wrong": self.confidently_wrong_share,
            "overall_accuracy": self.overall_accuracy,
            "threshold": self.threshold if self.threshold is None or math.isfinite(self.threshold) else None,
        }


def figures(items: Sequence[BlindItem], verdicts: Sequence[str], threshold: float | None = None) -> BlindFigures:
    return BlindFigures(
        questions=len(items), in_scope=sum(not i.decline for i in items), right=verdicts.count("right"),
        declined_ok=verdicts.count("declined-ok"),
        confidently_wrong=sum(v in ("wrong", "false-answer") for v in verdicts), threshold=threshold,
    )


def best_threshold(items: Sequence[BlindItem], picks: Sequence[Pick]) -> BlindFigures:
    """The refusal threshold with the best overall accuracy on these very items (ties: fewer confidently
    wrong); every distinct score is tried, and refusing everything."""
    best: BlindFigures | None = None
    for t in sorted({p.score for p in picks if math.isfinite(p.score)} | {math.inf}):
        f = figures(items, [verdict_at(i, p, t) for i, p in zip(items, picks, strict=True)], t)
        if best is None or (f.overall_accuracy, -f.confidently_wrong) > (best.overall_accuracy,
                                                                            -best.confidently_wrong):
            best = f
    assert best is not None  # refusing everything is always a candidate
    return best


Timer = Callable[[Callable[[str], Any], Sequence[str]], tuple[list[float], list[Any]]]


def score_ranker(ranker: Ranker, items: Sequence[BlindItem], corpus: Sequence[Passage],
                 timer: Timer | None = None) -> tuple[BlindFigures, list[float]]:
    """Ask every question of a built ranker and choose its threshold; returns the figures and the times
    `timer` measured (ms per question; none without a timer)."""
    questions = [i.q for i in items]
    if timer is None:
        times: list[float] = []
        bests = [ranker.best(q) for q in questions]
    else:
        times, bests = timer(ranker.best, questions)
    picks = [pick(i, b, corpus) for i, b in zip(items, bests, strict=True)]
    return best_threshold(items, picks), times
