"""`natobot eval` (and `eval --fit`) and `natobot bench`: how right and how fast the engine is."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the engine is imported lazily so `natobot --help` stays instant
    from bot.answering.engine import Engine

from bot.cli import ask

EXIT_USAGE = 2


def cmd_eval(args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluation.evaluate import evaluate, format_report, load_any

    engine = ask.load_engine(args)
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
    from bot.answering.context import Context
    from bot.evaluation import blind
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
    from bot.evaluation import report as eval_report

    report = eval_report.build(engine, items, name=str(args.set or "tests/data/devset.yaml"))  # type: ignore[arg-type]
    written = eval_report.write(report, args.report)
    out.write("\n" + "\n".join(eval_report.summary_lines(report)) + "\n")
    out.write("report: " + ", ".join(str(p) for p in written) + "\n")
    if len(written) == 1:
        out.write("(no PNG plots: matplotlib is not installed; pip install 'natobot[plots]')\n")


def _fit(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    from bot.evaluation.evaluate import load_set
    from bot.evaluation.fit import fit, from_dev, from_question_set, write_model
    from knowledge.loader import DATA_DIR, MODEL_FILE

    try:
        items = from_dev(load_set(args.set))
    except ValueError as exc:
        sys.stderr.write(f"natobot eval: {exc}\n")
        return EXIT_USAGE
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
    from bot.evaluation.bench import run_bench

    try:
        report = run_bench(args.data, rounds=args.rounds, question_set=args.set)
    except ValueError as exc:  # no question set to time (an installed natobot has none of its own)
        sys.stderr.write(f"natobot bench: {exc}\n")
        return EXIT_USAGE
    out.write(report + "\n")
    return 0


def add_commands(sub: Any) -> None:
    ev = sub.add_parser("eval", help="precision/recall on a labelled question set")
    ev.add_argument("--set", type=Path, default=None,
                    help="YAML question set (default: a checkout's tests/data/devset.yaml; required when installed)")
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
    bench.add_argument("--set", type=Path, default=None, metavar="FILE",
                       help="dev-style question set to time (default: a checkout's tests/data/devset.yaml)")
    bench.set_defaults(func=cmd_bench)
