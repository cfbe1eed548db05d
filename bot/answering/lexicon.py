"""The lexicon at run time: chat spellings rewritten, synonyms folded to one stem, framing words known."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.answering.words import STOPWORDS
from knowledge.models import Lexicon as LexiconData
from knowledge.text import stem, tokens

# Zipf frequencies (log10 per billion words): at or above ZIPF_COMMON a word is everyday English and
# says little on its own ("keep" 5.7, "side" 5.5); at or below ZIPF_RARE it is as telling as a word can
# be ("seconded" 3.2). A word the list lacks counts as rare. RARITY_FLOOR keeps common words from
# counting for nothing. Set by reading the frequencies of the framing and content words of the dev set.
ZIPF_COMMON = 6.0
ZIPF_RARE = 3.5
RARITY_FLOOR = 0.15
# The words that say what is asked. Typo correction never turns a word into one of them (it would hide a
# word that matters, catalogue._vocabulary), so their common slips are spelt out instead: every swap of two
# neighbouring letters and, in words of four letters or more, every dropped letter ("wehre", "whihc",
# "mnay", "wich"), unless the slip is itself an English word ("hat", "here") or already a spelling.
# A slip of two of them ("hwo": how or who?) is left as typed.
SLIP_WORDS = ("what", "where", "when", "which", "who", "whose", "why", "how", "many", "much")
# The longer function words are spelt out the same way ("abuot", "wiht", "tehir"): left as typed, such a
# slip counts against every reply as a word the knowledge base never uses.
SLIPPED = SLIP_WORDS + tuple(sorted(w for w in STOPWORDS if len(w) >= 4 and w not in SLIP_WORDS))


@dataclass(frozen=True)
class Lexicon:
    # One word -> its replacement words ("whos" -> ("who", "is")).
    words: dict[str, tuple[str, ...]]
    # Several words -> their replacement, longest first per starting word ("sec gen").
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    max_phrase: int
    phrase_words: frozenset[str]  # every word of a multi-word spelling, never typo-corrected
    # A word's stem -> the stem that stands for its synonym group.
    canonical: dict[str, str]
    framing: frozenset[str]
    places: frozenset[str]
    asks: dict[str, str]  # word -> the kind of answer it asks for
    english: Mapping[str, float]  # common English words -> Zipf frequency (a WordTable: 57,000 of them)
    # rarity() of the words commoner than ZIPF_RARE, the only ones under 1: a dict, as the engine asks
    # for a rarity for every word of every question.
    rarities: dict[str, float]
    people: frozenset[str]  # the people the documents name, as normalised word sequences
    reads_as: dict[str, tuple[str, float]]  # everyday word -> (knowledge-base word, similarity)

    def rarity(self, word: str) -> float:
        """How much a word says when a statement lacks it: 1 for rare words, little for "keep" or "side"."""
        return self.rarities.get(word, 1.0)

    def rewrite(self, words: list[str]) -> list[tuple[str, int]]:
        """The words with spellings applied, each with the index of the word it came from."""
        out: list[tuple[str, int]] = []
        i, n = 0, len(words)
        while i < n:
            for length in range(min(self.max_phrase, n - i), 1, -1):
                repl = self.phrases.get(tuple(words[i:i + length]))
                if repl is not None:
                    out += [(w, i) for w in repl]
                    i += length
                    break
            else:
                out += [(w, i) for w in self.words.get(words[i], (words[i],))]
                i += 1
        return out

    def concept(self, word: str) -> str:
        """The stem a word counts as: its synonym group's, else its own."""
        st = stem(word)
        return self.canonical.get(st, st)


def build_lexicon(
    data: LexiconData, english: Mapping[str, float] | None = None, reads_as: dict[str, tuple[str, float]] | None = None,
) -> Lexicon:
    words, phrases = _spellings(data.spellings)
    english = english if english is not None else {}
    words = {**_slip_spellings(english), **words}  # a spelling written in the lexicon wins
    return Lexicon(
        words=words,
        phrases=phrases,
        max_phrase=max((len(k) for k in phrases), default=1),
        phrase_words=frozenset(w for k in phrases for w in k),
        canonical=_canonical(data.synonyms),
        framing=frozenset(t for w in data.framing for t in tokens(w)),
        places=frozenset(" ".join(tokens(p)) for p in data.places),
        asks={w.lower(): kind for w, kind in data.asks.items()},
        # Shared with the knowledge base, not copied: 65,000 words would be kept (and cached) twice.
        english=english,
        rarities={w: _rarity(z) for w, z in english.items() if z > ZIPF_RARE},
        people=frozenset(" ".join(tokens(p)) for p in data.people),
        reads_as=_without_opposites(reads_as or {}, data.opposites),
    )


def _without_opposites(
    reads_as: Mapping[str, tuple[str, float]], opposites: Sequence[Sequence[str]],
) -> dict[str, tuple[str, float]]:
    """The generated readings less those the curated lexicon marks as opposites, in either direction."""
    barred = {(a.lower(), b.lower()) for pair in opposites for a in pair for b in pair if a != b}
    return {w: near for w, near in reads_as.items() if (w, near[0]) not in barred}


def _rarity(zipf: float) -> float:
    return min(1.0, max(RARITY_FLOOR, (ZIPF_COMMON - zipf) / (ZIPF_COMMON - ZIPF_RARE)))


def _slip_spellings(english: Mapping[str, float]) -> dict[str, tuple[str, ...]]:
    """Each slip of SLIPPED -> its word, but not a slip that is an English word or a slip of two."""
    slips = _slips(SLIPPED)
    twice = {slip for slip, n in Counter(slip for slip, _ in slips).items() if n > 1}
    return {slip: (word,) for slip, word in slips if slip not in english and slip not in twice}


def _slips(correct: tuple[str, ...]) -> list[tuple[str, str]]:
    """(slip, word) for each neighbouring swap, and each dropped letter of a word of four letters or more."""
    out: list[tuple[str, str]] = []
    for w in correct:
        out += [(w[:i] + w[i + 1] + w[i] + w[i + 2:], w) for i in range(len(w) - 1) if w[i] != w[i + 1]]
        if len(w) >= 4:
            out += [(w[:i] + w[i + 1:], w) for i in range(len(w))]
    return out


def _spellings(spellings: dict[str, str]) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, ...], tuple[str, ...]]]:
    """(one word -> its replacement, several words -> theirs)."""
    words: dict[str, tuple[str, ...]] = {}
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for key, value in spellings.items():
        k = tuple(key.lower().replace("-", " ").split())
        v = tuple(value.lower().split())
        if len(k) == 1:
            words[k[0]] = v
        elif k:
            phrases[k] = v
    return words, phrases


def _canonical(synonyms: list[list[str]]) -> dict[str, str]:
    """Each stem of a synonym group -> the group's first stem."""
    canonical: dict[str, str] = {}
    for group in synonyms:
        stems = [stem(t) for w in group for t in tokens(w) if t not in STOPWORDS]
        if not stems:
            continue
        head = stems[0]
        for st in stems:
            canonical.setdefault(st, head)  # a stem in two groups stays with the first
    return canonical
