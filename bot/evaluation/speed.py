"""Issue 13's two figures for the terminal and the fallback, each a ratio measured in one run.

- `natobot ask` start to answer against `python -c pass` with the same interpreter: the two commands are
  run in turn (so a busy machine slows both alike), the median of each is taken, and the cached build is
  warmed first (a first run after a knowledge change rebuilds it, about a second).
- What a declined question (a fallback, an ambiguous name or "the sources do not say", with its
  suggestions) costs against an answered one, per `engine.ask`, over the dev set and blind set A. Every
  round empties the analyser's word caches and the engine's per-entry suggestion memo, so a declined
  question pays for every suggestion no earlier question of its round looked up. Every suggestion offered
  is asked in turn and must itself be answered.

`python -m bot.evaluation.speed` prints them; `natobot bench` (and so `make bench`) prints them too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.answering.engine import Engine

# Issue 13's targets: start to answer within 8x an interpreter that does nothing, and a declined
# question at most 3x an answered one.
STARTUP_RATIO_TARGET = 8.0
FALLBACK_RATIO_TARGET = 3.0


# The runs write and use bytecode as an installed natobot does: a shell that sets PYTHONDONTWRITEBYTECODE
# (as some containers do) would make every run compile the project's modules again.
_NO_BYTECODE = "PYTHONDONTWRITEBYTECODE"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != _NO_BYTECODE}
    env.update(extra)
    return env


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


@dataclass(frozen=True)
class Startup:
    ask_s: float
    floor_s: float
    pydantic_s: float  # `python -c "import bot.answering.answer"`: pydantic and the answer model, which `ask` needs
    cold_s: float  # `natobot ask` with an empty cache: the first run after a knowledge change
    runs: int

    @property
    def ratio(self) -> float:
        return self.ask_s / self.floor_s


def startup(ask_cmd: list[str], runs: int = 15, cold_runs: int = 3) -> Startup:
    """Median wall times of `ask_cmd`, `python -c pass` and `python -c "import bot.answering.answer"`, run in turn
    (a busy machine slows all three alike), after a warm-up run that fills the cache."""
    env = _env()
    _time(ask_cmd, env)
    times: dict[str, list[float]] = {"ask": [], "floor": [], "pydantic": []}
    for _ in range(runs):
        times["floor"].append(_time([sys.executable, "-c", "pass"], env))
        times["pydantic"].append(_time([sys.executable, "-c", "import bot.answering.answer"], env))
        times["ask"].append(_time(ask_cmd, env))
    cold: list[float] = []
    for _ in range(cold_runs):
        with tempfile.TemporaryDirectory(prefix="natobot-cold-") as empty:
            cold.append(_time(ask_cmd, _env(NATOBOT_CACHE_DIR=empty)))
    m = {k: statistics.median(v) for k, v in times.items()}
    return Startup(m["ask"], m["floor"], m["pydantic"], statistics.median(cold), runs)


@dataclass(frozen=True)
class Fallback:
    answered_ms: float
    declined_ms: float
    answered: int  # questions per round
    declined: int
    suggestions: int  # distinct suggestions offered by declined questions
    suggestions_answered: int

    @property
    def ratio(self) -> float:
        return self.declined_ms / self.answered_ms


def forget(engine: Engine) -> None:
    """Empty every memo keyed by what users type, and the per-entry suggestion memo."""
    from bot.evaluation.timing import clear_caches

    clear_caches(engine)
    engine.forget_suggestions()


def fallback(engine: Engine, questions: list[str], rounds: int = 10) -> Fallback:
    answered: list[float] = []
    declined: list[float] = []
    offered: set[str] = set()
    for _ in range(rounds):
        forget(engine)
        for q in questions:
            t0 = time.perf_counter()
            answer = engine.ask(q)
            elapsed = time.perf_counter() - t0
            if answer.answered:
                answered.append(elapsed)
            elif answer.status in ("fallback", "ambiguous", "no-data"):
                declined.append(elapsed)
                offered.update(answer.suggestions)
    good = sum(engine.ask(s).answered for s in offered)
    return Fallback(
        answered_ms=statistics.median(answered) * 1000, declined_ms=statistics.median(declined) * 1000,
        answered=len(answered) // rounds, declined=len(declined) // rounds,
        suggestions=len(offered), suggestions_answered=good,
    )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(s: Startup, f: Fallback, ask_cmd: list[str]) -> str:
    start_ok = s.ratio <= STARTUP_RATIO_TARGET
    fall_ok = f.ratio <= FALLBACK_RATIO_TARGET and f.suggestions_answered == f.suggestions
    name = Path(ask_cmd[0]).name
    return "\n".join([
        f"`{name} ask` start to answer (cached build): median {s.ask_s * 1000:.0f} ms; `python -c pass` "
        f"{s.floor_s * 1000:.0f} ms; ratio {s.ratio:.1f}x (target <= {STARTUP_RATIO_TARGET:g}x) {_verdict(start_ok)} "
        f"({s.runs} runs of each, in turn)",
        f"  of which `python -c \"import bot.answering.answer\"` (pydantic and the answer model): "
        f"{s.pydantic_s * 1000:.0f} ms "
        f"({s.pydantic_s / s.floor_s:.1f}x); first run after a knowledge change (empty cache): "
        f"{s.cold_s * 1000:.0f} ms ({s.cold_s / s.floor_s:.1f}x)",
        f"declined question vs answered, per engine.ask (suggestion memo emptied each round): median "
        f"{f.declined_ms:.3f} ms ({f.declined} a round) vs {f.answered_ms:.3f} ms ({f.answered}); ratio "
        f"{f.ratio:.2f}x (target <= {FALLBACK_RATIO_TARGET:g}x); suggestions offered that are themselves answered: "
        f"{f.suggestions_answered}/{f.suggestions} {_verdict(fall_ok)}",
    ])


def run(
    data: Path | None = None, *, rounds: int = 10, runs: int = 15, cold_runs: int = 3, engine: Engine | None = None,
    questions: list[str] | None = None,
) -> str:
    from bot.evaluation.timing import STARTUP_QUESTION as question
    from bot.evaluation.timing import bench_questions, natobot_command

    cmd = natobot_command() + (["--data", str(data)] if data else []) + ["ask", question]
    engine = engine or Engine.load(data)
    return report(startup(cmd, runs, cold_runs), fallback(engine, questions or bench_questions(), rounds), cmd)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--rounds", type=int, default=10, help="rounds over the questions (fallback cost)")
    p.add_argument("--runs", type=int, default=15, help="runs of each command (start-up)")
    args = p.parse_args(argv)
    print(run(args.data, rounds=args.rounds, runs=args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
