"""Names that are also everyday words ("hq", "headquarters", "divisions"): taken as names only when typed in
capitals or when nothing else is named; their other forms ("headquartered") count as the same word."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("the NCIA is headquartered where?", ["ncia"]),  # a verb of place, not NATO HQ beside the agency
        ("where is SHAPE headquartered", ["shape"]),
        ("where is the NCIA's headquarters?", ["ncia"]),
        ("where are NATO's headquarters?", ["nato-hq"]),  # "NATO headquarters" is its full name
        ("where is headquarters?", ["nato-hq"]),  # nothing else named: the everyday word is the name
        ("where is NATO HQ?", ["nato-hq"]),
        ("who is acting head of the IMS", ["dgims"]),  # "acting" is the everyday word, not ACT by its stem
    ],
)
def test_an_everyday_word_names_only_what_nothing_else_does(engine: Engine, question: str, names: list[str]) -> None:
    assert [n.entry for n in engine.analyse(question).names] == names


def test_an_agency_whose_seat_the_sources_omit_gets_no_other_card(engine: Engine) -> None:
    answer = engine.ask("Where is the NATO Communications and Information Agency headquartered?")
    assert answer.entities == ["ncia"] and not answer.answered
    assert "Brussels" not in answer.text
