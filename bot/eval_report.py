"""The `natobot eval` report: how confidence separates right, wrong and out-of-scope questions,
and what moving the fallback threshold would do, so the shipped threshold is justified by a picture.

Every question is answered once with the threshold at zero; an answer that went through the
threshold gate would, at threshold t, fall back exactly when its confidence is below t. That makes
the whole sweep one pass over the set, and a test checks it against a real run at the shipped value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine import Engine
from bot.evaluate import Item, judge

# Statuses the composer returns only after the confidence gate; others (no candidate, unknown
# number, ambiguous, greeting, invalid) do not depend on the threshold.
GATED = frozenset({"answer", "no-data"})
SWEEP_STEPS = 100  # thresholds 0.00, 0.01, ..., 1.00
HIST_BINS = 20  # 0.05 wide: coarse enough that 476 questions give readable bars

GROUPS = ("right", "wrong", "out of scope, would be answered", "out of scope, declined anyway",
          "in scope, no answer anyway")


@dataclass(frozen=True)
class Scored:
    item: Item
    confidence: float
    gated: bool
    verdict: str  # the verdict with the threshold at zero

    def verdict_at(self, threshold: float) -> str:
        if self.gated and self.confidence < threshold:
            return "missed" if self.item.answered else "fallback-ok"
        return self.verdict

    @property
    def group(self) -> str:
        """Which histogram this question counts in, by its verdict with the threshold at zero."""
        if not self.item.answered:
            # Declined anyway: no candidate, or an entry whose sources are silent on what was asked.
            return "out of scope, would be answered" if self.verdict == "false-answer" else \
                "out of scope, declined anyway"
        return {"right": "right", "wrong": "wrong"}.get(self.verdict, "in scope, no answer anyway")


def score(engine: Engine, items: list[Item]) -> list[Scored]:
    saved = engine.composer.threshold
    engine.composer.threshold = 0.0
    try:
        out = []
        for item in items:
            answer = engine.ask(item.q)
            out.append(Scored(item, answer.confidence, answer.status in GATED, judge(item, answer)))
        return out
    finally:
        engine.composer.threshold = saved


def metrics_at(scored: list[Scored], threshold: float) -> dict[str, float]:
    n = len(scored)
    verdicts = [s.verdict_at(threshold) for s in scored]
    in_scope = sum(s.item.answered for s in scored)
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


def rule_choice(rows: list[dict[str, float]]) -> dict[str, float]:
    """The rule bot/compose.py's threshold follows: the best overall accuracy; among ties, the fewest
    confidently wrong answers (the worst thing the bot can do); then the lowest threshold."""
    return max(rows, key=lambda r: (r["overall_accuracy"], -r["confidently_wrong"], -r["threshold"]))


def plateau(rows: list[dict[str, float]]) -> tuple[float, float]:
    """The thresholds that reach the best overall accuracy: a wide range means the choice is not on a knife edge."""
    best = max(r["overall_accuracy"] for r in rows)
    ts = [r["threshold"] for r in rows if r["overall_accuracy"] == best]
    return min(ts), max(ts)


def build(engine: Engine, items: list[Item]) -> dict[str, Any]:
    scored = score(engine, items)
    rows = sweep(scored)
    shipped = engine.composer.threshold
    return {
        "questions": len(items),
        "shipped_threshold": shipped,
        "at_shipped_threshold": metrics_at(scored, shipped),
        "rule": "best overall accuracy; ties: fewest confidently wrong, then the lowest threshold",
        "rule_choice": rule_choice(rows),
        "best_overall_range": list(plateau(rows)),
        "histogram": histogram(scored),
        "sweep": rows,
    }


def summary_lines(report: dict[str, Any]) -> list[str]:
    at = report["at_shipped_threshold"]
    chosen = report["rule_choice"]
    low, high = report["best_overall_range"]
    return [
        f"threshold {report['shipped_threshold']:.2f}: answers {at['coverage']:.1%} of questions, "
        f"{at['answer_accuracy']:.1%} of them right; overall accuracy {at['overall_accuracy']:.1%}",
        f"best overall accuracy over the sweep: {chosen['overall_accuracy']:.1%}, reached from {low:.2f} to {high:.2f}",
        f"rule ({report['rule']}): {chosen['threshold']:.2f}, confidently wrong {chosen['confidently_wrong']:.1%}",
    ]


def write(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write eval.json and, when matplotlib is installed, the two PNG plots. Returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "eval.json"]
    written[0].write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    try:
        from bot.eval_plots import plot_confidence, plot_threshold
    except ImportError:
        return written
    written.append(plot_confidence(report, out_dir / "eval-confidence.png"))
    written.append(plot_threshold(report, out_dir / "eval-threshold.png"))
    return written

