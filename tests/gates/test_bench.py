"""`natobot bench`: what it times and what it prints. No timing is asserted: figures belong in the benchmark."""

from __future__ import annotations

import re
from typing import Any

from bot.answering.engine import Engine
from bot.evaluation import bench, blind, timing
from bot.evaluation.evaluate import load_set


def test_the_questions_are_the_dev_set_and_blind_set_a() -> None:
    questions = timing.bench_questions()
    a = blind.load(timing.SET_A)
    dev = [i.q for i in load_set()]
    assert questions[: len(dev)] == dev
    assert len(questions) == len(dev) + len(a.questions) + sum(len(c.turns) for c in a.conversations)


def _cache_sizes(engine: Engine) -> dict[str, int]:
    return {name: value.cache_info().currsize for name, value in vars(engine.analyser).items()
            if callable(getattr(value, "cache_info", None))}


def test_each_round_starts_with_the_word_caches_empty(engine: Engine) -> None:
    engine.ask("who heds the internatinal militery staf")
    assert any(_cache_sizes(engine).values()), "asking fills the analyser's caches"
    timing.clear_caches(engine)
    assert set(_cache_sizes(engine).values()) == {0}
    seen: list[dict[str, int]] = []
    real_ask = engine.ask

    def ask(q: str, *args: Any) -> Any:
        if q == "first":
            seen.append(_cache_sizes(engine))
        return real_ask(q, *args)

    engine.ask = ask  # type: ignore[method-assign]
    try:
        times = timing.ask_times(engine, ["first", "who heads the ims", "wher is jfc napels"], rounds=3)
    finally:
        del engine.ask
    assert len(times) == 9
    assert [set(s.values()) for s in seen] == [{0}] * 3


def test_run_bench_prints_the_figures_and_the_targets() -> None:
    out = bench.run_bench(rounds=1, startup_runs=1, speed_runs=1)
    assert re.search(r"^engine\.ask per question: median \d+\.\d{3} ms +p95 \d+\.\d{3} ms +p99 \d+\.\d{3} ms", out,
                     re.M)
    assert re.search(r"^`natobot ask` start to answer: median \d+ ms", out, re.M)
    assert re.search(r"^targets: median <= 0\.2 ms (PASS|FAIL); p99 <= 5 ms (PASS|FAIL); "
                     r"start to answer <= 500 ms (PASS|FAIL)$", out, re.M)
    assert f"questions: {len(timing.bench_questions())} (dev set and blind set A)" in out
    assert re.search(r"^`natobot ask` start to answer \(cached build\): median \d+ ms; `python -c pass` \d+ ms; "
                     r"ratio \d+\.\dx \(target <= 8x\) (PASS|FAIL)", out, re.M)
    assert re.search(r"^declined question vs answered, .*ratio \d+\.\d\dx \(target <= 3x\); suggestions offered "
                     r"that are themselves answered: (\d+)/\1 (PASS|FAIL)$", out, re.M), "every suggestion answers"
