"""The `natobot eval` report: how confidence separates right, wrong and out-of-scope questions, what moving
the threshold would do, and whether confidence is calibrated (answers given with confidence p are right
about p of the time), over any question set: the dev set or a blind set.

Every question is answered once with the threshold at zero; a reply that went through the threshold gate
would, at threshold t, decline exactly when its confidence is below t. That makes the whole sweep one pass
over the set, and a test checks it against real runs. Blind conversations are left out of the report:
a turn's context depends on what the threshold let earlier turns answer, so one pass cannot predict them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answering.answer import Answer
from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation.evaluate import Item, judge
from bot.evaluation.fit import MAX_CONFIDENTLY_WRONG
from bot.render.as_json import to_dict

# Statuses the engine returns only after the confidence gate; the others (unknown number, ambiguous
# reference, greeting, invalid input) do not depend on the threshold.
GATED = frozenset({"answer", "no-data"})
SWEEP_STEPS = 100  # thresholds 0.00, 0.01, ..., 1.00
HIST_BINS = 20  # 0.05 wide: coarse enough that a few hundred questions give readable bars
# Ten equal-width confidence bins: the usual reliability diagram; with a few hundred answers each bin
# that holds any still has enough of them for its accuracy to mean something.
CALIBRATION_BINS = 10

GROUPS = ("right", "wrong", "out of scope, would be answered", "out of scope, declined anyway",
          "in scope, no answer anyway")
# Blind-set verdicts spelled as the dev set's, so that one report reads both.
_VERDICT = {"declined-ok": "fallback-ok"}


@dataclass(frozen=True)
class Scored:
    question: str
    in_scope: bool
    confidence: float
    gated: bool
    answered: bool  # with the threshold at zero
    verdict: str  # with the threshold at zero: right, wrong, missed, fallback-ok, false-answer
    # For a question naming several entities side by side, which of them are answered depends on the
    # threshold itself, not only on the reply's confidence: its verdict asked at each sweep threshold.
    asked_at: tuple[tuple[float, str], ...] = ()

    def verdict_at(self, threshold: float) -> str:
        if self.asked_at:
            # The verdict at the highest threshold asked that is not above this one (exact at those).
            return max((t, v) for t, v in self.asked_at if t <= threshold + 1e-9)[1]
        if self.gated and self.confidence < threshold:
            return "missed" if self.in_scope else "fallback-ok"
        return self.verdict

    @property
    def group(self) -> str:
        """Which histogram this question counts in, by its verdict with the threshold at zero."""
        if not self.in_scope:
            # Declined anyway: no candidate, or an entry whose sources are silent on what was asked.
            return "out of scope, would be answered" if self.verdict == "false-answer" else \
                "out of scope, declined anyway"
        return {"right": "right", "wrong": "wrong"}.get(self.verdict, "in scope, no answer anyway")


QuestionSet = list[Item] | blind.BlindSet


@contextmanager
def threshold_at(engine: Engine, threshold: float) -> Iterator[Engine]:
    """The engine with another threshold for the duration, then exactly as it was.

    The engine caches each entry's suggestion, chosen as a question it answers confidently at the
    threshold of the moment; the cache is emptied on the way in and out, so a suggestion picked at
    another threshold is never offered later.
    """
    saved = engine.threshold
    _forget_suggestions(engine)
    engine.threshold = threshold
    try:
        yield engine
    finally:
        engine.threshold = saved
        _forget_suggestions(engine)


def _forget_suggestions(engine: Engine) -> None:
    cache = getattr(engine, "_suggestion", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()


def _judged(engine: Engine, item: Item | blind.BlindItem) -> tuple[Answer, str]:
    answer = engine.ask(item.q)
    if isinstance(item, Item):
        return answer, judge(item, answer)
    verdict = blind.verdict(item, to_dict(answer))
    return answer, _VERDICT.get(verdict, verdict)


def sweep_thresholds(engine: Engine) -> list[float]:
    return sorted({i / SWEEP_STEPS for i in range(SWEEP_STEPS + 1)} | {round(engine.threshold, 4)})


def score(engine: Engine, items: QuestionSet) -> list[Scored]:
    """Each question asked once with the threshold at zero, judged as its set is judged; a question naming
    several entities side by side is asked again at each sweep threshold."""
    questions: list[Item | blind.BlindItem] = list(items.questions if isinstance(items, blind.BlindSet) else items)
    listed = [i for i, item in enumerate(questions)
              if (q := engine.analyse(item.q)).listed and len(q.entries) > 1]
    asked_at: dict[int, list[tuple[float, str]]] = {i: [] for i in listed}
    for t in sweep_thresholds(engine) if listed else []:
        with threshold_at(engine, t):
            for i in listed:
                asked_at[i].append((t, _judged(engine, questions[i])[1]))
    out = []
    with threshold_at(engine, 0.0):
        for i, item in enumerate(questions):
            answer, verdict = _judged(engine, item)
            in_scope = item.answered if isinstance(item, Item) else not item.decline
            out.append(Scored(item.q, in_scope, answer.confidence, answer.status in GATED, answer.answered, verdict,
                              tuple(asked_at.get(i, ()))))
    return out


def metrics_at(scored: list[Scored], threshold: float) -> dict[str, float]:
    n = len(scored)
    verdicts = [s.verdict_at(threshold) for s in scored]
    in_scope = sum(s.in_scope for s in scored)
    oos = n - in_scope
    right = verdicts.count("right")
    fb_ok = verdicts.count("fallback-ok")
    answered = sum(v in ("right", "wrong", "false-answer") for v in verdicts)
    wrong = verdicts.count("wrong") + verdicts.count("false-answer")
    return {
        "threshold": round(threshold, 4),
        "coverage": answered / n if n else 0.0,
        "answer_accuracy": right / answered if answered else 1.0,
        "in_scope_accuracy": right / in_scope if in_scope else 0.0,
        "correct_fallback": fb_ok / oos if oos else 0.0,
        "confidently_wrong": wrong / n if n else 0.0,
        "overall_accuracy": (right + fb_ok) / n if n else 0.0,
    }


def sweep(scored: list[Scored]) -> list[dict[str, float]]:
    return [metrics_at(scored, i / SWEEP_STEPS) for i in range(SWEEP_STEPS + 1)]


def histogram(scored: list[Scored]) -> dict[str, list[int] | list[float]]:
    edges = [i / HIST_BINS for i in range(HIST_BINS + 1)]
    out: dict[str, list[int] | list[float]] = {"edges": edges}
    for group in GROUPS:
        counts = [0] * HIST_BINS
        for s in scored:
            if s.group == group:
                counts[min(HIST_BINS - 1, max(0, int(s.confidence * HIST_BINS)))] += 1
        out[group] = counts
    return out


def calibration(scored: list[Scored], bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Predicted confidence against observed accuracy, over the replies that give an answer with the
    threshold at zero (so the curve covers the whole range, below the shipped threshold too).

    Per bin: how many answers, their mean confidence, and the share of them that are right. `ece` is the
    expected calibration error (the count-weighted mean gap between the two), `brier` the mean squared
    difference between confidence and rightness (0 or 1) over the same answers.
    """
    answers = [s for s in scored if s.answered]
    rows = [_calibration_bin(answers, b, bins) for b in range(bins)]
    n = len(answers)
    ece = sum(int(r["n"] or 0) / n * abs(float(r["mean_confidence"] or 0.0) - float(r["accuracy"] or 0.0))
              for r in rows if r["n"]) if n else 0.0
    brier = sum((s.confidence - (s.verdict == "right")) ** 2 for s in answers) / n if n else 0.0
    return {"answers": n, "bins": rows, "ece": ece, "brier": brier}


