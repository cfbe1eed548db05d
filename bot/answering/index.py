"""The units, indexed for scoring: each unit's concepts, the entities it names, the kinds of answer it holds.

Everything a feature needs about a unit is computed here once, so scoring a candidate is a handful of
set and dictionary lookups.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from bot.answering.catalogue import Catalogue
from bot.answering.references import number_concept
from bot.answering.units import Unit, plain_name
from bot.answering.words import MONTHS, NUMBER_LABELS, NUMBER_WORDS, STOPWORDS
from knowledge.text import stem, tokens_with_case

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# A count or an amount: digits that are not a year or an objective's number ("2.1").
_COUNT = re.compile(r"(?<![\d.])(?!(?:1[89]|20)\d\d\b)\d+(?:,\d{3})*(?![.]\d)\b")
_COUNT_WORDS = frozenset(w for w in NUMBER_WORDS if w not in ("first", "second", "third", "fourth", "one"))
_PERSON = re.compile(
    r"\b(?:General|Admiral|Lieutenant|Lt|Ambassador|Secretary General|Director General|Chairman|Chair|"
    r"Commander|Chief|headed by|led by|heads|leads|chaired by|commanded by|[A-Z][a-z]+ [A-Z][a-z]+berg)\b"
)
_FREQUENCY = re.compile(
    r"\b(?:daily|weekly|monthly|annually|yearly|every|once|twice|regularly|times a|per (?:year|month|week))\b", re.I
)
_DURATION = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|several|many)[ -]"
    r"(?:decades?|years?|months?|weeks?|days?|hours?)\b|\blimited period\b|\b24/7\b|\bsince\b", re.I
)
_REASON = re.compile(r"\b(?:because|so that|in order to|so as to|to ensure|since|reason|matters|why)\b", re.I)

# The facets a question can ask for (intents.yaml's), as units' aspects.
FACETS = frozenset(
    "head role location size parent components members founded motto description justification linkages risks".split()
)


@dataclass(frozen=True)
class IndexedUnit:
    unit: Unit
    concepts: frozenset[str]  # the concepts of its statement and of its entity's name
    own: frozenset[str]  # the concepts of its statement alone
    entities: frozenset[str]  # the entry it is about and those in `also`
    mentions: frozenset[str]  # other entries its statement names
    kinds: frozenset[str]  # "time", "number", "place", "person", "reason", "name"
    size: int  # how many concepts its statement has (long statements match everything a little)
    log_size: float  # the same as a feature: log(1 + size) / 4
    tf: dict[str, int]  # how often each concept occurs in it (for BM25)
    numbers: frozenset[str]  # the numbers and years it states
    reply_concepts: frozenset[str]  # the concepts of the whole reply built on it (context and caveat too)
    length: int  # how many concept occurrences it has
    counted: frozenset[str]  # the concepts it gives a count of ("500 *staff*", "five functional *divisions*")

    def __reduce__(self) -> tuple[Any, ...]:
        # `concepts` are tf's keys, and `own` and `reply_concepts` differ from them by a few words: kept on
        # disk as those few words, the three sets cost a third of loading the cached build (`natobot ask`).
        # The rest positionally: a dict of field names per unit costs another 10%.
        return (_restore, (*(getattr(self, name) for name in _STORED), self.concepts - self.own,
                           self.reply_concepts - self.concepts))


# The IndexedUnit fields pickled as they are, in _restore's order; the other three it derives.
_STORED = ("unit", "entities", "mentions", "kinds", "size", "log_size", "tf", "numbers", "length", "counted")


def _restore(
    unit: Unit, entities: frozenset[str], mentions: frozenset[str], kinds: frozenset[str], size: int, log_size: float,
    tf: dict[str, int], numbers: frozenset[str], length: int, counted: frozenset[str], title_only: frozenset[str],
    context_only: frozenset[str],
) -> IndexedUnit:
    iu = object.__new__(IndexedUnit)  # as unpickling does: no __init__ for a frozen dataclass
    concepts = frozenset(tf)
    iu.__dict__.update(
        unit=unit, concepts=concepts, own=concepts - title_only, entities=entities, mentions=mentions, kinds=kinds,
        size=size, log_size=log_size, tf=tf, numbers=numbers, reply_concepts=concepts | context_only,
        length=length, counted=counted,
    )
    return iu


class UnitIndex:
    def __init__(self, units: list[Unit], catalogue: Catalogue) -> None:
        self.cat = catalogue
        # Equal small sets (a unit's entity, its kinds, ...) made one object: the cached build stores each once.
        same: dict[frozenset[str], frozenset[str]] = {}
        self.units: list[IndexedUnit] = [self._indexed(u, same) for u in units]
        n = len(self.units)
        df: dict[str, int] = {}
        for iu in self.units:
            for c in iu.concepts:
                df[c] = df.get(c, 0) + 1
        # Rarer concepts are stronger evidence: the usual smoothed inverse document frequency.
        self.idf = {c: math.log((n + 1) / (k + 0.5)) for c, k in df.items()}
        self.max_idf = math.log((n + 1) / 0.5)
        self.postings = _postings(self.units)
        self.about, self.mentioned = _entity_postings(self.units)
        # How specific a name is: NATO is named by most statements and says little about which one is meant.
        self.specificity = {
            e: min(1.0, math.log((n + 1) / (len(self.about.get(e, [])) + len(self.mentioned.get(e, [])) + 0.5))
                   / math.log(n / 20))
            for e in catalogue.kb.entries
        }
        self.concepts_known = frozenset(self.idf)
        self.average_length = sum(iu.length for iu in self.units) / max(1, n)
        # Which aspects and concepts each entry has units for: asking an entry's head when it has none,
        # or its "budget" when none of its statements uses the word, is telling.
        self.aspects, self.entity_concepts = _per_entity(self.units)

    def _indexed(self, u: Unit, same: dict[frozenset[str], frozenset[str]]) -> IndexedUnit:
        """Everything the features need about one unit."""
        catalogue = self.cat
        lex = catalogue.lexicon
        words = catalogue.words(f"{u.text} {u.caveat or ''}")
        own_list = [lex.concept(w) for w in words if w not in STOPWORDS]
        own_list += [number_concept(lex.concept(a), b) for a, b in itertools.pairwise(words)
                     if a in NUMBER_LABELS and (b.isdigit() or "." in b)]
        title_list = self._concepts(plain_name(catalogue.kb.entries[u.entry]))
        own = set(own_list)
        title = set(title_list)
        return IndexedUnit(
            unit=u,
            concepts=frozenset(own | title),
            own=frozenset(own),
            entities=_one(same, frozenset((u.entry, *u.also))),
            mentions=_one(same, frozenset(self._names_in(u.text)) - {u.entry, *u.also}),
            kinds=_one(same, frozenset(self._kinds(u, words))),
            size=len(own),
            log_size=math.log1p(len(own)) / 4.0,
            tf=_counts(own_list + title_list),
            numbers=_one(same, frozenset(w for w in words if w[:1].isdigit())),
            reply_concepts=frozenset(own | title | set(self._concepts(u.context))),
            length=len(own_list) + len(title_list),
            counted=_one(same, frozenset(lex.concept(w) for w in _counted(words))),
        )

    def _concepts(self, text: str) -> list[str]:
        lex = self.cat.lexicon
        return [lex.concept(w) for w in self.cat.words(text) if w not in STOPWORDS]

    def _names_in(self, text: str) -> set[str]:
        """Entries a statement names by an alias (ordinary-word aliases only in capitals)."""
        cat = self.cat
        pairs = tokens_with_case(text)
        rewritten = cat.lexicon.rewrite([low for low, _ in pairs])
        words = [w for w, _ in rewritten]
        raw = [pairs[i][1] for _, i in rewritten]
        found: set[str] = set()
        i, n = 0, len(words)
        while i < n:
            longest = cat.alias_starts.get(words[i], 0)
            step = 1
            for length in range(min(longest, n - i), 0, -1):
                entry = cat.aliases.get(tuple(words[i:i + length]))
                if entry is None:
                    continue
                if length == 1 and words[i] in cat.ordinary and not raw[i].isupper():
                    break
                found.add(entry)
                step = length
                break
            i += step
        return found

    def _kinds(self, u: Unit, words: list[str]) -> set[str]:
        """The kinds of answer a unit holds: "time", "number", "place", "person", "reason", "name", ..."""
        if u.gap is not None:
            # A known gap answers (by saying it is missing) exactly the kind it is about.
            return {u.gap, "person"} if u.gap == "named" else {u.gap}
        return set(_ASPECT_KINDS.get(u.aspect, ())) | _text_kinds(u.text, words) | self._name_kinds(u, words)

    def _name_kinds(self, u: Unit, words: list[str]) -> set[str]:
        """The kinds a unit holds by the places, posts, bodies and people it names."""
        kinds: set[str] = set()
        joined = " " + " ".join(words) + " "
        if any(f" {p} " in joined for p in self.cat.lexicon.places):
            kinds.add("place")
        if _PERSON.search(u.text) or self._names_in(u.text) - {u.entry}:
            kinds.add("person")  # "who" is answered by a person, a post or a body
        if any(f" {p} " in joined for p in self.cat.lexicon.people):
            kinds.update(("named", "person"))
        return kinds


# The kinds of answer a unit of these facets holds whatever it says ("who" is answered by a person, a
# post or a body).
_ASPECT_KINDS: dict[str, tuple[str, ...]] = {
    "location": ("place",), "head": ("person",), "members": ("person",), "parent": ("person",),
    "justification": ("reason",), "name": ("name",), "founded": ("time",),
}


def _text_kinds(text: str, words: list[str]) -> set[str]:
    """The kinds of answer a statement's words hold: a date, a count, a reason, a frequency, a duration."""
    kinds: set[str] = set()
    if _YEAR.search(text) or any(w in MONTHS for w in words):
        kinds.add("time")
    if _COUNT.search(text) or any(w in _COUNT_WORDS for w in words) or "percent" in words:
        kinds.add("number")
    if _REASON.search(text):
        kinds.add("reason")
    if " stands for " in text:
        kinds.add("name")
    if _FREQUENCY.search(text):
        kinds.add("frequency")
    if _DURATION.search(text):
        kinds.add("duration")
    return kinds


