"""Synthetic knowledge for benchmarks.growth: invented entries and facts, and the real knowledge base grown
with them.

Every synthetic entry is labelled as such: its id starts with ``synthetic-``, its title ends with
"(synthetic)", and its only source section (and each of its facts') says it is not from the source. The
names are invented from syllables (seeded, so every run builds the same entries) so that the vocabulary
really grows, rather than repeating a handful of names; they are never words the real knowledge base, its
lexicon or the engine's word lists use, and no alias is shared with another entry, so `loader.problems`
stays clean.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.answering.words import PRONOUNS, STOPWORDS
from knowledge import loader
from knowledge.models import Citation, Entry, FacetText, Fact, Kind
from knowledge.text import normalise, tokens

SEED = 20240605
SYNTHETIC_PREFIX = "synthetic-"
SYNTHETIC_MARK = "(synthetic)"
SYNTHETIC_SECTION = "Synthetic benchmark entry (invented; not from the source)"
SYNTHETIC_ORIGIN = "synthetic (bench_growth)"

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


@dataclass
class _Drawn:
    """What one synthetic entry is made of, before its aliases and relations."""

    kind: Kind
    own: str
    head: str
    place: str
    country: str
    role: str
    person: str
    year: int
    staff: int

    @property
    def full(self) -> str:
        return f"{self.own} {self.head}"

    @property
    def acronym(self) -> str:
        return self.own[:2].upper() + "".join(w[0] for w in self.head.split() if w[0].isupper())


# The draws below happen in a fixed order (kind, head, name, place, topic, country, role, person, year,
# staff, aliases, relations, document): changing it changes every entry a seed builds.

def _draw(rng: random.Random, name: _Names, places: list[str]) -> _Drawn:
    kind = rng.choice(_KINDS)
    head = rng.choice(_HEADS[kind])
    own = name()
    if len(places) < _MIN_PLACES or rng.random() < _NEW_PLACE_SHARE:
        places.append(name((2, 2)))
    place = rng.choice(places)
    topic = rng.choice(_TOPICS)
    country = rng.choice(_COUNTRIES)
    role = rng.choice(_ROLES).format(place=place, topic=topic)
    person = f"{rng.choice(_RANKS)} {name((2, 2))} {name((2, 3))}"
    year = rng.randint(1952, 2022)
    staff = rng.choice((12, 25, 40, 60, 85, 120, 200, 350))
    return _Drawn(kind, own, head, place, country, role, person, year, staff)


def _aliases(rng: random.Random, drawn: _Drawn, *, title: str, reserved: set[str], taken: set[str]) -> list[str]:
    """The full name, then the acronym and shorter names no other entry has; all of them become taken."""
    aliases = [drawn.full]
    candidates = [drawn.acronym]
    if drawn.kind == "command":
        candidates.append(f"{drawn.head} {drawn.place}")  # as "JFC Naples" is "Joint Force Command Naples"
    if rng.random() < _SINGLE_NAME_SHARE:
        candidates.append(drawn.own)
    for alias in candidates:
        key = normalise(alias)
        # An acronym that is an ordinary word, or a name another entry already has, is left out.
        if key and key not in taken and not (len(key.split()) == 1 and key in reserved):
            aliases.append(alias)
    for alias in [title, *aliases]:
        taken.add(normalise(alias))
    return aliases


def _relations(rng: random.Random, parents: list[str], made: list[str]) -> dict[str, list[str]]:
    relations: dict[str, list[str]] = {}
    parent = rng.choice(parents) if parents and rng.random() < _PART_OF_SHARE else None
    if parent:
        relations["part_of"] = [parent]
    if made:
        related = sorted({rng.choice(made) for _ in range(rng.randint(1, 3))} - {parent})
        if related:
            relations["related"] = related
    return relations


def _entry(entry_id: str, drawn: _Drawn, aliases: list[str], relations: dict[str, list[str]], doc: str) -> Entry:
    full, acronym, kind, role = drawn.full, drawn.acronym, drawn.kind, drawn.role
    place, country, person, year, staff = drawn.place, drawn.country, drawn.person, drawn.year, drawn.staff
    short_name = acronym if acronym in aliases else full
    spelled = f"The {full} ({acronym})" if acronym in aliases else f"The {full}"
    return Entry.model_validate({
        "id": entry_id,
        "kind": kind,
        "title": f"{full} {SYNTHETIC_MARK}",
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
        "sources": [Citation(doc=doc, section=SYNTHETIC_SECTION)],
        "questions": [f"What is the {full}?", f"Who heads the {short_name}?", f"Where is the {full} based?"],
        "caveat": "Synthetic entry generated for the growth benchmark.",
    })


def _generate(count: int, *, reserved: set[str], taken: set[str], seed: int) -> Iterator[Entry]:
    rng = random.Random(seed)
    name = _Names(rng, reserved)
    places: list[str] = []  # invented towns; several entries share one, as real headquarters do
    parents: list[str] = []  # ids of synthetic bodies and commands, for part_of
    made: list[str] = []
    for i in range(count):
        drawn = _draw(rng, name, places)
        entry_id = f"{SYNTHETIC_PREFIX}{i:05d}-{drawn.own.lower()}"
        aliases = _aliases(rng, drawn, title=f"{drawn.full} {SYNTHETIC_MARK}", reserved=reserved, taken=taken)
        relations = _relations(rng, parents, made)
        entry = _entry(entry_id, drawn, aliases, relations, doc=rng.choice(_DOCS))
        if drawn.kind in ("body", "command"):
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
