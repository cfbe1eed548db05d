"""Chat markup around a question (who it addresses, emoji, links, struck-out words, list numbers, "+1") is
not read as part of it (markup.py)."""

from __future__ import annotations

import time

import pytest

from bot.answering import markup
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
    ("mail bob@nato.int who is SACEUR", "mail who is SACEUR"),  # an address, not a handle
    ("C# or C++?", "C# or C++?"),
    ("@channel", "@channel"),  # nothing but markup: left for the engine to answer as it can
    ("who heads the IMS", "who heads the IMS"),
    (":wave: who is SACEUR :thinking_face:", "who is SACEUR"),
    ("who is SACEUR :+1::skin-tone-2:", "who is SACEUR"),
    ("drill at 10:30:00 - where is MARCOM", "drill at 10:30:00 - where is MARCOM"),  # a time, not emoji
    ("who is SACEUR (see <https://www.nato.int/cps/en/natohq/topics_64557.htm>)", "who is SACEUR (see )"),
    ("who is SACEUR https://www.nato.int/x?y=1 nato.int", "who is SACEUR"),
    ("what does the U.S. Mission want, e.g. for 2.1", "what does the U.S. Mission want, e.g. for 2.1"),
    ("~typo~ who is SACEUR", "who is SACEUR"),
    ("1. who is SACEUR\n2) where is MARCOM\n- what is the IMS", "who is SACEUR where is MARCOM what is the IMS"),
    ("Q2: where is MARCOM", "where is MARCOM"),  # a numbered question
    ("2.1 risk?", "2.1 risk?"),  # an objective's number, not a list's
    ("Q2 2024 plans?", "Q2 2024 plans?"),  # a quarter, not a question's number
    ("who is SACEUR +1", "who is SACEUR"),
])
def test_strip_removes_the_chat_markup_around_a_question(text: str, expected: str) -> None:
    assert markup.strip(text, _NAMES).split() == expected.split()


@pytest.mark.parametrize(("slack_text", "plain"), [
    ("<@UBOT> <@U04B2XYZ> who is SACEUR?", "who is SACEUR?"),
    ("<!here> where is MARCOM", "where is MARCOM"),
    ("<!channel> where is MARCOM", "where is MARCOM"),
    ("<#C012AB|ops-room> who heads the IMS?", "who heads the IMS?"),
    ("<@U04B2XYZ|bob> asked: where is SHAPE?", "where is SHAPE?"),
    ("who is SACEUR /cc <@U0123>", "who is SACEUR"),
    ("where is MARCOM :thinking_face: <https://www.nato.int|nato.int>", "where is MARCOM"),
    ("~typo~ who heads the IMS", "who heads the IMS"),
    ("1. what is mission objective 2.1", "what is mission objective 2.1"),
])
def test_a_slack_message_gets_the_answer_its_question_gets(
    engine: Engine, slack_text: str, plain: str,
) -> None:
    """Through the Slack handlers' own markup translation: before markup.py each of these was declined
    ("@bob who is SACEUR" at 0.42, "who is SACEUR :thinking_face:" at 0.12, "1. what is mission objective 2.1"
    at 0.79)."""
    asked = engine.ask(slack_to_plain(slack_text, "UBOT"))
    alone = engine.ask(plain)
    assert alone.answered
    assert (asked.answered, asked.text) == (alone.answered, alone.text)


@pytest.mark.parametrize("text", ["a." * 8000 + "@", "a-" * 8000 + ".x @", "a" * 16000 + " @ .", "a@" * 8000 + "."])
def test_a_long_run_that_is_no_address_is_scanned_once(text: str) -> None:
    """Each link pattern starts only where a run starts: tried from every character, these took 0.7-4.9 s;
    scanned once, about 3 ms. The bound leaves a margin of hundreds for a slow machine."""
    started = time.perf_counter()
    markup.strip(text, _NAMES)
    assert time.perf_counter() - started < 1.0
