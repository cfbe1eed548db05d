"""The intent and entity catalogue: every name an entry goes by, every cue an intent is asked with.

Built once from the knowledge base and the lexicon; at question time a name or a cue is a dictionary
lookup, and only words the catalogue has never seen (typos) need rapidfuzz.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.answering.fuzzy import NAME_PLAN, TYPO_PLAN, FuzzyIndex
from bot.answering.lexicon import Lexicon, build_lexicon
from bot.answering.words import STOPWORDS
from knowledge.loader import KnowledgeBase
from knowledge.models import Intent
from knowledge.text import stem, tokens

Key = tuple[str, ...]

_NUMBERED_KINDS = {"objective": "objective", "goal": "goal", "management-objective": "management"}
_WORD = re.compile(r"^[a-z]+$")
# Typo correction aims only at words at least this long: shorter ones are too often one edit apart.
TYPO_MIN_LENGTH = 4
# How sure a swap of two neighbouring letters is (Catalogue.swap_of) where fuzz.ratio reads the word otherwise
# or not at all: as sure as the least sure correction fuzz.ratio makes (analysis.TYPO_SCORE_CUTOFF, 80).
SWAP_QUALITY = 0.8


@dataclass(frozen=True)
class Intents:
    by_id: dict[str, Intent]
    # Cue phrase -> index into `order`; a lower index means a more specific intent.
    cues: dict[Key, int]
    order: list[str]
    max_cue_len: int
    # One-word cue -> the words after which it is no cue (Intent.not_after).
    not_after: dict[str, frozenset[str]]


@dataclass(frozen=True)
class Catalogue:
    kb: KnowledgeBase
    lexicon: Lexicon
    intents: Intents
    aliases: dict[Key, str]  # normalised alias -> entry id
    alias_stems: dict[Key, str]  # stemmed alias -> entry id, where only one entry has it
    # The longest alias (and stemmed alias) starting with each word: most words start none.
    alias_starts: dict[str, int]
    alias_stem_starts: dict[str, int]
    ordinary: frozenset[str]  # single-word aliases that are also ordinary words
    numbered: dict[tuple[str, str], str]  # ("objective", "2.1") -> entry id
    names: list[tuple[str, str]]  # (name as written, entry id)
    sorted_names: FuzzyIndex  # names with their words sorted, for word-order-free fuzzy matching
    vocabulary: list[str]  # what a typo is corrected towards
    typo_index: FuzzyIndex
    known_words: frozenset[str]  # every word the knowledge base, the lexicon or a cue uses

    def swap_of(self, word: str) -> str | None:
        """The vocabulary word that `word` is with two neighbouring letters swapped ("jion": "join"), the more
        used if two are. The commonest slip, which fuzz.ratio counts as two edits: in a four-letter word it fell
        under the typo cutoff. (A known word a typo may become is in the vocabulary: a set lookup each, where
        the vocabulary is a list.)"""
        swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)} - {word}
        hits = [w for w in swaps if w in self.known_words and _typo_target(w)]
        return min(hits, key=self.vocabulary.index) if hits else None

    def words(self, text: str) -> list[str]:
        """Tokens of a name, a cue or a statement, read the way questions are."""
        return [w for w, _ in self.lexicon.rewrite(tokens(text))]


def sorted_key(text: str) -> str:
    """What fuzz.token_sort_ratio compares after default_process: processed words in sorted order."""
    from rapidfuzz.utils import default_process  # only for a name not found as typed (see FuzzyIndex.best)

    return " ".join(sorted(default_process(text).split()))


def _starts(keys: dict[Key, str]) -> dict[str, int]:
    longest: dict[str, int] = {}
    for key in keys:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return longest


def _intents(intents: list[Intent], lexicon: Lexicon) -> Intents:
    cues: dict[Key, int] = {}
    not_after: dict[str, frozenset[str]] = {}
    for rank, intent in enumerate(intents):
        after = frozenset(w for word in intent.not_after for w, _ in lexicon.rewrite(tokens(word)))
        for cue in intent.cues:
            key = tuple(w for w, _ in lexicon.rewrite(tokens(cue)))
            if key:
                cues.setdefault(key, rank)
                if after and len(key) == 1 and cues[key] == rank:
                    not_after[key[0]] = after
    return Intents(
        by_id={i.id: i for i in intents}, cues=cues, order=[i.id for i in intents],
        max_cue_len=max((len(k) for k in cues), default=1), not_after=not_after,
    )


def build(kb: KnowledgeBase, statements: list[str]) -> Catalogue:
    """`statements`: the units' texts, whose words typos are corrected towards as well."""
    lexicon = build_lexicon(kb.lexicon, kb.english, kb.reads_as)

    def words(text: str) -> list[str]:
        return [w for w, _ in lexicon.rewrite(tokens(text))]

    intents = _intents(kb.intents, lexicon)
    aliases, names = _aliases(kb, words)
    alias_stems = _alias_stems(aliases)
    counts: Counter[str] = Counter()
    for text in statements:
        counts.update(words(text))
    used = set(counts)
    name_words = {w for key in aliases for w in key}
    cue_words = {w for key in intents.cues for w in key}
    vocabulary = _vocabulary(used | name_words | cue_words, lexicon, counts)
    return Catalogue(
        kb=kb,
        lexicon=lexicon,
        intents=intents,
        aliases=aliases,
        alias_stems=alias_stems,
        alias_starts=_starts(aliases),
        alias_stem_starts=_starts(alias_stems),
        ordinary=_ordinary(kb, aliases, lexicon),
        numbered={
            (_NUMBERED_KINDS[entry.kind], entry.number): entry.id
            for entry in kb.entries.values() if entry.number and entry.kind in _NUMBERED_KINDS
        },
        names=names,
        sorted_names=FuzzyIndex([sorted_key(name) for name, _ in names], NAME_PLAN),
        vocabulary=vocabulary,
        typo_index=FuzzyIndex(vocabulary, TYPO_PLAN),
        known_words=frozenset(used | name_words | cue_words | STOPWORDS | lexicon.framing),
    )


