"""`python -m benchmarks.growth`: answer time as the knowledge base grows to 10x and 100x its size.

The real knowledge base has 131 entries and about two hundred and sixty facts. To see how the engine
scales, this adds SYNTHETIC entries, and SYNTHETIC facts about them in the same proportion to entries as
the real ones, invented for benchmarking only, until the total is 1x, 10x, 100x the real entry count, and
measures at each size: engine build time and memory, the units the engine cuts them into, `engine.ask`
time per question (median, p95, p99) on the dev set and blind set A, and whether accuracy on those real
questions holds up. Results go to docs/benchmarks/growth.json and growth.png and a table on stdout.

The synthetic entries and facts, and how they are labelled, come from benchmarks.growth_synthetic; this
module owns the measuring at each size, the table, the plot and the command line. Invented names can
still be close to real words (a typo of a real name may now be nearer an invented one): that is part of
what the accuracy columns measure.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.growth_synthetic import (
    SEED,
    SYNTHETIC_MARK,
    SYNTHETIC_PREFIX,
    SYNTHETIC_SECTION,
    all_synthetic,
    facts_for,
    grown,
)
from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation.evaluate import Item, evaluate, load_set
from bot.evaluation.stats import percentile
from bot.evaluation.timing import SET_A, ask_times
from bot.render.as_json import to_dict
from knowledge import loader

DEFAULT_FACTORS = (1.0, 10.0, 100.0)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"
# Issue 9: a knowledge base ten times larger keeps engine.ask p95 under this.
P95_TARGET_MS = 5.0

def _stats(ms: list[float]) -> dict[str, float]:
    return {"median": statistics.median(ms), "p95": percentile(ms, 95), "p99": percentile(ms, 99), "max": max(ms)}


def _blind_summary(engine: Engine, questions: blind.BlindSet) -> dict[str, float]:
    s = blind.score(questions, lambda qs: [to_dict(engine.ask(q)) for q in qs], None).summary()
    return {k: s[k] for k in ("in_scope_right", "correct_fallback", "confidently_wrong")}


def _shape(kb: loader.KnowledgeBase, engine: Engine, build_s: float) -> dict[str, Any]:
    """How big this size is, as the engine sees it, and how long the engine took to build."""
    return {
        "entries": len(kb.entries),
        "synthetic_entries": sum(e.startswith(SYNTHETIC_PREFIX) for e in kb.entries),
        "facts": len(kb.facts),
        "synthetic_facts": sum(f.source.section == SYNTHETIC_SECTION for f in kb.facts),
        "units": len(engine.units),
        "vocabulary": len(engine.catalogue.vocabulary),
        "names": len(engine.catalogue.names),
        # Whether the fuzzy lookups use their index at this size.
        "typo_index": engine.catalogue.typo_index.indexed,
        "name_index": engine.catalogue.sorted_names.indexed,
        "build_s": build_s,
    }


def _traced_build(kb: loader.KnowledgeBase) -> tuple[Engine, float, float]:
    """An engine built under tracemalloc: it, the MiB it retains and the MiB at the build's peak."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    engine = Engine(kb)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return engine, (current - before) / 2**20, (peak - before) / 2**20


