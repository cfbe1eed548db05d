"""`natobot bench`: time per question of `engine.ask`, and `natobot ask` from start to answer.

Per-question time is measured on the dev set's questions and blind set A's (questions and conversation
turns, each asked on its own), every question once per round. The analyser's caches (typo corrections,
stems) are emptied before each round, so that repeated rounds do not flatter the figure: a
question pays for the words no earlier question of its round has used. Start to answer is the wall time of
a fresh `natobot ask` process, from exec to the answer printed.
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import time
from pathlib import Path

from bot.answering.engine import Engine
from bot.evaluation import speed as bench_speed
from bot.evaluation.stats import percentile
from bot.evaluation.timing import STARTUP_QUESTION, ask_times, bench_questions, natobot_command

# Issue 9's targets, on the development machine.
MEDIAN_TARGET_MS = 0.2
P99_TARGET_MS = 5.0
STARTUP_TARGET_S = 0.5


def startup_times(data: Path | None, runs: int) -> list[float]:
    cmd = natobot_command()
    if data:
        cmd += ["--data", str(data)]
    cmd += ["ask", STARTUP_QUESTION]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run_bench(data: Path | None = None, *, rounds: int = 20, startup_runs: int = 5, speed_runs: int = 15,
              question_set: Path | None = None) -> str:
    t0 = time.perf_counter()
    engine = Engine.load(data)
    load_s = time.perf_counter() - t0
    questions = bench_questions(question_set)
    engine.ask(STARTUP_QUESTION)  # a running bot has answered before; the rounds empty its caches anyway
    ms = [t * 1000 for t in ask_times(engine, questions, rounds)]
    st = startup_times(data, startup_runs)
    median, p99, start = statistics.median(ms), percentile(ms, 99), statistics.median(st)
    return "\n".join([
        f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
        f"{len(engine.kb.entries)} entries, {len(engine.units)} units",
        f"questions: {len(questions)} (dev set and blind set A) x {rounds} rounds, caches emptied each round",
        f"knowledge base load + engine build (in process): {load_s * 1000:.0f} ms",
        f"engine.ask per question: median {median:.3f} ms   p95 {percentile(ms, 95):.3f} ms   "
        f"p99 {p99:.3f} ms   max {max(ms):.3f} ms",
        f"`natobot ask` start to answer: median {start * 1000:.0f} ms   max {max(st) * 1000:.0f} ms "
        f"({startup_runs} runs of {' '.join(natobot_command())} ask ...)",
        f"targets: median <= {MEDIAN_TARGET_MS} ms {_verdict(median <= MEDIAN_TARGET_MS)}; "
        f"p99 <= {P99_TARGET_MS:g} ms {_verdict(p99 <= P99_TARGET_MS)}; "
        f"start to answer <= {STARTUP_TARGET_S * 1000:.0f} ms {_verdict(start <= STARTUP_TARGET_S)}",
        # Issue 13's figures, each a ratio measured in this run (bot/evaluation/speed.py).
        bench_speed.run(data, rounds=max(1, rounds // 2), runs=speed_runs, cold_runs=min(3, speed_runs),
                        engine=engine, questions=questions),
    ])
