"""The scorer's shortcuts give what the plain computation gives: the pre-scores of candidates summed in C,
and a ranking that builds only the candidates it keeps."""

from __future__ import annotations

import pytest

from bot.answering import scoring
from bot.answering.engine import Engine
from bot.answering.ranking import Scored, rank_rows

QUESTIONS = [
    "who heads the IMS?",
    "where is JFC Naples",
    "how many people work at the IMS?",
    "what does NOGP stand for?",
    "compare JFC Naples and JFC Brunssum",
    "what is the weather in brussels",
    "wat does the Finacial Controler do",
    "when was NATO founded?",
]


def _plain_add(found: dict[int, float], ids: list[int], gain: float) -> None:
    for i in ids:
        found[i] = found.get(i, 0.0) + gain


@pytest.mark.parametrize(
    ("start", "ids", "gain"),
    [
        ({}, [5, 1, 9], 0.7),  # nothing scored yet
        ({3: 0.2, 4: 1.1}, [5, 1, 9], 0.35),  # none of them scored yet
        ({3: 0.2, 4: 1.1, 9: 0.1}, [5, 9, 3, 8], 0.35),  # some scored: those add, the others join in order
        ({3: 0.2}, [], 2.0),
    ],
)
def test_add_gives_the_plain_sums_in_the_plain_order(start: dict[int, float], ids: list[int], gain: float) -> None:
    fast, plain = dict(start), dict(start)
    scoring._add(fast, ids, gain)
    _plain_add(plain, ids, gain)
    assert list(fast.items()) == list(plain.items())


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("limit", [1, 3, 8, 12, 30])
def test_rank_keeps_the_head_of_the_full_ranking(engine: Engine, question: str, limit: int) -> None:
    q = engine.analyse(question)
    found, rows = engine.scorer.rows(q)
    entries = [engine.index.units[i].unit.entry for i in found]
    full = rank_rows(rows, entries, engine.model.bias, engine.scorer.weights)
    expected = [Scored(found[s.index], s.probability, s.features, s.logit, s.entry) for s in full[:limit]]
    assert engine.scorer.rank(q, limit=limit) == expected
    assert len(full) == len(rows)  # without a depth, every candidate is ranked (as fit.py trains on them)
