"""The `natobot` command line, composed from one module per command group (ask, quality, kb, serve, digest)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from bot.cli import ask, quality
from knowledge.errors import KnowledgeError

EXIT_USAGE = 2
# The sub-commands of bot.cli.ask and bot.cli.quality. For these the others' modules (the digest's, with asyncio,
# the Slack app's) are not imported at all: `natobot ask` starts in a fraction of the time.
CORE_COMMANDS = frozenset({"ask", "shell", "catalogue", "eval", "bench"})
# Commands that hold nothing to close or flush but their output when they end (no database, no log
# file, no event loop): the console script leaves them without tearing the interpreter down.
QUICK_EXIT_COMMANDS = frozenset({"ask", "catalogue"})


def build_parser(*, extensions: bool = True) -> argparse.ArgumentParser:
    """`extensions=False` leaves out the sub-commands that need the digest or the Slack app (run, serve, kb,
    digest ...), so a core command imports neither."""
    p = argparse.ArgumentParser(prog="natobot", description="Answers questions about NATO's IMS and more.")
    p.add_argument("--data", type=Path, default=None, help="knowledge directory (default: the packaged one)")
    sub = p.add_subparsers(dest="command", required=True)
    ask.add_commands(sub)
    quality.add_commands(sub)
    if not extensions:
        return p
    # Imported only when asked for: they pull in asyncio, the store and the Slack app.
    from bot.cli import digest, kb, serve

    kb.add_commands(sub)
    serve.add_commands(sub)
    digest.add_commands(sub)
    return p


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command named in argv: the first word that is neither an option nor --data's value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--data":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        # Bytes that are not UTF-8 must not end in a traceback, on input or output.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    out = out or sys.stdout
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(extensions=command_of(words) not in CORE_COMMANDS).parse_args(words)
    if args.command == "ask" and not args.batch and not args.question:
        sys.stderr.write("natobot ask: give a QUESTION, or --batch FILE\n")
        return EXIT_USAGE
    try:
        return int(args.func(args, out))
    except KnowledgeError as exc:
        sys.stderr.write(f"natobot: knowledge base error: {exc}\n")
        return 1
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            return 0
        # Reading the knowledge base or a question set, or writing a report: name the file either way.
        sys.stderr.write(f"natobot: {exc.filename or 'a file'}: {exc.strerror or exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


def run() -> NoReturn:
    """The console script. After `ask` it skips the interpreter's teardown: freeing the half a million
    objects of the engine one by one takes a quarter of the command's time, and the process is ending."""
    code = main()
    if command_of(sys.argv[1:]) not in QUICK_EXIT_COMMANDS:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # the reader went away (`natobot ask ... | head`): nothing more can be said
    except OSError:
        code = code or 1
    os._exit(code)
