"""A question as read: the names it uses, its content words, the intent and the kind of answer wanted.

`analysis.Analyser` builds it; the scorer weighs units against it and the composer answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Name:
    entry: str
    start: int
    end: int
    score: float  # 1.0 exact; less for a typo, a fuzzy match, an ordinary word or a carried subject
    how: str  # "alias", "stem", "number", "fuzzy", "ordinary", "context"


@dataclass(frozen=True)
class Word:
    word: str  # as read: lower case, spelling rewritten, typo corrected
    concept: str  # its stem, or its synonym group's
    quality: float  # 1.0, or the typo correction's similarity
    known: bool  # the knowledge base uses this concept somewhere
    rarity: float  # how much the word says when a statement lacks it (lexicon.rarity)
    # Framing ("fyi", "slide") and intent cues ("located") count for an answer but never against it.
    carries: bool
    # Pure framing ("fyi", "lol", "for a slide"): neither for nor against any statement.
    framing: bool = False


@dataclass(frozen=True)
class Question:
    text: str
    words: tuple[str, ...]
    names: tuple[Name, ...]
    content: tuple[Word, ...]
    intent: str | None
    facet: str | None
    wants: str | None  # "person", "place", "time", "number", "reason", "name", or None
    listed: bool  # several names asked side by side: answer each
    follow_up: bool  # the subject came from the conversation
    ambiguous: tuple[str, ...] = ()  # entries an incomplete reference could mean ("objective 2")
    unknown_number: str | None = None  # a reference to a number that does not exist ("objective 5.1")
    cue_words: tuple[str, ...] = field(default=())
    numbers: frozenset[str] = frozenset()  # the numbers and years the question states
    acronyms: tuple[str, ...] = ()  # words typed in capitals, or short names, that a "stands for" asks about
    focus: str | None = None  # the concept of the first content word after the question word ("how many *staff*")
    counted: tuple[str, ...] = ()  # the concepts a "how many" counts ("how many *OIG reports*")
    now: bool = False  # asks about the present ("currently", "this year"), which dated sources may not give
    exact: bool = False  # asks for an exact figure or name ("exactly how many")

    @property
    def entries(self) -> list[str]:
        return list(dict.fromkeys(n.entry for n in self.names))