def _calibration_bin(answers: list[Scored], b: int, bins: int) -> dict[str, float | int | None]:
    low, high = b / bins, (b + 1) / bins
    inside = [s for s in answers if min(bins - 1, int(s.confidence * bins)) == b]
    right = sum(s.verdict == "right" for s in inside)
    return {
        "low": low, "high": high, "n": len(inside), "right": right,
        "mean_confidence": sum(s.confidence for s in inside) / len(inside) if inside else None,
        "accuracy": right / len(inside) if inside else None,
    }


def rule_choice(rows: list[dict[str, float]]) -> dict[str, float]:
    """The rule `natobot eval --fit` chooses the threshold by (bot/evaluation/fit.py), applied to this set:
    the best overall accuracy among thresholds whose confidently-wrong share is at most
    MAX_CONFIDENTLY_WRONG (all thresholds when none is), then the highest such threshold. The fit applies
    it to cross-validated scores on the training set; on the training set itself this is in-sample."""
    ok = [r for r in rows if r["confidently_wrong"] <= MAX_CONFIDENTLY_WRONG] or rows
    best = max(r["overall_accuracy"] for r in ok)
    return max((r for r in ok if r["overall_accuracy"] == best), key=lambda r: r["threshold"])


def plateau(rows: list[dict[str, float]]) -> tuple[float, float]:
    """The thresholds that reach the best overall accuracy: a wide range means the choice is not on a knife edge."""
    best = max(r["overall_accuracy"] for r in rows)
    ts = [r["threshold"] for r in rows if r["overall_accuracy"] == best]
    return min(ts), max(ts)


