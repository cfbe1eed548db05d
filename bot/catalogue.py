"""The intent and entity catalogue, built once from the knowledge base.

Everything the matcher needs per question is a dictionary or set lookup here;
the only fuzzy work left for question time is for words the catalogue has
never seen (typos) and for questions no alias matches exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.words import FILLER, STOPWORDS
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry, Intent
from knowledge.text import tokens

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

    def entry(self, entry_id: str) -> Entry:
        return self.kb.entries[entry_id]


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
    word_aliases = frozenset(
        key[0] for key in aliases if len(key) == 1 and (key[0] in STOPWORDS or key[0] in FILLER)
    )
    vocabulary = sorted(w for w in name_words | cue_words if len(w) >= 3 and _WORD.match(w))
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
    )
