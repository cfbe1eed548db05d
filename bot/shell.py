"""`natobot shell`: a terminal chat that keeps follow-up context."""

from __future__ import annotations

from typing import TextIO

from bot.engine import Engine
from bot.matcher import Context
from bot.render import plain

PROMPT = "natobot> "
GOODBYE = {"quit", "exit", "bye", ":q"}


def run_shell(engine: Engine, inp: TextIO, out: TextIO) -> int:
    interactive = inp.isatty()
    if interactive:
        out.write("natobot shell: ask about NATO's IMS, the command structure, policy alignment or the "
                  "U.S. Mission's strategy. 'new' forgets the subject, 'quit' leaves.\n")
    context = Context()
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = inp.readline()
        if not line:
            break
        question = line.strip()
        if question.lower() in GOODBYE:
            break
        if question.lower() in {"new", "reset"}:
            context = Context()
            out.write("(context cleared)\n\n")
            continue
        if not question and not interactive:
            continue
        out.write(plain.render(engine.ask(question, context)) + "\n\n")
        out.flush()
    return 0
