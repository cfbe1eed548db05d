"""`natobot bench` / `make bench`: match time per question and start-up time.

Match time is measured on the labelled dev set, every question matched once per round, with
the typo cache cleared before each round so that repeated rounds do not flatter the figure.
Start-up is the wall time of a fresh `natobot ask` process, from exec to answer printed.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.engine import Engine
from bot.evaluate import load_set
from bot.stats import percentile


def match_times(engine: Engine, questions: list[str], rounds: int) -> list[float]:
    times: list[float] = []
    matcher = engine.matcher
    for _ in range(rounds):
        matcher._correct.cache_clear()
        for q in questions:
            t0 = time.perf_counter()
            matcher.match(q)
            times.append(time.perf_counter() - t0)
    return times


def answer_times(engine: Engine, questions: list[str]) -> list[float]:
    times: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        engine.ask(q)
        times.append(time.perf_counter() - t0)
    return times


def startup_times(data: Path | None, runs: int) -> list[float]:
    cmd = [sys.executable, "-m", "bot"]
    if data:
        cmd += ["--data", str(data)]
    cmd += ["ask", "who heads the IMS?"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def run_bench(data: Path | None = None, *, rounds: int = 20, startup_runs: int = 5) -> str:
    t0 = time.perf_counter()
    engine = Engine.load(data)
    load_s = time.perf_counter() - t0
    questions = [item.q for item in load_set()]
    mt = [t * 1000 for t in match_times(engine, questions, rounds)]
    at = [t * 1000 for t in answer_times(engine, questions)]
    st = startup_times(data, startup_runs)
    return "\n".join([
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{len(engine.kb.entries)} entries, {len(questions)} questions x {rounds} rounds",
        f"knowledge base load + catalogue build (in process): {load_s * 1000:.0f} ms",
        f"match per question:  median {statistics.median(mt):.3f} ms   p99 {percentile(mt, 99):.3f} ms"
        f"   max {max(mt):.3f} ms",
        f"full answer (match + compose): median {statistics.median(at):.3f} ms   p99 {percentile(at, 99):.3f} ms",
        f"`natobot ask` start to answer: median {statistics.median(st) * 1000:.0f} ms"
        f"   max {max(st) * 1000:.0f} ms ({startup_runs} runs)",
        "targets: median match <= 0.1 ms; start to answer <= 1000 ms",
    ])
