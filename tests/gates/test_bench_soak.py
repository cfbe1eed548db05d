"""benchmarks.soak: a short soak with every fault, through two real `natobot serve` processes.

No timing is asserted: the run must lose nothing, double nothing and leave no apology standing.
"""

from __future__ import annotations

from benchmarks import soak as bench_soak


async def test_short_soak_with_every_fault_loses_and_doubles_nothing() -> None:
    result = await bench_soak.run(20.0, 10.0, 2.0)
    assert [f["fault"] for f in result["faults"]] == [name for _, name in bench_soak.FAULTS]
    assert result["events"] == 200 + 10 * 5 * 1  # the stream, and the burst (5x the rate for 1 s)
    assert result["acks"].get("200") == result["events"]  # every event acknowledged in the end
    assert (result["lost"], result["doubled"], result["apologies"]) == (0, 0, 0)
    assert result["unexpected_threads"] == 0
    assert result["answered"] + result["busy"] == result["events"]
    assert set(result["rss"]) == {"A", "A (restarted)", "B"}
    assert "\n  faults: slack-5xx at " in bench_soak.format_report(result)
