"""The `natobot eval` report: the one-pass threshold sweep must agree with real runs at each threshold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import eval_report
from bot.compose import CONFIDENCE_THRESHOLD
from bot.engine import Engine
from bot.evaluate import Item, evaluate, load_set

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = ("in_scope_accuracy", "correct_fallback", "confidently_wrong", "overall_accuracy")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_set()


@pytest.fixture(scope="module")
def scored(engine: Engine, items: list[Item]) -> list[eval_report.Scored]:
    return eval_report.score(engine, items)


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, CONFIDENCE_THRESHOLD, 0.8, 0.95])
def test_sweep_matches_a_real_run_at_that_threshold(
    engine: Engine, items: list[Item], scored: list[eval_report.Scored], threshold: float,
) -> None:
    saved = engine.composer.threshold
    engine.composer.threshold = threshold
    try:
        real = evaluate(engine, items).summary()
    finally:
        engine.composer.threshold = saved
    predicted = eval_report.metrics_at(scored, threshold)
    for key in FIGURES:
        assert predicted[key] == pytest.approx(real[key]), key


def test_score_leaves_the_shipped_threshold_in_place(engine: Engine, scored: list[eval_report.Scored]) -> None:
    assert engine.composer.threshold == CONFIDENCE_THRESHOLD
    assert any(s.confidence < CONFIDENCE_THRESHOLD and s.gated for s in scored), "the gate must matter somewhere"


def test_histogram_counts_every_question_once(scored: list[eval_report.Scored]) -> None:
    hist = eval_report.histogram(scored)
    assert len(hist["edges"]) == eval_report.HIST_BINS + 1
    total = sum(sum(hist[g]) for g in eval_report.GROUPS)  # type: ignore[arg-type]
    assert total == len(scored)
    in_scope_right = sum(s.item.answered and s.verdict == "right" for s in scored)
    assert sum(hist["right"]) == in_scope_right  # type: ignore[arg-type]


def row(threshold: float, overall: float, wrong: float) -> dict[str, float]:
    return {"threshold": threshold, "overall_accuracy": overall, "confidently_wrong": wrong}


@pytest.mark.parametrize(
    ("rows", "chosen", "span"),
    [
        ([row(0.1, 0.8, 0.1), row(0.2, 0.9, 0.05), row(0.3, 0.85, 0.01)], 0.2, (0.2, 0.2)),
        # Tied on overall accuracy: fewer confidently wrong answers wins, even at a higher threshold.
        ([row(0.1, 0.9, 0.05), row(0.2, 0.9, 0.02), row(0.3, 0.9, 0.02)], 0.2, (0.1, 0.3)),
        ([row(0.5, 0.7, 0.0), row(0.6, 0.7, 0.0)], 0.5, (0.5, 0.6)),
    ],
)
def test_rule_choice(rows: list[dict[str, float]], chosen: float, span: tuple[float, float]) -> None:
    assert eval_report.rule_choice(rows)["threshold"] == chosen
    assert eval_report.plateau(rows) == span


def test_shipped_threshold_is_what_the_rule_picks(engine: Engine, items: list[Item]) -> None:
    report = eval_report.build(engine, items)
    assert report["rule_choice"]["threshold"] == CONFIDENCE_THRESHOLD
    assert len(report["sweep"]) == eval_report.SWEEP_STEPS + 1


def test_write_makes_json_and_two_pngs(engine: Engine, tmp_path: Path) -> None:
    small = load_set()[:40]
    report = eval_report.build(engine, small)
    written = eval_report.write(report, tmp_path / "out")
    assert [p.name for p in written] == ["eval.json", "eval-confidence.png", "eval-threshold.png"]
    for png in written[1:]:
        assert png.read_bytes()[:8] == PNG_MAGIC
    data = json.loads(written[0].read_text(encoding="utf-8"))
    assert data["questions"] == 40
    assert data["at_shipped_threshold"]["threshold"] == CONFIDENCE_THRESHOLD
