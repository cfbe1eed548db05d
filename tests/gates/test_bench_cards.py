"""python -m benchmarks.cards runs and its figures hold what the README promises."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from benchmarks import cards as bench_cards


def test_bench_cards_figures() -> None:
    result = bench_cards.run()
    assert result["questions"] > 400
    assert result["repeat_question_rate"] == 0.0 and result["repeat_answer_rate"] == 0.0
    thread = result["thread"]
    assert thread["blocks"]["median"] <= thread["blocks"]["p95"] <= 8
    assert result["ephemeral"]["blocks"]["median"] == thread["blocks"]["median"] + 1  # the repeated question
    digest = result["digest"]
    assert digest["cycle_days"] > 90 and digest["cycle_days_mission_only"] > 90
    assert 3 <= digest["text_lines"]["median"] <= 5
    out = io.StringIO()
    with redirect_stdout(out):
        assert bench_cards.main([]) == 0
    assert "related buttons repeating the question: 0.0%" in out.getvalue()