# How many words after a count name what it counts ("12 general/flag *officers*").
COUNTED_WINDOW = 3


def _counted(words: list[str]) -> list[str]:
    """The words a statement gives a count of: those just after a count that is not a year or the
    number of an objective or article ("Objective 3"), nor "one" ("one of the divisions")."""
    out: list[str] = []
    for i, w in enumerate(words):
        is_count = (w.isdigit() and not _YEAR.fullmatch(w)) or w in _COUNT_WORDS
        if not is_count or (i > 0 and words[i - 1] in NUMBER_LABELS):
            continue
        after = [a for a in words[i + 1:i + 2 + COUNTED_WINDOW] if a not in STOPWORDS and not a.isdigit()]
        out += after[:COUNTED_WINDOW]
    return out


def _counts(concepts: list[str]) -> dict[str, int]:
    tf: dict[str, int] = {}
    for c in concepts:
        tf[c] = tf.get(c, 0) + 1
    return tf


def _postings(units: list[IndexedUnit]) -> dict[str, tuple[int, ...]]:
    """Concept -> the units that have it, in order."""
    postings: dict[str, list[int]] = {}
    for i, iu in enumerate(units):
        for c in iu.concepts:
            postings.setdefault(c, []).append(i)
    return {c: tuple(ids) for c, ids in postings.items()}


