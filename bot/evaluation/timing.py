"""What both speed benchmarks (`natobot bench`, bot.evaluation.speed) time: the questions, the memos emptied
between rounds, the `natobot` command as a user runs it."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation.evaluate import load_set

# A checkout's blind set A; an installed natobot has none and times the dev set given with --set alone.
SET_A = Path(__file__).resolve().parents[2] / "tests" / "data" / "blind" / "set_a.yaml"
STARTUP_QUESTION = "who heads the IMS?"


def clear_caches(engine: Engine) -> None:
    """Empty the analyser's memos of words (typo corrections, stems, synonym groups), whatever they are
    called: they are keyed by what users type. The engine's per-entry suggestion memo stays: it is keyed by
    the knowledge base alone, at most one question per entry, and a running bot has filled it."""
    analyser = getattr(engine, "analyser", None)
    for value in vars(analyser).values() if analyser is not None else ():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


def bench_questions(dev_set: Path | None = None, blind_set: Path = SET_A) -> list[str]:
    """The dev set's questions (a checkout's, or `dev_set`), then blind set A's questions and conversation
    turns when the checkout has them."""
    questions = [item.q for item in load_set(dev_set)]
    if blind_set.exists():
        questions += blind.load(blind_set).asked()
    return questions


def ask_times(engine: Engine, questions: list[str], rounds: int = 1) -> list[float]:
    """Seconds per `engine.ask`, every question once per round, caches emptied before each round."""
    times: list[float] = []
    for _ in range(rounds):
        clear_caches(engine)
        for q in questions:
            t0 = time.perf_counter()
            engine.ask(q)
            times.append(time.perf_counter() - t0)
    return times


def natobot_command() -> list[str]:
    """The installed `natobot` script beside this Python, as a user runs it; else `python -m bot`."""
    script = Path(sys.executable).parent / "natobot"
    if script.exists():
        return [str(script)]
    found = shutil.which("natobot")
    return [found] if found else [sys.executable, "-m", "bot"]
