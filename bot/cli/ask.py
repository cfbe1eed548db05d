"""`natobot ask`, `shell` and `catalogue`: the engine from the terminal, answered as Slack answers."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the engine is imported lazily so `natobot --help` stays instant
    from bot.answering.engine import Engine

def load_engine(args: argparse.Namespace) -> Engine:
    # Importing the engine (pydantic with it) and loading its build create a million objects and free
    # almost none: the cyclic collector's passes over them are wasted, 5 ms of `natobot ask`'s 145. It is
    # paused until the engine is loaded, and what was loaded is frozen out of its sight (cache.load).
    enabled = gc.isenabled()
    gc.disable()
    try:
        from bot.answering.engine import Engine

        return Engine.load(args.data)
    finally:
        if enabled:
            gc.enable()


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    engine = load_engine(args)
    from bot.answering.context import Context
    from bot.render import as_json, plain

    if args.batch:
        if args.batch == "-":
            return _ask_lines(engine, sys.stdin, out, as_json=args.json)
        with open(args.batch, encoding="utf-8", errors="replace") as src:
            return _ask_lines(engine, src, out, as_json=args.json)
    question = " ".join(args.question)
    answer = engine.ask(question, Context())
    out.write((as_json.render(answer) if args.json else plain.render(answer)) + "\n")
    return 0


def _ask_lines(engine: Engine, src: TextIO, out: TextIO, *, as_json: bool) -> int:
    from bot.render import as_json as json_renderer
    from bot.render import plain

    for line in src:
        answer = engine.ask(line.rstrip("\n"))
        out.write((json_renderer.render(answer) if as_json else plain.render(answer) + "\n") + "\n")
        out.flush()
    return 0


def cmd_shell(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli.shell import run_shell

    return run_shell(load_engine(args), sys.stdin, out, json_lines=args.json)


def cmd_catalogue(args: argparse.Namespace, out: TextIO) -> int:
    from bot.cli.export import catalogue_dict

    data = catalogue_dict(load_engine(args))
    if args.json:
        out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    else:
        for e in data["entries"]:
            out.write(f"{e['id']:<28} {e['kind']:<22} {e['title']}\n")
        out.write(f"{len(data['entries'])} entries, {len(data['intents'])} intents\n")
    return 0



def add_commands(sub: Any) -> None:
    ask = sub.add_parser("ask", help="answer one question (or a batch)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("--batch", metavar="FILE", help="one question per line ('-' for stdin)")
    ask.set_defaults(func=cmd_ask)

    shell = sub.add_parser("shell", help="chat in the terminal, with follow-up context")
    shell.add_argument("--json", action="store_true",
                       help="read questions line by line, print one JSON answer per line ('new' forgets the subject)")
    shell.set_defaults(func=cmd_shell)

    cat = sub.add_parser("catalogue", help="list the entries and intents")
    cat.add_argument("--json", action="store_true")
    cat.set_defaults(func=cmd_catalogue)
