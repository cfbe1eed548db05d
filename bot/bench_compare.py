"""`python -m bot.bench_compare`: natobot against BM25, sentence embeddings and naive fuzzy matching.

On the dev set (tests/data/devset.yaml, issue 5) every method sees the same knowledge entries and is
printed as one row of one table. On the blind sets (tests/data/blind/, issue 9) natobot, BM25 and MiniLM
are judged as the maintainers judge natobot, by the facts in the reply's text: bot.baselines.blind_compare.

- natobot is judged by bot.evaluate.judge (strict: every entity and the expected facts must be in
  the answer text) with its shipped confidence threshold. It is also judged at entry level, as the
  baselines are, so the comparison can be read apples to apples.
- A baseline answers with its top entry, or falls back below its refusal threshold. Each threshold
  is the one that maximises overall accuracy on this very question set: tuning on the test set is
  optimistic for the baselines.
- Per-question time is the query call alone, every question once per round; start-up (process
  start to first answer) and peak RSS come from a fresh worker process per method.

Heavy imports (natobot's engine, rank_bm25, torch) happen inside functions, so a worker process
pays only for its own method.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.baselines.common import (
    Baseline,
    Labelled,
    Prediction,
    choose_threshold,
    lenient_verdict,
    summarise,
    top,
)
from bot.bench_compare_table import BASELINES, WORKER_QUESTION, Row, format_table, notes, targets
from bot.stats import percentile

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.engine import Engine
    from bot.evaluate import Item

T = TypeVar("T")

METHODS = ("natobot", *BASELINES)
LABELS = {
    "natobot": "natobot",
    "bm25": "BM25 (rank-bm25)",
    "embedding": "embedding (MiniLM-L6)",
    "naive": "naive (rapidfuzz)",
}
# Timed passes over the whole question set, and fresh worker processes per method.
DEFAULT_ROUNDS = 5
DEFAULT_STARTUP_RUNS = 3
QUICK_ROUNDS = 1
QUICK_STARTUP_RUNS = 1
# Torch's thread count for encoding one question: its default (one per core) and a single thread
# are each timed on this many questions and the faster is kept. One thread often wins for batch
# size 1, and by far on a busy machine; the baseline gets whichever is better for it.
THREAD_CALIBRATION_QUESTIONS = 60
# A worker that cannot import its method's extra exits with this code.
EXIT_MISSING_EXTRA = 3


# -- the methods -----------------------------------------------------------------------------------

def make_baseline(name: str) -> Baseline:
    if name == "bm25":
        from bot.baselines.bm25 import BM25Baseline

        return BM25Baseline()
    if name == "embedding":
        from bot.baselines.embedding import EmbeddingBaseline

        return EmbeddingBaseline()
    if name == "naive":
        from bot.baselines.naive import NaiveBaseline

        return NaiveBaseline()
    raise ValueError(f"unknown baseline {name!r}")


def missing_extra(name: str) -> str | None:
    """Why a method cannot run here, in one line, or None when it can."""
    import importlib.util

    if name == "bm25" and importlib.util.find_spec("rank_bm25") is None:
        return "BM25 skipped: rank-bm25 is not installed (pip install -e '.[dev]')"
    if name == "embedding":
        from bot.baselines.embedding import missing_modules

        missing = missing_modules()
        if missing:
            return (f"embedding skipped: {', '.join(missing)} not installed "
                    "(pip install -e '.[bench]' installs the bench extra)")
    return None


def timed(call: Callable[[str], T], questions: Sequence[str], rounds: int,
          reset: Callable[[], None] | None = None) -> tuple[list[float], list[T]]:
    """Milliseconds per call over `rounds` passes, and the first pass's results."""
    times: list[float] = []
    first: list[T] = []
    for r in range(rounds):
        if reset is not None:
            reset()
        for q in questions:
            t0 = time.perf_counter()
            out = call(q)
            times.append((time.perf_counter() - t0) * 1000)
            if r == 0:
                first.append(out)
    return times, first


def _clear_caches(engine: Engine) -> None:
    # As bot.bench does: the analyser's word caches are emptied every round so repeated rounds do not
    # flatter natobot.
    from bot.bench import clear_caches

    clear_caches(engine)


def _answered_entry(answer: Answer) -> str | None:
    if not answer.answered:
        return None
    return next((p.entry for p in answer.parts if p.answered), answer.entry)


def run_natobot(items: Sequence[Item], questions: Sequence[str], rounds: int) -> list[Row]:
    from bot.engine import Engine
    from bot.evaluate import judge

    engine = Engine.load()
    engine.ask(WORKER_QUESTION)  # warm: a running bot has answered before
    ask_ms, answers = timed(engine.ask, questions, rounds, lambda: _clear_caches(engine))
    rank_ms, _ = timed(engine.rank, questions, rounds, lambda: _clear_caches(engine))
    strict = [judge(i, a) for i, a in zip(items, answers, strict=True)]
    lenient = [lenient_verdict(i, _answered_entry(a)) for i, a in zip(items, answers, strict=True)]
    extra = {"rank_median_ms": statistics.median(rank_ms), "rank_p99_ms": percentile(rank_ms, 99)}
    return [
        Row("natobot", "natobot (strict judge)", "strict", summarise(items, strict), ask_ms, extra=extra),
        Row("natobot-entry", "natobot (entry-level)", "entry-level", summarise(items, lenient), ask_ms,
            extra=extra),
    ]


