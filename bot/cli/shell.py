"""`natobot shell`: a terminal chat that keeps follow-up context.

On a terminal it has line editing and history (readline), Ctrl-C cancels the line being typed, and
answers wrap to the terminal's width. With `--json`, or when stdin is not a terminal, it reads one
question per line and prints one answer per line; `new` forgets the subject and prints nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.render import as_json, plain

PROMPT = "natobot> "
GOODBYE = frozenset({"quit", "exit", "bye", ":q"})
FORGET = frozenset({"new", "reset"})
HISTORY_FILE = Path(os.environ.get("NATOBOT_HISTORY", Path.home() / ".natobot_history"))
# Answers are never wrapped narrower than this, however narrow the terminal.
MIN_WIDTH = 40
BANNER = (
    "natobot shell: ask about NATO's IMS, the command structure, defence policy alignment or the U.S. "
    "Mission's strategy.\nFollow-ups keep the subject (\"who heads it?\"). Commands: 'new' forgets the subject, "
    "'help' shows this, 'quit' (or Ctrl-D) leaves; Ctrl-C cancels the line.\n"
)


def run_json(engine: Engine, inp: TextIO, out: TextIO) -> int:
    """One JSON object per question line, in order; `new` forgets the subject and prints nothing."""
    context = Context()
    for line in inp:
        question = line.strip()
        if question.lower() in FORGET:
            context = Context()
            continue
        out.write(as_json.render(engine.ask(question, context)) + "\n")
        out.flush()
    return 0


def run_shell(engine: Engine, inp: TextIO, out: TextIO, *, json_lines: bool = False) -> int:
    if json_lines:
        return run_json(engine, inp, out)
    interactive = inp.isatty()
    read = _line_reader(inp, out) if interactive else None
    if interactive:
        out.write(BANNER + "\n")
    context = Context()
    while True:
        line = _next_line(read, inp, out)
        if line is None:
            break
        question = line.strip()
        if question.lower() in GOODBYE:
            break
        if question.lower() in FORGET:
            context = Context()
            out.write("(context cleared)\n\n")
            continue
        if question.lower() == "help" and interactive:
            out.write(BANNER + "\n")
            continue
        if not question and not interactive:
            continue
        width = max(MIN_WIDTH, shutil.get_terminal_size((plain.WIDTH, 24)).columns - 1) if interactive else plain.WIDTH
        out.write(plain.render(engine.ask(question, context), width=width) + "\n\n")
        out.flush()
    _save_history()
    return 0


def _next_line(read: Callable[[str], str] | None, inp: TextIO, out: TextIO) -> str | None:
    """The next line typed (with `read`) or piped in; None at the end of input."""
    if read is None:
        return inp.readline() or None
    while True:
        try:
            return read(PROMPT)
        except KeyboardInterrupt:
            out.write("\n")  # Ctrl-C cancels the line, not the shell
        except EOFError:
            out.write("\n")
            return None


def _line_reader(inp: TextIO, out: TextIO) -> Callable[[str], str]:
    """input() with readline's editing and history where the platform has it."""
    try:
        import readline
    except ImportError:  # not on every platform; plain input still works
        return input
    with contextlib.suppress(OSError):  # no history yet, or not readable: start afresh
        readline.read_history_file(HISTORY_FILE)
    readline.set_history_length(1000)
    return input


def _save_history() -> None:
    try:
        import readline

        readline.write_history_file(HISTORY_FILE)
    except (ImportError, OSError):
        pass  # history is a convenience; never fail the shell over it
