"""A name that holds another entry's full name is also known with that entry's acronym in its place."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("what does the deputy chair of the MC do", "dcmc"),  # Deputy Chair of the (NATO) Military Committee
        ("is it deputy chairman or deputy chair of the MC?", "dcmc"),  # both its titles, one entry
        ("tell me about the office of the DG of the IMS", "dgims-office"),
        ("what does the chair of the MC do", "cmc"),
        ("what is the Military Committee", "mc"),  # the full names still name their own entry
    ],
)
def test_a_name_with_an_acronym_inside_is_recognised(engine: Engine, question: str, entry: str) -> None:
    assert engine.analyse(question).entries == [entry]


def test_a_variant_never_takes_another_entrys_name(engine: Engine) -> None:
    aliases = engine.catalogue.aliases
    assert aliases[("mc",)] == "mc" and aliases[("cmc",)] == "cmc" and aliases[("dcmc",)] == "dcmc"
    assert aliases[("deputy", "chair", "of", "the", "mc")] == "dcmc"
    assert aliases[("chair", "of", "the", "mc")] == "cmc"