def _entity_postings(units: list[IndexedUnit]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Entry -> the units about it, and entry -> the units that name it."""
    about: dict[str, list[int]] = {}
    mentioned: dict[str, list[int]] = {}
    for i, iu in enumerate(units):
        for e in iu.entities:
            about.setdefault(e, []).append(i)
        for e in iu.mentions:
            mentioned.setdefault(e, []).append(i)
    return about, mentioned


def _per_entity(units: list[IndexedUnit]) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Entry -> the aspects its units have, and entry -> the concepts its statements use."""
    aspects: dict[str, set[str]] = {}
    concepts: dict[str, set[str]] = {}
    for iu in units:
        for e in iu.entities:
            aspects.setdefault(e, set()).add(iu.unit.aspect)
            concepts.setdefault(e, set()).update(iu.own)
    return {e: frozenset(v) for e, v in aspects.items()}, {e: frozenset(v) for e, v in concepts.items()}


# (aspect -> (facet, facet_other, facet_generic), entry -> facet_absent, facet_absent of an entry without units)
FacetTable = tuple[dict[str, tuple[float, float, float]], dict[str, float], float]


def facet_table(
    facet: str | None, spells: bool, aspects: set[str], entry_aspects: dict[str, frozenset[str]],
) -> FacetTable:
    """Whether a unit is of the facet asked, by its aspect, and whether its entry has the facet at all."""
    if facet is None:
        # Nothing specific asked: "what does X stand for" wants the name, anything else the overview.
        wanted = "name" if spells else "overview"
        return {a: ((1.0 if a == wanted else 0.0), 0.0, 0.0) for a in aspects}, {}, 0.0
    by_aspect = {a: (1.0 if a == facet else 0.0, 1.0 if a in FACETS and a != facet else 0.0,
                     1.0 if a not in FACETS else 0.0) for a in aspects}
    return by_aspect, {e: 1.0 if facet not in have else 0.0 for e, have in entry_aspects.items()}, 1.0


def stem_concept(catalogue: Catalogue, word: str) -> str:
    return catalogue.lexicon.canonical.get(stem(word), stem(word))


def _one(same: dict[frozenset[str], frozenset[str]], value: frozenset[str]) -> frozenset[str]:
    return same.setdefault(value, value)
