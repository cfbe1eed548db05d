"""The `natobot eval` report: the one-pass threshold sweep must agree with real runs at each threshold, on the
dev set and on a blind set, and the calibration curve must count what it says it counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation import report as eval_report
from bot.evaluation.evaluate import Item, evaluate, load_any, load_set
from bot.render.as_json import to_dict

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURES = ("in_scope_accuracy", "correct_fallback", "confidently_wrong", "overall_accuracy")
SET_A = Path(__file__).resolve().parents[1] / "data" / "blind" / "set_a.yaml"
BLIND_SAMPLE = 120  # every third question of set A: enough to cross every threshold, a third of the time


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_set()


@pytest.fixture(scope="module")
def scored(engine: Engine, items: list[Item]) -> list[eval_report.Scored]:
    return eval_report.score(engine, items)


@pytest.fixture(scope="module")
def blind_sample() -> blind.BlindSet:
    loaded = load_any(SET_A)
    assert isinstance(loaded, blind.BlindSet)
    return blind.BlindSet(loaded.questions[::3][:BLIND_SAMPLE], [])


@pytest.fixture(scope="module")
def blind_scored(engine: Engine, blind_sample: blind.BlindSet) -> list[eval_report.Scored]:
    return eval_report.score(engine, blind_sample)


def thresholds(engine: Engine) -> list[float]:
    return [0.0, 0.3, 0.5, engine.model.threshold, 0.8, 0.95]


@pytest.mark.parametrize("which", range(6))
def test_sweep_matches_a_real_run_at_that_threshold(
    engine: Engine, items: list[Item], scored: list[eval_report.Scored], which: int,
) -> None:
    threshold = thresholds(engine)[which]
    with eval_report.threshold_at(engine, threshold):
        real = evaluate(engine, items).summary()
    predicted = eval_report.metrics_at(scored, threshold)
    for key in FIGURES:
        assert predicted[key] == pytest.approx(real[key]), (key, threshold)


@pytest.mark.parametrize("which", range(6))
def test_sweep_matches_a_real_run_on_a_blind_set(
    engine: Engine, blind_sample: blind.BlindSet, blind_scored: list[eval_report.Scored], which: int,
) -> None:
    threshold = thresholds(engine)[which]
    with eval_report.threshold_at(engine, threshold):
        real = blind.score(blind_sample, lambda qs: [to_dict(engine.ask(q)) for q in qs], None).summary()
    predicted = eval_report.metrics_at(blind_scored, threshold)
    assert predicted["in_scope_accuracy"] == pytest.approx(real["in_scope_right"]), threshold
    assert predicted["correct_fallback"] == pytest.approx(real["correct_fallback"]), threshold
    assert predicted["confidently_wrong"] == pytest.approx(real["confidently_wrong"]), threshold


def test_scoring_leaves_the_engine_as_it_was(engine: Engine, items: list[Item],
                                             scored: list[eval_report.Scored]) -> None:
    assert engine.threshold == engine.model.threshold
    assert any(s.gated and s.confidence < engine.threshold for s in scored), "the gate must matter somewhere"
    # Suggestions chosen while the threshold was zero must not be offered now: each one still answers.
    before = engine.ask("what is the salary of the director general").suggestions
    eval_report.score(engine, items[:30])
    after = engine.ask("what is the salary of the director general")
    assert after.suggestions == before
    for s in after.suggestions:
        assert engine.ask(s).answered, s


def test_threshold_at_restores_on_error(engine: Engine) -> None:
    saved = engine.threshold
    with pytest.raises(RuntimeError), eval_report.threshold_at(engine, 0.0):
        raise RuntimeError("boom")
    assert engine.threshold == saved


def test_histogram_counts_every_question_once(scored: list[eval_report.Scored]) -> None:
    hist = eval_report.histogram(scored)
    assert len(hist["edges"]) == eval_report.HIST_BINS + 1
    total = sum(sum(hist[g]) for g in eval_report.GROUPS)  # type: ignore[arg-type]
    assert total == len(scored)
    in_scope_right = sum(s.in_scope and s.verdict == "right" for s in scored)
    assert sum(hist["right"]) == in_scope_right  # type: ignore[arg-type]


def fake(confidence: float, verdict: str, *, answered: bool = True, in_scope: bool = True) -> eval_report.Scored:
    return eval_report.Scored("q", in_scope, confidence, True, answered, verdict)


@pytest.mark.parametrize(
    ("scored", "bins", "expected", "ece"),
    [
        # Two bins; each answer in the bin its confidence falls in; declined replies are not counted.
        ([fake(0.1, "wrong"), fake(0.9, "right"), fake(0.8, "right"), fake(0.7, "wrong"),
          fake(0.95, "missed", answered=False)],
         2, [(1, 0, 0.1), (3, 2, 0.8)], (0.1 * 1 + abs(0.8 - 2 / 3) * 3) / 4),
        # Perfectly calibrated: confidence 1.0 and always right; 1.0 falls in the top bin.
        ([fake(1.0, "right"), fake(1.0, "right")], 4, [(0, 0, None), (0, 0, None), (0, 0, None), (2, 2, 1.0)], 0.0),
        # An answer to an out-of-scope question is never right.
        ([fake(0.6, "false-answer", in_scope=False)], 2, [(0, 0, None), (1, 0, 0.6)], 0.6),
        ([], 2, [(0, 0, None), (0, 0, None)], 0.0),
    ],
)
def test_calibration_bins(scored: list[eval_report.Scored], bins: int, expected: list[tuple[int, int, float | None]],
                          ece: float) -> None:
    cal = eval_report.calibration(scored, bins)
    got = [(r["n"], r["right"], r["mean_confidence"]) for r in cal["bins"]]
    assert [(n, right) for n, right, _ in got] == [(n, right) for n, right, _ in expected]
    for (_, _, mean), (_, _, want) in zip(got, expected, strict=True):
        assert mean == (None if want is None else pytest.approx(want))
    assert cal["ece"] == pytest.approx(ece)
    assert cal["answers"] == sum(s.answered for s in scored)
    assert [(r["low"], r["high"]) for r in cal["bins"]] == [(i / bins, (i + 1) / bins) for i in range(bins)]


def test_calibration_on_the_dev_set_counts_every_answer(scored: list[eval_report.Scored]) -> None:
    cal = eval_report.calibration(scored)
    assert cal["answers"] == sum(s.answered for s in scored) == sum(r["n"] for r in cal["bins"])
    assert sum(r["right"] for r in cal["bins"]) == sum(s.answered and s.verdict == "right" for s in scored)
    assert 0.0 <= cal["ece"] <= 1.0 and 0.0 <= cal["brier"] <= 1.0


def row(threshold: float, overall: float, wrong: float) -> dict[str, float]:
    return {"threshold": threshold, "overall_accuracy": overall, "confidently_wrong": wrong}


@pytest.mark.parametrize(
    ("rows", "chosen", "span"),
    [
        # The best overall accuracy among thresholds with at most 2% confidently wrong.
        ([row(0.1, 0.9, 0.1), row(0.2, 0.85, 0.02), row(0.3, 0.8, 0.01)], 0.2, (0.1, 0.1)),
        # Tied: the highest threshold.
        ([row(0.1, 0.9, 0.01), row(0.2, 0.9, 0.01), row(0.3, 0.7, 0.0)], 0.2, (0.1, 0.2)),
        # None is safe enough: all of them count.
        ([row(0.5, 0.7, 0.05), row(0.6, 0.6, 0.04)], 0.5, (0.5, 0.5)),
    ],
)
def test_rule_choice(rows: list[dict[str, float]], chosen: float, span: tuple[float, float]) -> None:
    assert eval_report.rule_choice(rows)["threshold"] == chosen
    assert eval_report.plateau(rows) == span


def test_build_reports_the_shipped_threshold(engine: Engine, items: list[Item]) -> None:
    report = eval_report.build(engine, items[:60])
    assert report["shipped_threshold"] == engine.threshold == engine.model.threshold
    assert report["at_shipped_threshold"]["threshold"] == round(engine.threshold, 4)
    assert len(report["sweep"]) == eval_report.SWEEP_STEPS + 1
    assert report["kind"] == "dev" and report["questions"] == 60
    lines = eval_report.summary_lines(report)
    assert len(lines) == 4
    best = max(r["overall_accuracy"] for r in report["sweep"])
    assert best >= report["at_shipped_threshold"]["overall_accuracy"]
    assert f"best overall accuracy over the sweep: {best:.1%}" in lines[1]
    low, high = report["best_overall_range"]
    assert {r["overall_accuracy"] for r in report["sweep"] if r["threshold"] in (low, high)} == {best}


def test_write_makes_json_and_three_pngs(engine: Engine, blind_sample: blind.BlindSet, tmp_path: Path) -> None:
    small = blind.BlindSet(blind_sample.questions[:40], [])
    report = eval_report.build(engine, small, name="set_a.yaml (sample)")
    written = eval_report.write(report, tmp_path / "out")
    assert [p.name for p in written] == ["eval.json", "eval-confidence.png", "eval-threshold.png",
                                         "eval-calibration.png"]
    for png in written[1:]:
        assert png.read_bytes()[:8] == PNG_MAGIC
    data: dict[str, Any] = json.loads(written[0].read_text(encoding="utf-8"))
    assert data["kind"] == "blind" and data["questions"] == 40
    assert len(data["calibration"]["bins"]) == eval_report.CALIBRATION_BINS

