"""How names are read: one typed right next to something it is part of qualifies it ("the IMS NOGP") and is
not a second entity to answer; an everyday word in capitals ("HQ") is no surer a name than in lower case;
and a derived word ("liaise") finds its family ("liaison")."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("question", "listed"),
    [
        ("what does the IMS NOGP do?", False),  # the NOGP is part of the IMS (through the DG's office)
        ("who is NATO SACEUR?", False),
        ("where is the ACO SHAPE", False),
        ("JFC Naples and JFC Brunssum", True),  # side by side with "and": both asked
        ("JFC Naples JFC Brunssum", True),  # peers, neither part of the other
        ("the IMS and the NOGP", True),
    ],
)
def test_only_names_side_by_side_are_listed(engine: Engine, question: str, listed: bool) -> None:
    assert engine.analyse(question).listed is listed


def test_a_qualified_name_is_answered_alone(engine: Engine) -> None:
    answer = engine.ask("what does the IMS NOGP do?")
    assert answer.answered
    assert answer.entities == ["nogp"]
    assert answer.text.startswith("The NOGP")


def test_wholes_are_found_at_any_depth(engine: Engine) -> None:
    assert engine.kb.wholes("nogp")[:3] == ["dgims-office", "ims", "mc"]
    assert engine.kb.wholes("no-such-entry") == []


@pytest.mark.parametrize("word", ["liaise", "liaises", "liaised", "liaising", "liaisons"])
def test_a_word_family_meets_in_one_concept(engine: Engine, word: str) -> None:
    lexicon = engine.catalogue.lexicon
    assert lexicon.concept(word) == lexicon.concept("liaison")


def test_liaise_finds_the_office_that_maintains_liaison(engine: Engine) -> None:
    answer = engine.ask("which organisations does the NOGP liaise with?")
    assert answer.answered
    assert answer.entities[0] == "nogp"
    assert "International Staff" in answer.text


@pytest.mark.parametrize(
    ("question", "sure"),
    [
        ("which HQ does it use", False),  # "HQ" in capitals is still the everyday word
        ("where is NATO HQ", True),
        ("what does IS do?", True),  # an acronym in capitals is the International Staff
    ],
)
def test_a_capitalised_everyday_word_is_no_surer_a_name(engine: Engine, question: str, sure: bool) -> None:
    hows = {n.how for n in engine.analyse(question).names}
    assert ("alias" in hows) is sure
