"""The intent and entity catalogue, built once from the knowledge base.

Everything the matcher needs per question is a dictionary or set lookup here;
the only fuzzy work left for question time is for words the catalogue has
never seen (typos) and for questions no alias matches exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.utils import default_process

from bot.words import FILLER, NEUTRAL, PRONOUNS, STOPWORDS, WORD_NAMES
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry, Intent
from knowledge.text import stem, tokens

Key = tuple[str, ...]

_NUMBERED_KINDS = {"objective": "objective", "goal": "goal", "management-objective": "management"}
_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Intents:
    by_id: dict[str, Intent]
    # Cue phrase -> index into `order`; a lower index means a more specific intent.
    cues: dict[Key, int]
    order: list[str]
    max_cue_len: int


@dataclass
class Catalogue:
    kb: KnowledgeBase
    intents: Intents
    # Normalised alias -> entry id.
    aliases: dict[Key, str]
    max_alias_len: int
    # Single-word aliases that are also ordinary words ("is", "act"): only taken as
    # names when typed in capitals, or when nothing else in the question names anything.
    word_aliases: frozenset[str]
    # ("objective", "2.1"), ("goal", "3"), ("management", "1") -> entry id.
    numbered: dict[tuple[str, str], str]
    # Words of the catalogue's own names and cues: what a typo is corrected towards.
    vocabulary: list[str]
    # Every word anywhere in the knowledge base or in the word lists: never a typo.
    known_words: frozenset[str]
    # The words each entry's texts use: a question word outside them is unexplained.
    entry_words: dict[str, frozenset[str]]
    # (display name, entry id) pairs for suggestions.
    names: list[tuple[str, str]] = field(default_factory=list)
    # Stemmed alias -> entry id, for "joint force commands"; only where the stem is unambiguous.
    alias_stems: dict[Key, str] = field(default_factory=dict)
    # Stems of each entry's words, and which entries use a stem.
    entry_stems: dict[str, frozenset[str]] = field(default_factory=dict)
    stem_index: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Stems of each entry's own names, and how many entries each is connected to.
    name_stems: dict[str, frozenset[str]] = field(default_factory=dict)
    # Entries related to each entry, in either direction.
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)

    def degree(self, entry_id: str) -> int:
        return len(self.neighbours.get(entry_id, ()))

    def entry(self, entry_id: str) -> Entry:
        return self.kb.entries[entry_id]


def name_key(item: str | tuple[str, str]) -> str:
    """rapidfuzz processor for (name, entry id) choices; the query comes through as a plain string."""
    return default_process(item[0] if isinstance(item, tuple) else item)


def _entry_text(entry: Entry) -> str:
    parts = [entry.title, *entry.aliases, entry.short, entry.answer, *entry.fields.values()]
    parts += [ft.text for ft in entry.facets.values()]
    return " ".join(parts)


def build_intents(intents: list[Intent]) -> Intents:
    cues: dict[Key, int] = {}
    for rank, intent in enumerate(intents):
        for cue in intent.cues:
            key = tuple(tokens(cue))
            if key:
                cues.setdefault(key, rank)
    return Intents(
        by_id={i.id: i for i in intents},
        cues=cues,
        order=[i.id for i in intents],
        max_cue_len=max((len(k) for k in cues), default=1),
    )


def build(kb: KnowledgeBase) -> Catalogue:
    intents = build_intents(kb.intents)
    aliases: dict[Key, str] = {}
    names: list[tuple[str, str]] = []
    entry_words: dict[str, frozenset[str]] = {}
    numbered: dict[tuple[str, str], str] = {}
    name_words: set[str] = set()
    all_words: set[str] = set()
    for entry in kb.entries.values():
        for name in [entry.title, *entry.aliases]:
            key = tuple(tokens(name))
            if key:
                aliases.setdefault(key, entry.id)
                name_words.update(key)
                names.append((name, entry.id))
        words = frozenset(tokens(_entry_text(entry)))
        entry_words[entry.id] = words
        all_words |= words
        if entry.number and entry.kind in _NUMBERED_KINDS:
            numbered[(_NUMBERED_KINDS[entry.kind], entry.number)] = entry.id
    cue_words = {w for key in intents.cues for w in key}
    entry_stems = {eid: frozenset(stem(w) for w in words) for eid, words in entry_words.items()}
    users: dict[str, list[str]] = {}
    for eid, stems in entry_stems.items():
        for st in stems:
            users.setdefault(st, []).append(eid)
    stem_counts: dict[Key, set[str]] = {}
    for key, eid in aliases.items():
        stem_counts.setdefault(tuple(stem(w) for w in key), set()).add(eid)
    alias_stems = {k: next(iter(v)) for k, v in stem_counts.items() if len(v) == 1}
    word_aliases = frozenset(
        key[0] for key in aliases if len(key) == 1 and (key[0] in STOPWORDS or key[0] in FILLER or key[0] in WORD_NAMES)
    )
    padding = STOPWORDS | FILLER | NEUTRAL | PRONOUNS
    # A typo is never "corrected" into filler: that would hide a word that matters.
    vocabulary = sorted(
        w for w in (name_words - padding) | cue_words if len(w) >= 4 and _WORD.match(w)
    )
    name_stems: dict[str, set[str]] = {}
    for key, eid in aliases.items():
        name_stems.setdefault(eid, set()).update(stem(w) for w in key)
    return Catalogue(
        kb=kb,
        intents=intents,
        aliases=aliases,
        max_alias_len=max((len(k) for k in aliases), default=1),
        word_aliases=word_aliases,
        numbered=numbered,
        vocabulary=vocabulary,
        known_words=frozenset(all_words | cue_words | STOPWORDS | FILLER),
        entry_words=entry_words,
        names=names,
        alias_stems=alias_stems,
        entry_stems=entry_stems,
        stem_index={st: tuple(ids) for st, ids in users.items()},
        name_stems={eid: frozenset(v) for eid, v in name_stems.items()},
        neighbours=_neighbours(kb),
    )


def _neighbours(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    near: dict[str, set[str]] = {eid: set() for eid in kb.entries}
    for entry in kb.entries.values():
        for targets in entry.relations.values():
            for target in targets:
                if target in near and target != entry.id:
                    near[entry.id].add(target)
                    near[target].add(entry.id)
    return {eid: frozenset(v) for eid, v in near.items()}
