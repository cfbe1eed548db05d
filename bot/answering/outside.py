"""Words that mark a question the sources do not answer: "salary", "address", "stocks", "will", "why ...".

People ask near the domain in recurring ways: what something costs, what will happen next, what someone
thinks, where to write to. The training questions that must be declined show which words those are. Each
word gets the smoothed log-odds that a question holding it must be declined, above the base rate
(naive-Bayes style, smoothed towards the base rate so a word seen once counts for little); the
confidence model sees the largest over the question's words (confidence.QUESTION_FEATURES "outside").
`natobot eval --fit` counts them and stores the table in model.yaml; at run time it is a dictionary lookup.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.answering.question import Question

# Smoothing: a word's rate is pulled towards the base rate as if it had been seen this many more times at
# it. Set before looking at any figure (5 is the usual small-count prior); a word seen once in a question
# to decline then scores about 0.75, one seen ten times in nothing else about 2.
ALPHA = 5.0
# Words weighing less than this are left out of the stored table (they would hardly move the trees).
MIN_WEIGHT = 0.05

Asked = tuple[frozenset[str], bool]  # a training question's words and whether it must be declined


@dataclass
class Vocabulary:
    """Per word: in how many training questions it occurs, and in how many of those to decline."""

    declined: Counter[str] = field(default_factory=Counter)
    seen: Counter[str] = field(default_factory=Counter)
    questions: int = 0
    to_decline: int = 0

    @classmethod
    def count(cls, asked: Iterable[Asked]) -> Vocabulary:
        vocab = cls()
        for words, decline in asked:
            vocab.questions += 1
            vocab.to_decline += decline
            for w in words:
                vocab.seen[w] += 1
                vocab.declined[w] += decline
        return vocab

    def _base(self, own: Asked | None = None) -> float:
        to_decline, questions = self.to_decline, self.questions
        if own is not None:
            to_decline, questions = to_decline - own[1], questions - 1
        return min(max(to_decline / max(questions, 1), 1e-3), 1 - 1e-3)

    def weight(self, word: str, own: Asked | None = None) -> float:
        """The word's log-odds of a decline above the base rate; `own`: leave that question out (the
        training rows of the confidence model must not see their own label)."""
        declined, seen = self.declined[word], self.seen[word]
        if own is not None and word in own[0]:
            declined, seen = declined - own[1], seen - 1
        base = self._base(own)
        rate = (declined + ALPHA * base) / (seen + ALPHA)
        return math.log(rate / (1 - rate)) - math.log(base / (1 - base))

    def _stored(self, word: str, own: Asked | None = None) -> float:
        """The weight as the stored table gives it: rounded, and 0 below MIN_WEIGHT."""
        v = round(self.weight(word, own), 3)
        return v if v >= MIN_WEIGHT else 0.0

    def score(self, words: Iterable[str], own: Asked | None = None) -> float:
        """What `score` below gives with this vocabulary's table (leaving `own` out)."""
        if not self.questions:
            return 0.0
        return max((self._stored(w, own) for w in words if w in self.seen), default=0.0)

    def table(self) -> dict[str, float]:
        weights = {w: self._stored(w) for w in sorted(self.seen)}
        return {w: v for w, v in weights.items() if v > 0.0}


def telling(q: Question) -> tuple[str, ...]:
    """The words of a question that may tell it is one to decline: its content words (framing included:
    "email", "current"), not the names it asks about ("SITCEN" in "the SITCEN wifi password"), its function
    words ("me") nor the words that cue its intent ("tell" in "tell me about ..."), which say what it is
    about or how it is put."""
    cues = set(q.cue_words)
    return tuple(w.word for w in q.content if w.word not in cues)


def score(words: Iterable[str], table: Mapping[str, float]) -> float:
    """The stored table's score of a question: its most telling word's weight (0 when none is telling)."""
    return max((table.get(w, 0.0) for w in words), default=0.0)