def _accuracy(engine: Engine, items: list[Item],
              baseline: list[tuple[str, str]] | None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The dev set's figures at this size, and each question's (answered entry, verdict)."""
    result = evaluate(engine, items)
    summary = result.summary()
    picked = [(o.answer.entry or "", o.verdict) for o in result.outcomes]
    changed = [
        {"q": item.q, "real": was[0] or None, "now": now[0] or None, "verdict_real": was[1], "verdict_now": now[1]}
        for item, was, now in zip(items, baseline or picked, picked, strict=True) if was != now
    ]
    return {
        "in_scope_accuracy": summary["in_scope_accuracy"],
        "correct_fallback": summary["correct_fallback"],
        "confidently_wrong": summary["confidently_wrong"],
        "answered_with_synthetic": sum(entry.startswith(SYNTHETIC_PREFIX) for entry, _ in picked),
        "changed_vs_real": len(changed),
        "changed": changed,
    }, picked


def measure(kb: loader.KnowledgeBase, items: list[Item], *, rounds: int, memory: bool,
            blind_set: blind.BlindSet | None = None,
            baseline: list[tuple[str, str]] | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One size: build, memory, `engine.ask` times, accuracy.

    Also returns each dev-set question's (answered entry, verdict), so that a later size can list the
    questions whose answer changed from the real knowledge base's.
    """
    t0 = time.perf_counter()
    engine = Engine(kb)
    build_s = time.perf_counter() - t0
    row = _shape(kb, engine, build_s)
    if memory:
        del engine
        engine, build_mib, build_peak_mib = _traced_build(kb)
        row["build_mib"] = build_mib
        row["build_peak_mib"] = build_peak_mib
    questions = [item.q for item in items]
    if blind_set is not None:
        questions += [q.q for q in blind_set.questions]
    for q in questions:  # one untimed pass, so the first size does not also pay for warming up
        engine.ask(q)
    row["ask_ms"] = _stats([t * 1000 for t in ask_times(engine, questions, rounds)])
    row["timed_questions"] = len(questions)
    row["eval"], picked = _accuracy(engine, items, baseline)
    if blind_set is not None:
        row["blind"] = _blind_summary(engine, blind_set)
    return row, picked


def run(factors: Sequence[float], *, rounds: int = 10, memory: bool = True, seed: int = SEED,
        items: list[Item] | None = None, blind_set: blind.BlindSet | None = None) -> dict[str, Any]:
    """`blind_set`: real questions scored as the maintainers do at each size (default: none)."""
    base = loader.load()
    items = items if items is not None else load_set()
    synthetic = all_synthetic(base, factors, seed)
    facts = facts_for(base, synthetic, seed)
    real = len(base.entries)
    sizes: list[dict[str, Any]] = []
    baseline: list[tuple[str, str]] | None = None
    for factor in sorted(factors):
        extra = max(0, round(factor * real) - real)
        kept = {e.id for e in synthetic[:extra]}
        kb = grown(base, synthetic[:extra], [f for f in facts if f.about in kept])
        row, picked = measure(kb, items, rounds=rounds, memory=memory, blind_set=blind_set, baseline=baseline)
        baseline = baseline or picked
        sizes.append({"factor": factor, **row})
        print(f"  {factor:g}x: {row['entries']} entries, {row['facts']} facts measured", file=sys.stderr, flush=True)
    return {
        "note": "Entries and facts beyond the real knowledge base are SYNTHETIC (invented names, id prefix "
                f"'{SYNTHETIC_PREFIX}', title marked '{SYNTHETIC_MARK}', source section '{SYNTHETIC_SECTION}'), "
                f"generated with seed {seed} for this benchmark only. Accuracy is on the real dev set"
                + (" and blind set A." if blind_set is not None else "."),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "seed": seed,
        "real_entries": real,
        "real_facts": len(base.facts),
        "questions": len(items),
        "blind_questions": len(blind_set.questions) if blind_set is not None else 0,
        "rounds": rounds,
        "sizes": sizes,
    }


def table(report: dict[str, Any]) -> str:
    head = (f"{'factor':>6} {'entries':>7} {'facts':>6} {'units':>6} {'vocab':>6} {'build s':>8} {'MiB':>6} "
            f"{'ask med':>8} {'p95':>7} {'p99':>7} {'dev in':>7} {'dev fb':>7} {'dev cw':>7} "
            f"{'A in':>6} {'A fb':>6} {'A cw':>6} {'changed':>7} {'->synth':>7}")
    timed = report["sizes"][0]["timed_questions"] if report["sizes"] else 0
    lines = [f"engine.ask per question, ms; {timed} questions (dev set"
             + (" + blind set A" if report.get("blind_questions") else "") + f") x {report['rounds']} rounds; "
             f"{report['machine']}",
             "entries and facts beyond the real knowledge base are SYNTHETIC (seeded, labelled 'synthetic-')",
             "in/fb/cw: in-scope right, correct fallback, confidently wrong on the dev set (training) and blind set A",
             head]
    for s in report["sizes"]:
        ev = s["eval"]
        bl = s.get("blind")
        mib = f"{s['build_mib']:6.1f}" if "build_mib" in s else f"{'-':>6}"
        blind_cells = (f"{bl['in_scope_right']:>6.1%} {bl['correct_fallback']:>6.1%} {bl['confidently_wrong']:>6.1%}"
                       if bl else f"{'-':>6} {'-':>6} {'-':>6}")
        lines.append(
            f"{s['factor']:>5g}x {s['entries']:>7} {s['facts']:>6} {s['units']:>6} {s['vocabulary']:>6} "
            f"{s['build_s']:>8.2f} {mib} {s['ask_ms']['median']:>8.3f} {s['ask_ms']['p95']:>7.3f} "
            f"{s['ask_ms']['p99']:>7.3f} {ev['in_scope_accuracy']:>7.1%} {ev['correct_fallback']:>7.1%} "
            f"{ev['confidently_wrong']:>7.1%} {blind_cells} {ev['changed_vs_real']:>7} "
            f"{ev['answered_with_synthetic']:>7}"
        )
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = report["sizes"]
    x = [s["entries"] for s in sizes]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key, style in (("median", "o-"), ("p95", "s-"), ("p99", "^-")):
        y = [s["ask_ms"][key] for s in sizes]
        line = ax.plot(x, y, style, label=f"engine.ask {key}")[0]
        ax.plot(x, [y[0] * n / x[0] for n in x], ":", color=line.get_color(), alpha=0.6,
                label=f"linear from {x[0]} ({key})")
    ax.axhline(P95_TARGET_MS, color="black", linestyle="--", linewidth=1, label=f"p95 target {P95_TARGET_MS:g} ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"entries (log; {report['real_entries']} real, the rest synthetic)")
    ax.set_ylabel("ms per question (log)")
    ax.set_title("engine.ask time per question")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    bx.plot(x, [s["build_s"] for s in sizes], "o-", label="engine build (s)")
    if all("build_mib" in s for s in sizes):
        mx = bx.twinx()
        mx.plot(x, [s["build_mib"] for s in sizes], "s--", color="tab:red", label="engine memory (MiB)")
        mx.set_ylabel("MiB retained by the engine build")
        mx.legend(loc="lower right", fontsize=7)
    bx.set_xscale("log")
    bx.set_xlabel("entries (log)")
    bx.set_ylabel("seconds")
    bx.set_title("Engine build")
    bx.grid(True, which="both", alpha=0.3)
    bx.legend(loc="upper left", fontsize=7)
    fig.suptitle(f"natobot growth with SYNTHETIC entries and facts (seed {report['seed']}; "
                 f"{report['real_entries']} real entries, the rest invented)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth", description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,10,100", help="sizes as multiples of the real entry count")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where growth.json and growth.png go")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per size")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc build (faster)")
    parser.add_argument("--no-blind", action="store_true", help="time and score the dev set only")
    args = parser.parse_args(argv)
    factors = [float(f) for f in args.factors.split(",") if f.strip()]
    blind_set = None if args.no_blind or not SET_A.exists() else blind.load(SET_A)
    report = run(factors, rounds=args.rounds, memory=not args.no_memory, seed=args.seed, blind_set=blind_set)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "growth.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot(report, args.out / "growth.png")
    print(table(report))
    ten_x = next((s for s in report["sizes"] if s["factor"] == 10), None)
    if ten_x is not None:
        p95 = ten_x["ask_ms"]["p95"]
        print(f"target: 10x engine.ask p95 <= {P95_TARGET_MS:g} ms: {p95:.3f} ms "
              f"{'PASS' if p95 <= P95_TARGET_MS else 'FAIL'}")
    print(f"wrote {args.out / 'growth.json'} and {args.out / 'growth.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
