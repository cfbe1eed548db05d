"""What the confidence model sees of a reply (model.CONFIDENCE_FEATURES), besides the best unit's own
evidence: how clearly the ranking chose it, how much of the question the whole reply covers, what the
question asks for that the reply (or any candidate) lacks, and what kind of question it is.

The same functions build the rows `natobot eval --fit` trains on (fit.py) and the row a question gets at
run time (scoring.Scorer.confidence), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.answering.question import Question


class Candidate(Protocol):
    """What the confidence model reads of a ranked candidate (ranking.Scored has it; this module stays
    below scoring, which imports it)."""

    @property
    def probability(self) -> float: ...
    @property
    def logit(self) -> float: ...
    @property
    def entry(self) -> str: ...
    @property
    def features(self) -> tuple[float, ...]: ...

# A question's content words as the confidence model weighs them against a whole reply:
# (concept, weight for, weight against, counts against at all).
Terms = tuple[tuple[str, float, float, bool], ...]
# How many of the best candidates a ranking keeps (the confidence model looks at no more).
RANK_DEPTH = 12
# How many of the best candidates are looked at for agreement on the entity.
AGREEMENT_DEPTH = 5
# A question with this many words carrying what is asked is as specific as questions get.
CARRYING_CAP = 4.0

REPLY_FEATURES = (
    "reply_lex",  # share of the question's content (by rarity) the whole reply covers
    "reply_miss",  # how much the question carries that the reply lacks (summed over words)
    "reply_miss_max",  # ... the single most telling such word ("budget" in "what is the IMS's budget")
    "reply_absent",  # ... such words that no candidate holds either: the knowledge base has nothing for them
    "reply_no_data",  # the best unit says the sources do not give this ("the sources do not name ...")
)
QUESTION_FEATURES = (
    "wants_person", "wants_named", "wants_time", "wants_number", "wants_place",  # the kind of answer asked
    "asks_now",  # about the present ("currently", "this year"): the sources are dated
    "asks_exact",  # for an exact figure or name ("exactly how many")
    "follow_up",  # the subject came from the conversation
    "carrying",  # how many words carry what is asked (scaled)
    "counting",  # a "how many" says what it counts
    "asks_why",  # a reason, which the sources give for few things ("why did the IMS move ...")
    "outside",  # its most telling word for a question to decline ("salary", "stocks": outside.py)
)
_WANTS = ("person", "named", "time", "number", "place")


def reply_features(
    terms: Terms, shown: Sequence[frozenset[str]], near: Sequence[frozenset[str]], max_idf: float,
    *, answers: bool = True,
) -> tuple[float, ...]:
    """REPLY_FEATURES of a reply built on the units whose concepts are `shown`, the best candidates'
    concepts being `near`; `answers` is whether the best unit gives a fact."""
    union = frozenset().union(*shown) if shown else frozenset()
    total = covered = lacking = worst = absent = 0.0
    for concept, weight, against, carries in terms:
        total += weight
        if concept in union:
            covered += weight
        elif carries:
            lacking += against
            worst = max(worst, against)
            if not any(concept in c for c in near):
                absent += against
    return (
        covered / total if total else 0.0, min(lacking / max_idf, 3.0) / 3.0, min(worst / max_idf, 1.0),
        min(absent / max_idf, 3.0) / 3.0, 0.0 if answers else 1.0,
    )


def question_row(q: Question, outside: float) -> tuple[float, ...]:
    """QUESTION_FEATURES: what kind of question it is, whatever the candidates; `outside` is the
    question's score on the words of questions to decline (outside.py)."""
    carrying = sum(1 for w in q.content if w.carries)
    return (
        *(1.0 if q.wants == kind else 0.0 for kind in _WANTS),
        1.0 if q.now else 0.0, 1.0 if q.exact else 0.0, 1.0 if q.follow_up else 0.0,
        min(carrying, CARRYING_CAP) / CARRYING_CAP, 1.0 if q.counted else 0.0, 1.0 if "why" in q.words else 0.0,
        outside,
    )


def confidence_row(
    ranked: Sequence[Candidate], reply: tuple[float, ...], question: tuple[float, ...],
) -> tuple[float, ...]:
    """What the confidence model sees: the best candidate, how clearly it beat the next one and the
    best one about another entity, how many of the best few agree on its entity, the reply's coverage
    of the question and the question's kind."""
    top = ranked[0]
    # The share of the best candidate's entity, not of the candidate alone: two statements of the same
    # fact must not halve each other's share.
    share = sum(s.probability for s in ranked[:RANK_DEPTH] if s.entry == top.entry)
    runner_up = ranked[1].logit if len(ranked) > 1 else top.logit - 10.0
    other = next((s.logit for s in ranked[1:] if s.entry != top.entry), top.logit - 10.0)
    head = ranked[:AGREEMENT_DEPTH]
    agreement = sum(s.entry == top.entry for s in head) / len(head)
    return (share, min(top.logit - runner_up, 10.0) / 10.0, min(top.logit - other, 10.0) / 10.0,
            agreement, *reply, *question, *top.features)
