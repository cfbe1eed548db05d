"""`python -m bot.bench_growth`: answer time as the knowledge base grows to 10x and 100x its size.

The real knowledge base has 131 entries and about two hundred and sixty facts. To see how the engine
scales, this adds SYNTHETIC entries, and SYNTHETIC facts about them in the same proportion to entries as
the real ones, invented for benchmarking only, until the total is 1x, 10x, 100x the real entry count, and
measures at each size: engine build time and memory, the units the engine cuts them into, `engine.ask`
time per question (median, p95, p99) on the dev set and blind set A, and whether accuracy on those real
questions holds up. Results go to docs/benchmarks/growth.json and growth.png and a table on stdout.

Every synthetic entry is labelled as such: its id starts with ``synthetic-``, its title ends with
"(synthetic)", and its only source section (and each of its facts') says it is not from the source. The
names are invented from syllables (seeded, so every run builds the same entries) so that the vocabulary
really grows, rather than repeating a handful of names; they are never words the real knowledge base, its
lexicon or the engine's word lists use, and no alias is shared with another entry, so `loader.problems`
stays clean. Invented names can still be close to real words (a typo of a real name may now be nearer an
invented one): that is part of what the accuracy columns measure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot import blind
from bot.answering.words import PRONOUNS, STOPWORDS
from bot.bench import SET_A, ask_times
from bot.engine import Engine
from bot.evaluate import Item, evaluate, load_set
from bot.render.as_json import to_dict
from bot.stats import percentile
from knowledge import loader
from knowledge.models import Citation, Entry, FacetText, Fact, Kind
from knowledge.text import normalise, tokens

SEED = 20240605
SYNTHETIC_PREFIX = "synthetic-"
SYNTHETIC_MARK = "(synthetic)"
SYNTHETIC_SECTION = "Synthetic benchmark entry (invented; not from the source)"
SYNTHETIC_ORIGIN = "synthetic (bench_growth)"
DEFAULT_FACTORS = (1.0, 10.0, 100.0)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"
# Issue 9: a knowledge base ten times larger keeps engine.ask p95 under this.
P95_TARGET_MS = 5.0

# Syllables for invented names: onset + vowel + coda, like "Kes-tri-mar" or "Vol-da-ren".
_ONSETS = ("b", "br", "c", "d", "dr", "f", "g", "gr", "h", "k", "kl", "l", "m", "n", "p", "pr", "r", "s",
           "st", "t", "tr", "v", "z", "th", "sh", "w", "j", "sk")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "ou", "ei", "y")
_CODAS = ("", "", "", "", "", "", "n", "r", "l", "s", "m", "th", "nd", "rk", "x", "st", "v")

# Kinds a growing knowledge base gains most of, with the head nouns their titles end in. Numbered
# kinds (objectives, goals) are left out: their numbers are a closed set of the strategy.
_HEADS: dict[Kind, tuple[str, ...]] = {
    "body": ("Council", "Committee", "Agency", "Board", "Assembly", "Working Group", "Steering Group"),
    "command": ("Joint Command", "Air Command", "Maritime Command", "Land Command", "Force Command",
                "Support Command", "Training Command"),
    "office": ("Liaison Office", "Support Office", "Coordination Cell", "Situation Centre", "Registry"),
    "division": ("Logistics Division", "Planning Division", "Intelligence Division", "Operations Division",
                 "Cooperation Division", "Capabilities Division"),
    "position": ("Director", "Chief of Staff", "Commander", "Deputy Director", "Senior Adviser"),
    "theme": ("Resilience Initiative", "Interoperability Programme", "Partnership Framework",
              "Standardisation Effort", "Readiness Plan"),
    "fact": ("Accord", "Declaration", "Summit", "Agreement"),
}
_KINDS: tuple[Kind, ...] = tuple(_HEADS)
_RANKS = ("General", "Lieutenant General", "Major General", "Admiral", "Vice Admiral", "Ambassador", "Dr")
_ROLES = (
    "coordinates logistics planning for allied forces in the {place} region",
    "advises the Military Committee on {topic} and prepares its recommendations",
    "plans and directs exercises that test {topic} across member nations",
    "keeps allied commands informed about {topic} and shares assessments with partners",
    "develops common standards for {topic} so that national forces can work together",
    "supports national delegations with analysis of {topic}",
    "runs training courses on {topic} for officers from allied and partner nations",
    "oversees the budget and resources set aside for {topic}",
)
_TOPICS = ("air defence", "maritime security", "cyber defence", "crisis management", "military mobility",
           "intelligence sharing", "civil preparedness", "arms control", "force readiness", "communications",
           "space operations", "counter-terrorism", "partnership programmes", "medical support")
_COUNTRIES = ("Belgium", "Italy", "the Netherlands", "Norway", "Germany", "Poland", "Portugal", "Spain",
              "the United States", "Canada", "Romania", "Turkey", "Greece", "Denmark")
_DOCS = ("nato-ims-2012", "wiki-ims-2023", "policy-alignment", "usnato-ims-2022")
# Share of synthetic entries given a one-word alias (their invented name alone, as "SHAPE" or
# "NATO" are); real names are often used that way, and one-word names are what a typo most
# easily lands on, so leaving them out would flatter the accuracy figures.
_SINGLE_NAME_SHARE = 0.3
# A new invented town for about one entry in six, so that towns recur as real headquarters towns do.
_NEW_PLACE_SHARE = 1 / 6
_MIN_PLACES = 8
# Share of synthetic entries that are part of an earlier synthetic entry (a tree, as the real one is).
_PART_OF_SHARE = 0.5


def reserved_words(kb: loader.KnowledgeBase) -> set[str]:
    """Words an invented name must not be: every word the real knowledge base, its facts, cues and lexicon
    or the engine's word lists use."""
    words: set[str] = set(STOPWORDS | PRONOUNS)
    for entry in kb.entries.values():
        parts = [entry.title, *entry.aliases, entry.short, entry.answer, *entry.fields.values(), *entry.questions]
        parts += [ft.text for ft in entry.facets.values()]
        words.update(tokens(" ".join(parts)))
    words.update(tokens(" ".join(f.text for f in kb.facts)))
    for intent in kb.intents:
        words.update(tokens(" ".join([*intent.cues, *intent.examples])))
    lex = kb.lexicon
    words.update(tokens(" ".join([*lex.spellings, *lex.spellings.values(), *(w for g in lex.synonyms for w in g),
                                  *lex.framing, *lex.places, *lex.asks, *getattr(lex, "ordinary", [])])))
    return words


