"""Who a message addresses (@people, @here, #channels) is not read as part of the question (handles.py)."""

from __future__ import annotations

import pytest

from bot.answering import handles
from bot.answering.engine import Engine
from handlers.common import slack_to_plain

_NAMES = {("nato",), ("saceur",)}


@pytest.mark.parametrize(("text", "expected"), [
    ("@bob who is SACEUR", " who is SACEUR"),
    ("@bob.smith asked: who is SACEUR?", " asked: who is SACEUR?"),
    ("<@U04B2XYZ> where is MARCOM", "< > where is MARCOM"),
    ("#ops-room where is MARCOM?", " where is MARCOM?"),
    ("who is SACEUR? cc @bob @carol", "who is SACEUR? cc  "),
    ("what does @NATO say about China", "what does NATO say about China"),  # a name it knows stays
    ("objective #3 risk", "objective #3 risk"),  # a number, not a channel
    ("mail bob@nato.int", "mail bob@nato.int"),  # an address, not a handle
    ("C# or C++?", "C# or C++?"),
    ("@channel", "@channel"),  # nothing but handles: left for the engine to answer as it can
    ("who heads the IMS", "who heads the IMS"),
])
def test_drop_removes_the_handles_a_message_addresses(text: str, expected: str) -> None:
    assert handles.drop(text, _NAMES).split() == expected.split()


@pytest.mark.parametrize(("slack_text", "plain"), [
    ("<@UBOT> <@U04B2XYZ> who is SACEUR?", "who is SACEUR?"),
    ("<!here> where is MARCOM", "where is MARCOM"),
    ("<!channel> where is MARCOM", "where is MARCOM"),
    ("<#C012AB|ops-room> who heads the IMS?", "who heads the IMS?"),
    ("<@U04B2XYZ|bob> asked: where is SHAPE?", "where is SHAPE?"),
])
def test_a_slack_message_that_addresses_someone_gets_the_answer_its_question_gets(
    engine: Engine, slack_text: str, plain: str,
) -> None:
    """Through the Slack handlers' own markup translation: before handles.py, "@bob who is SACEUR" was
    declined (0.42) and "@channel where is MARCOM" too (0.43)."""
    asked = engine.ask(slack_to_plain(slack_text, "UBOT"))
    alone = engine.ask(plain)
    assert alone.answered
    assert (asked.answered, asked.text) == (alone.answered, alone.text)
