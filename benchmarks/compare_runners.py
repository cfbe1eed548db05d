"""The methods benchmarks.compare puts in its dev-set table, and how each is measured.

natobot (strict and entry-level) and each baseline answer every question in-process, timed per query
call; start-up and peak memory come from a fresh worker process per method (`--worker`), which imports
only its own method's libraries.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.baselines.common import (
    Baseline,
    Labelled,
    Metrics,
    Prediction,
    choose_threshold,
    lenient_verdict,
    summarise,
    top,
)
from benchmarks.baselines.measure import clear_caches, missing_extra, timed, tune_torch_threads
from bot.evaluation.stats import percentile

if TYPE_CHECKING:
    from bot.answering.answer import Answer
    from bot.evaluation.evaluate import Item

BASELINES = ("bm25", "embedding", "naive")
METHODS = ("natobot", *BASELINES)
LABELS = {
    "natobot": "natobot",
    "bm25": "BM25 (rank-bm25)",
    "embedding": "embedding (MiniLM-L6)",
    "naive": "naive (rapidfuzz)",
}
# The question a worker answers to measure start-up, as bot.evaluation.bench's `natobot ask` does.
WORKER_QUESTION = "who heads the IMS?"
# A worker that cannot import its method's extra exits with this code.
EXIT_MISSING_EXTRA = 3


@dataclass
class Row:
    key: str
    label: str
    judging: str  # "strict" (bot.evaluation.evaluate.judge) or "entry-level" (lenient_verdict)
    metrics: Metrics
    times_ms: list[float]
    threshold: float | None = None
    startup_s: float | None = None
    peak_rss_mb: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p99_ms(self) -> float:
        return percentile(self.times_ms, 99)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.key,
            "label": self.label,
            "judging": self.judging,
            **self.metrics.as_dict(),
            "median_ms": self.median_ms,
            "p99_ms": self.p99_ms,
            "timed_queries": len(self.times_ms),
            # JSON has no infinity: a refuse-everything threshold is written as null.
            "threshold": self.threshold if self.threshold is None or self.threshold < float("inf") else None,
            "startup_s": self.startup_s,
            "peak_rss_mb": self.peak_rss_mb,
            **self.extra,
        }


# -- the methods -----------------------------------------------------------------------------------

def make_baseline(name: str) -> Baseline:
    if name == "bm25":
        from benchmarks.baselines.bm25 import BM25Baseline

        return BM25Baseline()
    if name == "embedding":
        from benchmarks.baselines.embedding import EmbeddingBaseline

        return EmbeddingBaseline()
    if name == "naive":
        from benchmarks.baselines.naive import NaiveBaseline

        return NaiveBaseline()
    raise ValueError(f"unknown baseline {name!r}")


def _answered_entry(answer: Answer) -> str | None:
    if not answer.answered:
        return None
    return next((p.entry for p in answer.parts if p.answered), answer.entry)


def run_natobot(items: Sequence[Item], questions: Sequence[str], rounds: int) -> list[Row]:
    from bot.answering.engine import Engine
    from bot.evaluation.evaluate import judge

    engine = Engine.load()
    engine.ask(WORKER_QUESTION)  # warm: a running bot has answered before
    ask_ms, answers = timed(engine.ask, questions, rounds, lambda: clear_caches(engine))
    rank_ms, _ = timed(engine.rank, questions, rounds, lambda: clear_caches(engine))
    strict = [judge(i, a) for i, a in zip(items, answers, strict=True)]
    lenient = [lenient_verdict(i, _answered_entry(a)) for i, a in zip(items, answers, strict=True)]
    extra = {"rank_median_ms": statistics.median(rank_ms), "rank_p99_ms": percentile(rank_ms, 99)}
    return [
        Row("natobot", "natobot (strict judge)", "strict", summarise(items, strict), ask_ms, extra=extra),
        Row("natobot-entry", "natobot (entry-level)", "entry-level", summarise(items, lenient), ask_ms,
            extra=extra),
    ]


def run_baseline(name: str, items: Sequence[Labelled], questions: Sequence[str], rounds: int) -> Row:
    from knowledge import loader

    baseline = make_baseline(name)
    t0 = time.perf_counter()
    baseline.build(loader.load())
    build_s = time.perf_counter() - t0
    baseline.query(WORKER_QUESTION)  # warm, as for natobot
    threads = tune_torch_threads(baseline.query, questions) if name == "embedding" else None
    times, hits = timed(baseline.query, questions, rounds)
    predictions: list[Prediction] = [top(h) for h in hits]
    choice = choose_threshold(items, predictions)
    extra: dict[str, Any] = {"in_process_build_s": build_s}
    if hasattr(baseline, "passage_count"):
        extra["passages"] = baseline.passage_count
    if threads is not None:
        extra["torch_threads"] = threads
    return Row(name, LABELS[name], "entry-level", choice.metrics, times, threshold=choice.threshold, extra=extra)


# -- start-up and memory, in fresh processes -------------------------------------------------------

def worker(name: str) -> int:
    """Import, build and answer one question; print when the answer was ready and the peak RSS."""
    if name == "natobot":
        from bot.answering.engine import Engine

        answer = Engine.load().ask(WORKER_QUESTION)
        got = answer.entry
    else:
        reason = missing_extra(name)
        if reason:
            print(reason, file=sys.stderr)
            return EXIT_MISSING_EXTRA
        from knowledge import loader

        baseline = make_baseline(name)
        baseline.build(loader.load())
        hit = top(baseline.query(WORKER_QUESTION))
        got = hit.entry
    ready = time.time()
    rss_mb = peak_rss_mb()
    print(json.dumps({"method": name, "ready": ready, "peak_rss_mb": rss_mb, "entry": got}))
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident set size.

    VmHWM, not ru_maxrss: Linux carries the forking parent's peak over into a child's ru_maxrss
    across exec, so a worker forked from a parent holding torch would report torch's memory.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def startup(name: str, runs: int) -> tuple[float, float]:
    """Median seconds from process start to first answer, and the largest peak RSS in MB."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    seconds: list[float] = []
    rss: list[float] = []
    for _ in range(runs):
        # Wall clock on both sides: the child stamps the moment its first answer was ready.
        t0 = time.time()
        proc = subprocess.run([sys.executable, "-m", "benchmarks.compare", "--worker", name],
                              capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{name} worker failed ({proc.returncode}): {last}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        seconds.append(report["ready"] - t0)
        rss.append(report["peak_rss_mb"])
    return statistics.median(seconds), max(rss)