class _Names:
    """Invented, unique, capitalised names from syllables; never a reserved word."""

    def __init__(self, rng: random.Random, reserved: set[str]) -> None:
        self.rng = rng
        self.used = set(reserved)

    def __call__(self, syllables: tuple[int, int] = (2, 3)) -> str:
        while True:
            n = self.rng.randint(*syllables)
            word = "".join(self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS) + self.rng.choice(_CODAS)
                           for _ in range(n))
            if len(word) >= 5 and word not in self.used:
                self.used.add(word)
                return word.capitalize()


def synthetic_entries(count: int, *, reserved: set[str], taken_aliases: set[str],
                      seed: int = SEED) -> list[Entry]:
    """`count` synthetic entries, deterministic for a seed; the first k are the same whatever `count` is."""
    return list(_generate(count, reserved=reserved, taken=set(taken_aliases), seed=seed))


def _generate(count: int, *, reserved: set[str], taken: set[str], seed: int) -> Iterator[Entry]:
    rng = random.Random(seed)
    name = _Names(rng, reserved)
    places: list[str] = []  # invented towns; several entries share one, as real headquarters do
    parents: list[str] = []  # ids of synthetic bodies and commands, for part_of
    made: list[str] = []
    for i in range(count):
        kind = rng.choice(_KINDS)
        head = rng.choice(_HEADS[kind])
        own = name()
        full = f"{own} {head}"
        acronym = own[:2].upper() + "".join(w[0] for w in head.split() if w[0].isupper())
        if len(places) < _MIN_PLACES or rng.random() < _NEW_PLACE_SHARE:
            places.append(name((2, 2)))
        place = rng.choice(places)
        topic = rng.choice(_TOPICS)
        country = rng.choice(_COUNTRIES)
        role = rng.choice(_ROLES).format(place=place, topic=topic)
        person = f"{rng.choice(_RANKS)} {name((2, 2))} {name((2, 3))}"
        year = rng.randint(1952, 2022)
        staff = rng.choice((12, 25, 40, 60, 85, 120, 200, 350))
        entry_id = f"{SYNTHETIC_PREFIX}{i:05d}-{own.lower()}"
        title = f"{full} {SYNTHETIC_MARK}"
        aliases = [full]
        candidates = [acronym]
        if kind == "command":
            candidates.append(f"{head} {place}")  # as "JFC Naples" is "Joint Force Command Naples"
        if rng.random() < _SINGLE_NAME_SHARE:
            candidates.append(own)
        for alias in candidates:
            key = normalise(alias)
            # An acronym that is an ordinary word, or a name another entry already has, is left out.
            if key and key not in taken and not (len(key.split()) == 1 and key in reserved):
                aliases.append(alias)
        for alias in [title, *aliases]:
            taken.add(normalise(alias))
        short_name = acronym if acronym in aliases else full
        spelled = f"The {full} ({acronym})" if acronym in aliases else f"The {full}"
        relations: dict[str, list[str]] = {}
        parent = rng.choice(parents) if parents and rng.random() < _PART_OF_SHARE else None
        if parent:
            relations["part_of"] = [parent]
        if made:
            related = sorted({rng.choice(made) for _ in range(rng.randint(1, 3))} - {parent})
            if related:
                relations["related"] = related
        source = Citation(doc=rng.choice(_DOCS), section=SYNTHETIC_SECTION)
        entry = Entry.model_validate({
            "id": entry_id,
            "kind": kind,
            "title": title,
            "aliases": aliases,
            "short": f"The {full} is a synthetic {kind} invented for the growth benchmark; it {role}.",
            "answer": (
                f"{spelled} {role}. It is based in {place}, {country}, and was set up in {year}. "
                f"It is headed by {person} and has about {staff} staff. This entry is synthetic: it was "
                "generated for benchmarking and describes nothing real."
            ),
            "fields": {"Location": f"{place}, {country}", "Established": str(year), "Head": person},
            "relations": relations,
            "facets": {
                "head": FacetText(text=f"The {full} is headed by {person}."),
                "role": FacetText(text=f"The {full} {role}."),
                "location": FacetText(text=f"The {full} is based in {place}, {country}."),
                "size": FacetText(text=f"The {full} has about {staff} staff."),
                "founded": FacetText(text=f"The {full} was set up in {year}."),
            },
            "sources": [source],
            "questions": [f"What is the {full}?", f"Who heads the {short_name}?", f"Where is the {full} based?"],
            "caveat": "Synthetic entry generated for the growth benchmark.",
        })
        if kind in ("body", "command"):
            parents.append(entry_id)
        made.append(entry_id)
        yield entry


