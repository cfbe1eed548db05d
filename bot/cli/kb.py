"""`natobot kb ...`: tools for the people who curate the knowledge base."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from knowledge import loader

# Where the source documents are looked for when --seeds is not given: $NATOBOT_SEEDS, then
# ../shared/seeds beside the checkout, then ../shared/seeds from the working directory.
_SEED_CANDIDATES = (
    Path(__file__).resolve().parents[3] / "shared" / "seeds",
    Path("../shared/seeds"),
)


def seeds_dir(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    env = os.environ.get("NATOBOT_SEEDS")
    if env:
        return Path(env)
    return next((p for p in _SEED_CANDIDATES if p.is_dir()), None)


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.units import build_units

    kb = loader.load(args.data)
    found = list(loader.problems(kb))
    for p in found:
        out.write(p + "\n")
    if found:
        out.write(f"{len(found)} problem(s) in the knowledge base\n")
        return 1
    units = build_units(kb)
    out.write(f"knowledge base OK: {len(kb.entries)} entries, {len(kb.facts)} facts, {len(units)} units, "
              f"{len(kb.intents)} intents, {len(kb.documents)} source documents\n")
    return 0


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.engine import Engine
    from knowledge.extract import extract_files

    rows = extract_files([Path(f) for f in args.files], Engine.load(args.data).catalogue.aliases)
    unknown = 0
    for row in rows:
        status = f"known: {row.entry}" if row.entry else "UNKNOWN"
        unknown += row.entry is None
        out.write(f"{row.acronym:<14} {row.name:<70} {status}\n")
    out.write(f"{len(rows)} defined names, {len(rows) - unknown} known, {unknown} unknown\n")
    return 0


def cmd_coverage(args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.units import build_units
    from knowledge.coverage import Carriers, report

    kb = loader.load(args.data)
    seeds = seeds_dir(args.seeds)
    if seeds is None or not seeds.is_dir():
        out.write("natobot kb coverage: no source documents found; give --seeds DIR or set NATOBOT_SEEDS\n")
        return 2
    docs = []
    for doc in kb.documents.values():
        path = seeds / doc.file
        if not path.exists():
            out.write(f"natobot kb coverage: {path}: missing (document {doc.id!r})\n")
            return 2
        docs.append((doc.id, path.read_text(encoding="utf-8", errors="replace")))
    units = build_units(kb)
    names = [n for e in kb.entries.values() for n in [e.title, *e.aliases]]
    carriers = Carriers([f"{u.text} {u.caveat or ''}" for u in units], names)
    ignores = kb.coverage_ignore
    found, missing, ignored = report(docs, carriers, ignores)
    for item in missing:
        out.write(f"{item.doc}:{item.line}: {item.kind}: {item.text}\n")
    covered = len(found) - len(missing) - len(ignored)
    out.write(
        f"{len(found)} numbers, dates and names in {len(docs)} documents: {covered} carried by a unit, "
        f"{len(ignored)} ignored with a reason (the facts files' `ignore:`), {len(missing)} not carried\n"
    )
    return 1 if missing and args.strict else 0


def cmd_units(args: argparse.Namespace, out: TextIO) -> int:
    from bot.answering.units import build_units

    kb = loader.load(args.data)
    needle = (args.grep or "").lower()
    shown = 0
    for u in build_units(kb):
        if args.entry and args.entry not in (u.entry, *u.also):
            continue
        if needle and needle not in f"{u.text} {u.caveat or ''}".lower():
            continue
        shown += 1
        out.write(f"[{u.uid}] {u.entry} ({u.aspect}): {u.text}\n")
        if args.verbose:
            cites = "; ".join(f"{c.doc} §{c.section}" for c in u.citations)
            out.write(f"      sources: {cites}\n      origin: {u.origin}\n")
            if u.caveat:
                out.write(f"      caveat: {u.caveat}\n")
    out.write(f"{shown} unit(s)\n")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = sub.add_parser("kb", help="knowledge-base tools")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate the knowledge base")
    check.set_defaults(func=cmd_check)
    extract = kb_sub.add_parser("extract", help="list names a document defines, e.g. 'Full Name (ACR)'")
    extract.add_argument("files", nargs="+")
    extract.set_defaults(func=cmd_extract)
    coverage = kb_sub.add_parser(
        "coverage", help="list the numbers, dates and proper names of the source documents no unit carries"
    )
    coverage.add_argument("--seeds", type=Path, default=None, help="the source documents' directory")
    coverage.add_argument("--strict", action="store_true", help="exit 1 when anything is not carried")
    coverage.set_defaults(func=cmd_coverage)
    units = kb_sub.add_parser("units", help="list the knowledge units (one statement each)")
    units.add_argument("--entry", help="only units about this entry id")
    units.add_argument("--grep", help="only units whose text holds this (case-insensitive)")
    units.add_argument("-v", "--verbose", action="store_true", help="show sources, origin and caveat")
    units.set_defaults(func=cmd_units)