def _aliases(kb: KnowledgeBase, words: Callable[[str], list[str]]) -> tuple[dict[Key, str], list[tuple[str, str]]]:
    """(normalised name -> entry id, the first entry that has it; every (name as written, entry id))."""
    aliases: dict[Key, str] = {}
    names: list[tuple[str, str]] = []
    read: dict[str, list[tuple[str, Key]]] = {}  # entry id -> (title or alias as written, as read), title first
    for entry in kb.entries.values():
        read[entry.id] = [(name, tuple(words(name))) for name in [entry.title, *entry.aliases]]
        for name, key in read[entry.id]:
            if key:
                aliases.setdefault(key, entry.id)
                names.append((name, entry.id))
    for key, eid in _with_acronyms(read, aliases):
        aliases.setdefault(key, eid)
    for key, eid in _without_allied(kb, aliases):
        aliases.setdefault(key, eid)
    return aliases, names


def _without_allied(kb: KnowledgeBase, aliases: dict[Key, str]) -> list[tuple[Key, str]]:
    """A command's name without its leading "Allied": people say "the maritime command" and "the land
    command" for MARCOM and LANDCOM. Commands only, and only names of two words or more after it: "Allied
    decision making" (an objective's theme) is no "decision making"."""
    return [(key[1:], eid) for key, eid in aliases.items()
            if key[0] == "allied" and len(key) >= 3 and kb.entries[eid].kind == "command"]


def _with_acronyms(read: dict[str, list[tuple[str, Key]]], aliases: dict[Key, str]) -> list[tuple[Key, str]]:
    """Each name that holds another entry's full name, with that name as its acronym: "Deputy Chair of the
    Military Committee" is also "Deputy Chair of the MC", "Office of the Director General of the
    International Military Staff" also "... of the IMS". A variant another entry already has stays theirs."""
    short = _full_names_with_acronyms(read, aliases)
    out: list[tuple[Key, str]] = []
    for key, eid in aliases.items():
        for full, acronym in short:
            n = len(full)
            if aliases[full] == eid:
                continue  # its own name: "Emerging and EDT" is nobody's way to say it
            # Not at the start, where the other name heads this one: the "Consultation, Command and Control
            # Board" is no "NHQC3S Board" (the only such variants the knowledge base would make).
            at = next((i for i in range(1, len(key) - n + 1) if key[i:i + n] == full), None)
            if at is not None:
                out.append((key[:at] + acronym + key[at + n:], eid))
    return out


def _full_names_with_acronyms(read: dict[str, list[tuple[str, Key]]], aliases: dict[Key, str]) -> list[tuple[Key, Key]]:
    """(a full name of several words, its entry's acronym) for every entry that has an acronym."""
    short: list[tuple[Key, Key]] = []
    for eid, named in read.items():
        # A real acronym among the aliases, read as typed: "HQ" is read as "headquarters", no acronym.
        acronyms = [key for name, key in named[1:]
                    if name.isupper() and name.isalnum() and len(name) >= 2 and key == (name.lower(),)]
        if acronyms:
            short += [(key, acronyms[0]) for _, key in named if len(key) >= 2 and aliases.get(key) == eid]
    return short


def _alias_stems(aliases: dict[Key, str]) -> dict[Key, str]:
    """Stemmed alias -> entry id, for the stemmed aliases only one entry has."""
    stem_owners: dict[Key, set[str]] = {}
    for key, eid in aliases.items():
        stem_owners.setdefault(tuple(stem(w) for w in key), set()).add(eid)
    return {k: next(iter(v)) for k, v in stem_owners.items() if len(v) == 1}


def _ordinary(kb: KnowledgeBase, aliases: dict[Key, str], lexicon: Lexicon) -> frozenset[str]:
    """Single-word aliases that are also ordinary words: the lexicon's, and function or framing words."""
    return frozenset(w.lower() for w in kb.lexicon.ordinary) | frozenset(
        key[0] for key in aliases if len(key) == 1 and (key[0] in STOPWORDS or key[0] in lexicon.framing)
    )


def _vocabulary(known: set[str], lexicon: Lexicon, counts: Counter[str]) -> list[str]:
    """The words a typo is corrected towards. Never a function word ("correcting" a typo into one would hide
    a word that matters), but framing words are: "ofice" is "office", which frames, not "officer". The most
    used first: of two corrections as close, the one the statements use more is the likelier ("taks" is
    "tasks", as in the core tasks, not "takes")."""
    return sorted((w for w in known | lexicon.framing if _typo_target(w)), key=lambda w: (-counts[w], w))


def _typo_target(word: str) -> bool:
    """Whether a typo may be corrected into this word: long enough, plain letters, not a function word."""
    return len(word) >= TYPO_MIN_LENGTH and bool(_WORD.match(word)) and word not in STOPWORDS