# Facts about a synthetic entry: statements its overview and facets do not make, as the real facts are.
_FACT_TEMPLATES = (
    ("The {full} holds its yearly {name} exercise in {place} each {month}.", None, True),
    ("The {full}'s deputy head is {rank} {name} {surname}.", "head", True),
    ("The {full} publishes the {name} Review, an annual assessment of {topic}.", None, True),
    ("The {full} was reorganised in {later} and reports each quarter on {topic}.", None, True),
    ("The {full} has liaison officers from {count} allied nations at its {place} headquarters.", "size", True),
    ("The sources give no budget figure for the {full}.", None, False),
)
_MONTHS = ("January", "March", "April", "June", "September", "October", "November")
SYNTHETIC_FACT_CAVEAT = "Synthetic fact generated for the growth benchmark."


def synthetic_facts(entries: Sequence[Entry], per_entry: float, *, reserved: set[str],
                    seed: int = SEED) -> list[Fact]:
    """About `per_entry` facts for each synthetic entry, each entry's drawn from its own seed, so that the
    facts of the first k entries are the same whatever the size."""
    out: list[Fact] = []
    for entry in entries:
        rng = random.Random(f"{seed}:{entry.id}")
        name = _Names(rng, reserved)
        count = int(per_entry) + (rng.random() < per_entry - int(per_entry))
        full = entry.title.removesuffix(f" {SYNTHETIC_MARK}")
        place = entry.fields.get("Location", "its base").split(",")[0]
        year = int(entry.fields.get("Established", "1990"))
        for template, facet, answers in rng.sample(_FACT_TEMPLATES, k=min(count, len(_FACT_TEMPLATES))):
            text = template.format(
                full=full, name=name(), surname=name((2, 3)), place=place, month=rng.choice(_MONTHS),
                rank=rng.choice(_RANKS), topic=rng.choice(_TOPICS), later=min(2023, year + rng.randint(3, 30)),
                count=rng.randint(4, 30),
            )
            out.append(Fact.model_validate({
                "about": entry.id, "text": text, "answers": answers, "facet": facet,
                "source": {"doc": entry.sources[0].doc, "section": SYNTHETIC_SECTION},
                "caveat": SYNTHETIC_FACT_CAVEAT,
            }))
    return out


