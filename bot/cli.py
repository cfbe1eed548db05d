"""The `natobot` command line. Each sub-command is a thin call into a plain function."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from knowledge.errors import KnowledgeError

if TYPE_CHECKING:  # the engine is imported lazily so `natobot --help` stays instant
    from bot.engine import Engine

EXIT_USAGE = 2
# The sub-commands defined in this module. For these the others' modules (the digest's, with asyncio,
# the Slack app's) are not imported at all: `natobot ask` starts in a fraction of the time.
CORE_COMMANDS = frozenset({"ask", "shell", "catalogue", "eval", "bench"})
# Commands that hold nothing to close or flush but their output when they end (no database, no log
# file, no event loop): the console script leaves them without tearing the interpreter down.
QUICK_EXIT_COMMANDS = frozenset({"ask", "catalogue"})


def _engine(args: argparse.Namespace) -> Engine:
    from bot.engine import Engine

    return Engine.load(args.data)


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.context import Context
    from bot.render import as_json, plain

    engine = _engine(args)
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
    from bot.shell import run_shell

    return run_shell(_engine(args), sys.stdin, out, json_lines=args.json)


def cmd_catalogue(args: argparse.Namespace, out: TextIO) -> int:
    from bot.export import catalogue_dict

    data = catalogue_dict(_engine(args))
    if args.json:
        out.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    else:
        for e in data["entries"]:
            out.write(f"{e['id']:<28} {e['kind']:<22} {e['title']}\n")
        out.write(f"{len(data['entries'])} entries, {len(data['intents'])} intents\n")
    return 0


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluate import evaluate, format_report, load_any

    engine = _engine(args)
    if args.fit:
        return _fit(engine, args, out)
    try:
        loaded = load_any(args.set)
    except ValueError as exc:
        sys.stderr.write(f"natobot eval: {exc}\n")
        return EXIT_USAGE
    if not isinstance(loaded, list):
        return _eval_blind(engine, loaded, args, out)
    items = loaded
    result = evaluate(engine, items)
    out.write(format_report(result) + "\n")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result.summary(), indent=1) + "\n", encoding="utf-8")
    if args.report is not None:
        _write_report(engine, items, args, out)
    return 0


def _eval_blind(engine: Engine, loaded: object, args: argparse.Namespace, out: TextIO) -> int:
    """A question set labelled with facts (tests/data/blind, tests/data/train), scored as the
    maintainers score: `answered` and the facts in `text`, or `answered: false` for must-decline."""
    from bot import blind
    from bot.answering.context import Context
    from bot.render.as_json import to_dict

    assert isinstance(loaded, blind.BlindSet)

    def batch(questions: list[str]) -> list[dict[str, object]]:
        return [to_dict(engine.ask(q)) for q in questions]

    def conversation(questions: list[str]) -> list[dict[str, object]]:
        context = Context()
        return [to_dict(engine.ask(q, context)) for q in questions]

    result = blind.score(loaded, batch, conversation)
    summary = result.summary()
    out.write(blind.format_summary(summary) + "\n")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    if args.report is not None:
        _write_report(engine, loaded, args, out)
    return 0


def _write_report(engine: Engine, items: object, args: argparse.Namespace, out: TextIO) -> None:
    from bot import eval_report

    report = eval_report.build(engine, items, name=str(args.set or "tests/data/devset.yaml"))  # type: ignore[arg-type]
    written = eval_report.write(report, args.report)
    out.write("\n" + "\n".join(eval_report.summary_lines(report)) + "\n")
    out.write("report: " + ", ".join(str(p) for p in written) + "\n")
    if len(written) == 1:
        out.write("(no PNG plots: matplotlib is not installed; pip install 'natobot[plots]')\n")


def _fit(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.fit import fit, from_dev, from_question_set, write_model
    from bot.evaluate import load_set
    from knowledge.loader import DATA_DIR, MODEL_FILE

    items = from_dev(load_set(args.set))
    names = [str(args.set or "tests/data/devset.yaml")]
    for path in args.train:
        items += from_question_set(path)
        names.append(str(path))
    model, report = fit(engine, items, set_name=" + ".join(names))
    target = (args.data or DATA_DIR) / MODEL_FILE
    write_model(model, target)
    cv = report["cross_validated"]
    out.write(
        f"fitted on {report['questions']} questions ({report['rows']} candidate rows); threshold {model.threshold:.2f} "
        f"(cross-validated: overall {cv['overall']:.1%}, in-scope right {cv['in_scope_right']:.1%}, "
        f"correct fallback {cv['fallback']:.1%}, confidently wrong {cv['confidently_wrong']:.1%})\n"
        f"wrote {target}\n"
    )
    return 0


def cmd_bench(args: argparse.Namespace, out: TextIO) -> int:
    from bot.bench import run_bench

    out.write(run_bench(args.data, rounds=args.rounds) + "\n")
    return 0


def build_parser(*, extensions: bool = True) -> argparse.ArgumentParser:
    """`extensions=False` leaves out the sub-commands defined elsewhere (run, serve, kb, digest ...)."""
    p = argparse.ArgumentParser(prog="natobot", description="Answers questions about NATO's IMS and more.")
    p.add_argument("--data", type=Path, default=None, help="knowledge directory (default: the packaged one)")
    sub = p.add_subparsers(dest="command", required=True)

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

    ev = sub.add_parser("eval", help="precision/recall on a labelled question set")
    ev.add_argument("--set", type=Path, default=None, help="YAML question set (default: tests/data/devset.yaml)")
    ev.add_argument("--json-out", metavar="FILE", help="also write the figures as JSON")
    ev.add_argument("--report", type=Path, default=Path("eval-report"), metavar="DIR",
                    help="where to write the report: eval.json and PNG plots (default: ./eval-report)")
    ev.add_argument("--no-report", dest="report", action="store_const", const=None, help="skip the report")
    ev.add_argument("--fit", action="store_true",
                    help="fit the scorer's weights and threshold on the dev set (+ --train sets) and write model.yaml")
    ev.add_argument("--train", type=Path, action="append", default=[], metavar="FILE",
                    help="with --fit: also train on this question set (labelled with facts); repeatable")
    ev.set_defaults(func=cmd_eval)

    bench = sub.add_parser("bench", help="match time per question and start-up time")
    bench.add_argument("--rounds", type=int, default=20)
    bench.set_defaults(func=cmd_bench)
    if not extensions:
        return p

    from bot.cli_ext import add_commands
    from bot.cli_kb import add_commands as add_kb_commands
    from bot.digest_cli import add_commands as add_digest_commands

    add_kb_commands(sub)
    add_commands(sub)
    add_digest_commands(sub)
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
