"""A one-word cue is no cue where it is the question's subject ("what did *allies* agree ...")."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("how many allies does nato have", "members"),
        ("nato members?", "members"),
        ("who are the allies", "members"),
        ("list the nato allies", "members"),
        ("what did allies agree at the 2014 Wales summit?", None),  # the subject of "agree"
        ("how do allies keep their defence policies aligned?", None),
        ("why is common funding a fight among allies", None),  # the setting, not what is asked
    ],
)
def test_members_is_asked_only_when_the_allies_are_what_is_asked(
    engine: Engine, question: str, intent: str | None,
) -> None:
    q = engine.analyse(question)
    if intent is None:
        assert q.intent != "members"
    else:
        assert q.intent == intent


@pytest.mark.parametrize(
    ("question", "entry", "facts"),
    [
        ("what did allies agree at the 2014 Wales summit?", "wales-pledge", ["2 percent", "2024"]),
        ("how do allies keep their defence policies aligned?", "policy-alignment", []),
    ],
)
def test_a_question_about_what_allies_do_is_answered(
    engine: Engine, question: str, entry: str, facts: list[str],
) -> None:
    answer = engine.ask(question)
    assert answer.answered and entry in answer.entities
    assert all(f in answer.text for f in facts)