def grown(base: loader.KnowledgeBase, synthetic: Sequence[Entry], facts: Sequence[Fact] = ()) -> loader.KnowledgeBase:
    """The real knowledge base plus synthetic entries and facts, built the way `loader.load` builds it."""
    entries = dict(base.entries)
    origin = dict(base.origin)
    for entry in synthetic:
        if entry.id in entries:
            raise loader.KnowledgeError(f"{SYNTHETIC_ORIGIN}: entry {entry.id!r}, field id: duplicate")
        entries[entry.id] = entry
        origin[entry.id] = SYNTHETIC_ORIGIN
    return dataclasses.replace(
        base, documents=dict(base.documents), entries=entries, intents=list(base.intents), origin=origin,
        facts=[*base.facts, *facts],
        fact_origin=[*base.fact_origin, *(f"{SYNTHETIC_ORIGIN} fact #{i + 1}" for i in range(len(facts)))],
    )


def all_synthetic(base: loader.KnowledgeBase, factors: Sequence[float], seed: int = SEED) -> list[Entry]:
    """Enough synthetic entries for the largest factor; smaller sizes take a prefix."""
    real = len(base.entries)
    most = max(0, max(round(f * real) for f in factors) - real)
    taken = {normalise(n) for e in base.entries.values() for n in [e.title, *e.aliases]}
    return synthetic_entries(most, reserved=reserved_words(base), taken_aliases=taken, seed=seed)


def facts_for(base: loader.KnowledgeBase, entries: Sequence[Entry], seed: int = SEED) -> list[Fact]:
    """Synthetic facts for these synthetic entries, as many per entry as the real base has per entry."""
    per_entry = len(base.facts) / len(base.entries) if base.entries else 0.0
    return synthetic_facts(entries, per_entry, reserved=reserved_words(base), seed=seed)


def _stats(ms: list[float]) -> dict[str, float]:
    return {"median": statistics.median(ms), "p95": percentile(ms, 95), "p99": percentile(ms, 99), "max": max(ms)}


def _blind_summary(engine: Engine, questions: blind.BlindSet) -> dict[str, float]:
    s = blind.score(questions, lambda qs: [to_dict(engine.ask(q)) for q in qs], None).summary()
    return {k: s[k] for k in ("in_scope_right", "correct_fallback", "confidently_wrong")}


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
    row: dict[str, Any] = {
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
    if memory:
        del engine
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        engine = Engine(kb)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row["build_mib"] = (current - before) / 2**20
        row["build_peak_mib"] = (peak - before) / 2**20
    questions = [item.q for item in items]
    if blind_set is not None:
        questions += [q.q for q in blind_set.questions]
    for q in questions:  # one untimed pass, so the first size does not also pay for warming up
        engine.ask(q)
    row["ask_ms"] = _stats([t * 1000 for t in ask_times(engine, questions, rounds)])
    row["timed_questions"] = len(questions)
    result = evaluate(engine, items)
    summary = result.summary()
    picked = [(o.answer.entry or "", o.verdict) for o in result.outcomes]
    changed = [
        {"q": item.q, "real": was[0] or None, "now": now[0] or None, "verdict_real": was[1], "verdict_now": now[1]}
        for item, was, now in zip(items, baseline or picked, picked, strict=True) if was != now
    ]
    row["eval"] = {
        "in_scope_accuracy": summary["in_scope_accuracy"],
        "correct_fallback": summary["correct_fallback"],
        "confidently_wrong": summary["confidently_wrong"],
        "answered_with_synthetic": sum(entry.startswith(SYNTHETIC_PREFIX) for entry, _ in picked),
        "changed_vs_real": len(changed),
        "changed": changed,
    }
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
    parser = argparse.ArgumentParser(prog="python -m bot.bench_growth", description=__doc__.splitlines()[0])
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