def build(engine: Engine, items: QuestionSet, *, name: str | None = None) -> dict[str, Any]:
    scored = score(engine, items)
    rows = sweep(scored)
    shipped = engine.threshold
    kind = "blind" if isinstance(items, blind.BlindSet) else "dev"
    return {
        "set": name or ("tests/data/devset.yaml" if kind == "dev" else "a blind set"),
        "kind": kind,
        "questions": len(scored),
        "shipped_threshold": shipped,
        "model": engine.model.fitted,
        "at_shipped_threshold": metrics_at(scored, shipped),
        "rule": f"best overall accuracy with at most {MAX_CONFIDENTLY_WRONG:.0%} confidently wrong, "
                "then the highest threshold (as natobot eval --fit chooses it, there on cross-validated scores)",
        "rule_choice": rule_choice(rows),
        "best_overall_range": list(plateau(rows)),
        "calibration": calibration(scored),
        "histogram": histogram(scored),
        "sweep": rows,
    }


def summary_lines(report: dict[str, Any]) -> list[str]:
    at = report["at_shipped_threshold"]
    chosen = report["rule_choice"]
    low, high = report["best_overall_range"]
    best = max(r["overall_accuracy"] for r in report["sweep"])
    cal = report["calibration"]
    return [
        f"threshold {report['shipped_threshold']:.2f}: answers {at['coverage']:.1%} of questions, "
        f"{at['answer_accuracy']:.1%} of them right; overall accuracy {at['overall_accuracy']:.1%}, "
        f"confidently wrong {at['confidently_wrong']:.1%}",
        f"best overall accuracy over the sweep: {best:.1%}, reached from {low:.2f} to {high:.2f}",
        f"the fit's rule on this set: {chosen['threshold']:.2f} (overall accuracy {chosen['overall_accuracy']:.1%}, "
        f"confidently wrong {chosen['confidently_wrong']:.1%})",
        f"calibration over {cal['answers']} answers (threshold 0): expected calibration error {cal['ece']:.3f}, "
        f"Brier score {cal['brier']:.3f}",
    ]


def write(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write eval.json and, when matplotlib is installed, the three PNG plots. Returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "eval.json"]
    written[0].write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    try:
        from bot.evaluation.plots import plot_calibration, plot_confidence, plot_threshold
    except ImportError:
        return written
    written.append(plot_confidence(report, out_dir / "eval-confidence.png"))
    written.append(plot_threshold(report, out_dir / "eval-threshold.png"))
    written.append(plot_calibration(report, out_dir / "eval-calibration.png"))
    return written
