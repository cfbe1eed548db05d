"""What every comparison run shares: timing one call per question, tuning torch's threads, emptying
natobot's caches between rounds, and saying in one line why a baseline cannot run here.

Both comparisons use it, the dev-set table (benchmarks.compare) and the blind sets
(benchmarks.baselines.blind_compare), so it sits below both and imports neither.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from bot.answering.engine import Engine

T = TypeVar("T")

# Torch's thread count for encoding one question: its default (one per core) and a single thread
# are each timed on this many questions and the faster is kept. One thread often wins for batch
# size 1, and by far on a busy machine; the baseline gets whichever is better for it.
THREAD_CALIBRATION_QUESTIONS = 60


def missing_extra(name: str) -> str | None:
    """Why a method cannot run here, in one line, or None when it can."""
    import importlib.util

    if name == "bm25" and importlib.util.find_spec("rank_bm25") is None:
        return "BM25 skipped: rank-bm25 is not installed (pip install -e '.[dev]')"
    if name == "embedding":
        from benchmarks.baselines.embedding import missing_modules

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


def clear_caches(engine: Engine) -> None:
    # As bot.evaluation.bench does: the analyser's word caches are emptied every round so repeated rounds do not
    # flatter natobot. Imported here, not above: bot.evaluation.bench loads the engine, which a baseline's worker
    # process must not pay for.
    from bot.evaluation.timing import clear_caches as clear_engine_caches

    clear_engine_caches(engine)


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