def tune_torch_threads(call: Callable[[str], object], questions: Sequence[str]) -> int | None:
    """Set torch to the faster of its default thread count and one thread; None without torch."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    best: tuple[float, int] | None = None
    for n in sorted({torch.get_num_threads(), 1}, reverse=True):
        torch.set_num_threads(n)
        times, _ = timed(call, questions[:THREAD_CALIBRATION_QUESTIONS], 1)
        best = min(best or (math.inf, n), (statistics.median(times), n))
    assert best is not None
    torch.set_num_threads(best[1])
    return best[1]


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
        from bot.engine import Engine

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
        proc = subprocess.run([sys.executable, "-m", "bot.bench_compare", "--worker", name],
                              capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"{name} worker failed ({proc.returncode}): {last}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        seconds.append(report["ready"] - t0)
        rss.append(report["peak_rss_mb"])
    return statistics.median(seconds), max(rss)


# -- the report ------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        # Other work on the machine slows every method; a high load average means noisy timings.
        "load_average_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_compare", description=__doc__.splitlines()[0])
    parser.add_argument("--json-out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="one timed round and one start-up run per method")
    parser.add_argument("--rounds", type=int, help=f"timed rounds (default {DEFAULT_ROUNDS})")
    parser.add_argument("--startup-runs", type=int,
                        help=f"worker processes per method (default {DEFAULT_STARTUP_RUNS})")
    parser.add_argument("--only", choices=BASELINES, action="append", help="run only these baselines")
    parser.add_argument("--blind", type=Path, action="append", metavar="FILE",
                        help="blind-style question set to compare on (repeatable; default: tests/data/blind/set_a.yaml "
                             "and set_b.yaml)")
    parser.add_argument("--grain", choices=("units", "entries"), action="append",
                        help="what the baselines search on the blind sets (default: both)")
    parser.add_argument("--no-blind", action="store_true", help="compare on the dev set only")
    parser.add_argument("--blind-only", action="store_true", help="compare on the blind sets only")
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        return worker(args.worker)

    started = time.perf_counter()
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    startup_runs = args.startup_runs or (QUICK_STARTUP_RUNS if args.quick else DEFAULT_STARTUP_RUNS)
    payload: dict[str, Any] = {"rounds": rounds}
    lines: list[str] = []
    if not args.blind_only:
        dev_lines, dev_payload = compare_on_dev_set(args.only or BASELINES, rounds, startup_runs)
        lines += dev_lines
        payload.update(dev_payload)
    if not args.no_blind:
        lines += _compare_on_blind_sets(args, rounds, payload)

    info = machine()
    info["load_average_1m_at_start"] = load_at_start
    date = datetime.now(UTC).isoformat(timespec="seconds")
    elapsed = time.perf_counter() - started
    lines += ["", f"machine: {info['cpu']}, {info['cores']} cores, {info['python']}, {info['platform']}"
              + (f"; load average {load_at_start:.2f} at start, {info['load_average_1m']:.2f} at end"
                 if load_at_start is not None else ""),
              f"date: {date}; benchmark took {elapsed:.0f} s"
              + ("" if args.blind_only else f" (start-up medians over {startup_runs} run(s))")]
    print("\n".join(lines))

    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"date": date, "machine": info, "elapsed_s": elapsed, **payload}
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json_out}")
    return 0


def _compare_on_blind_sets(args: argparse.Namespace, rounds: int, payload: dict[str, Any]) -> list[str]:
    """The blind-set tables (issue 9), as lines; their results go into `payload`."""
    from bot.baselines import blind_compare

    rankers = tuple(n for n in (args.only or blind_compare.RANKERS) if n in blind_compare.RANKERS)
    results, skipped = blind_compare.run(args.blind or list(blind_compare.DEFAULT_SETS), rounds=rounds,
                                         rankers=rankers, grains=tuple(args.grain or ("units", "entries")))
    lines = ["", *(f"{r}" for r in skipped.values()), *blind_compare.NOTES]
    for result in results:
        lines += ["", blind_compare.format_result(result)]
    payload["blind"] = blind_compare.as_json(results)
    payload["blind_skipped"] = skipped
    return lines


def compare_on_dev_set(baselines: Sequence[str], rounds: int, startup_runs: int) -> tuple[list[str], dict[str, Any]]:
    """The dev-set table (issue 5): natobot strict and entry-level, each baseline entry-level."""
    from bot.evaluate import load_set

    items = load_set()
    questions = [i.q for i in items]
    rows = run_natobot(items, questions, rounds)
    skipped: dict[str, str] = {}
    for name in baselines:
        reason = missing_extra(name)
        if reason:
            print(reason)
            skipped[name] = reason
            continue
        rows.append(run_baseline(name, items, questions, rounds))
    for key in ("natobot", *(r.key for r in rows if r.key in BASELINES)):
        secs, rss = startup(key, startup_runs)
        for r in rows:
            if r.key == key or (key == "natobot" and r.key == "natobot-entry"):
                r.startup_s, r.peak_rss_mb = secs, rss
    checks = targets(rows)
    lines = ["== dev set tests/data/devset.yaml (training questions; baselines judged by entry)", format_table(rows),
             ""]
    lines += notes(rows, rounds, len(items))
    lines += ["", "targets:"] + [f"  {c['target']}: {c['status']}  {c['detail']}" for c in checks]
    payload = {
        "startup_runs": startup_runs, "worker_question": WORKER_QUESTION, "rows": [r.as_dict() for r in rows],
        "targets": checks, "notes": notes(rows, rounds, len(items)), "skipped": skipped,
    }
    return lines, payload


if __name__ == "__main__":
    sys.exit(main())
