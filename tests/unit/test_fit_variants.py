"""The training questions `natobot eval --fit` generates from the written ones (bot/evaluation/fit.py)."""

from __future__ import annotations

import random

import pytest

from bot.answering.engine import Engine
from bot.evaluation.fit import follow_up, variants


@pytest.mark.parametrize(
    ("question", "asked", "subject"),
    [
        ("Who heads Allied Maritime Command?", "who heads it", "marcom"),
        ("What does JSEC do?", "what does it do", "jsec"),
        ("How many staff does the IMS have?", "how many staff does it have", "ims"),
        ("what's the IMS budget", "what is it budget", "ims"),
    ],
)
def test_a_question_about_one_subject_is_also_asked_as_a_follow_up(
    engine: Engine, question: str, asked: str, subject: str,
) -> None:
    made = follow_up(engine.analyse(question))
    assert made is not None
    text, context = made
    assert (text, context.entities) == (asked, [subject])
    # Asked in that conversation, the subject comes from the context, as a real follow-up's does.
    again = engine.analyse(text, context)
    assert again.follow_up and again.entries == [subject]


@pytest.mark.parametrize(
    "question",
    ["where are MARCOM and LANDCOM based?", "what's the weather like", "what is the capital of France"],
)
def test_no_follow_up_without_exactly_one_named_subject(engine: Engine, question: str) -> None:
    assert follow_up(engine.analyse(question)) is None


def test_variants_are_seeded_and_differ_from_the_question() -> None:
    first = variants("where is MARCOM?", random.Random(1))
    assert first == variants("where is MARCOM?", random.Random(1))
    assert first and all(v != "where is MARCOM?" for v in first)
