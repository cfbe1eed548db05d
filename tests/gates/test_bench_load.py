"""benchmarks.load: a short real run against a real `natobot serve` subprocess, and the knee rule.

No timing is asserted: the run checks that every event got exactly one reply and that the report is whole.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

# psutil comes with the `bench` extra; until the `dev` extra lists it too, CI (`.[dev]`) skips these.
pytest.importorskip("psutil")

from benchmarks import load as bench_load


async def test_short_run_against_a_real_serve_process() -> None:
    result = await bench_load.run_rate(20, 1.0, drain=5.0)
    assert result["events"] == 20
    assert result["answered"] == 20
    assert result["lost"] == 0
    assert result["doubled"] == 0
    assert result["unexpected_replies"] == 0
    assert result["http_errors"] == 0
    assert result["http_status"] == {"200": 20}
    assert result["server_exit_code"] == 0
    assert result["server_errors_logged"] == []
    for key in ("ack_ms", "reply_ms", "send_lag_ms"):
        figures = result[key]
        assert set(figures) == {"p50", "p95", "p99", "max"}
        assert all(isinstance(v, float) and math.isfinite(v) for v in figures.values())
        assert figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    for key in ("server_cpu_pct", "server_cpu_ms_per_event", "server_loop_cpu_pct", "server_peak_rss_mb",
                "achieved_rate"):
        assert isinstance(result[key], float | int) and result[key] >= 0
    # The server's own counters agree: every mention was answered, none dropped as a duplicate.
    metrics = result["server_metrics"]
    assert metrics.get('natobot_answers_total{where="mention"}') == 25  # 5 warm-up events included
    assert metrics.get("natobot_duplicate_events_total", 0) == 0
    json.dumps(result)  # the report is plain JSON


def _result(rate: float, *, p95: float, lost: int = 0, doubled: int = 0,
            achieved: float | None = None) -> dict[str, Any]:
    return {"offered_rate": rate, "achieved_rate": rate if achieved is None else achieved, "lost": lost,
            "doubled": doubled, "reply_ms": {"p50": p95 / 2, "p95": p95, "p99": p95 * 2, "max": p95 * 3},
            "server_cpu_pct": 50.0}


@pytest.mark.parametrize(("results", "expected"), [
    ([_result(50, p95=20), _result(100, p95=30)], None),
    ([_result(50, p95=20), _result(100, p95=900), _result(200, p95=9000)], 100),
    ([_result(50, p95=20), _result(100, p95=30, lost=1)], 100),
    ([_result(50, p95=20, doubled=1)], 50),
    ([_result(100, p95=30, achieved=90)], 100),
])
def test_knee_is_the_first_rate_that_misses(results: list[dict[str, Any]], expected: float | None) -> None:
    assert bench_load.knee(results)["rate"] == expected


def test_table_and_plot_from_a_report(tmp_path: Path) -> None:
    results = [{**_result(r, p95=p), "ack_ms": {"p50": 1.0, "p95": 2.0}, "acks_over_3s": 0, "http_errors": 0,
                "server_loop_cpu_pct": 40.0, "server_cpu_ms_per_event": 5.0, "server_peak_rss_mb": 90.0,
                "other_cpu_pct": 3.0}
               for r, p in ((50, 20.0), (100, 900.0))]
    report = {"seconds_per_rate": 30, "machine": {"cpus": 2}, "knee_target_p95_ms": bench_load.KNEE_P95_MS,
              "results": results, "knee": bench_load.knee(results)}
    text = bench_load.table(report)
    assert "knee: 100 events/s" in text
    bench_load.plot(report, tmp_path / "load.png")
    assert (tmp_path / "load.png").read_bytes()[:4] == b"\x89PNG"
