"""A question wrapped in chat asides: bot.answering.asides and the engine's second reading."""

from __future__ import annotations

import pytest

from bot.answering import asides
from bot.answering.answer import Answer
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.answering.memory import MEMORY_CONFIDENCE, Memory
from knowledge.text import clean, tokens_with_case


@pytest.mark.parametrize(("text", "parts", "leading"), [
    ("where is MARCOM based? sorting out my travel diary", ["where is MARCOM based", "sorting out my travel diary"],
     False),
    ("new starter - who heads the IMS?", ["new starter", "who heads the IMS"], False),
    ("who heads the IMS -- asking for a friend", ["who heads the IMS", "asking for a friend"], False),
    ("who heads the IMS — asking for a friend", ["who heads the IMS", "asking for a friend"], False),
    ("where is JFC Naples, roughly speaking", ["where is JFC Naples", "roughly speaking"], True),
    ("new here. where is SHAPE?", ["new here", "where is SHAPE"], False),
    ("morning all! where is SHAPE?", ["morning all", "where is SHAPE"], False),
    ("prepping my travel diary: where is SHAPE?", ["prepping my travel diary", "where is SHAPE"], False),
    ("risk under 3.2: what is it", ["risk under 3.2", "what is it"], False),  # the engine decides (below)
    # A break wins over commas, which then stay inside their part.
    ("where is MARCOM? need it, thanks", ["where is MARCOM", "need it, thanks"], False),
    # One piece: no break, the "U.S." of a name, a trailing question mark, a paragraph.
    ("where is MARCOM?", None, False),
    ("what does the U.S. Mission want from the EU?", None, False),
    ("is the IMS-IS split clear?", None, False),
    ("a? b? c? d", None, False),
])
def test_cut(text: str, parts: list[str] | None, leading: bool) -> None:
    cut = asides.cut(text)
    assert (cut is None) if parts is None else (cut == asides.Cut(parts, leading))


def _whole(engine: Engine, question: str, context: Context | None = None) -> Answer:
    """The message read whole, as it was before asides were read, and without the paraphrase memory
    (memory.py), which vouches for some such readings on its own ("where is JFC Naples, give or take")."""
    text = clean(question)
    memory, engine.memory = engine.memory, Memory.empty()
    try:
        return engine._ask_one(question, text, tokens_with_case(text), context)
    finally:
        engine.memory = memory


@pytest.mark.parametrize(("question", "alone", "fact"), [
    ("where is MARCOM based? sorting out my travel diary", "where is MARCOM based", "Northwood"),
    ("when was ACT created? prepping some history notes for the boss", "when was ACT created", "2003"),
    ("who heads the IMS - new starter trying to learn the ropes", "who heads the IMS", "Director General"),
    ("where is JFC Naples, give or take", "where is JFC Naples", "Naples"),
    # Framing words before the question word.
    ("hey where is MARCOM based? sorting out my travel diary", "hey where is MARCOM based", "Northwood"),
    # ... and small words: "my boss wants to know where ..." opens with its question.
    ("my boss wants to know where MARCOM is based? sorting out my travel diary",
     "my boss wants to know where MARCOM is based", "Northwood"),
    # An aside before a colon or after an exclamation mark.
    ("prepping my travel diary: where is MARCOM based?", "where is MARCOM based", "Northwood"),
    ("sorting out my travel diary! when was ACT created?", "when was ACT created", "2003"),
    # A possessive points within its own part: "their" are the nations'.
    ("what forums do nations use to line up their defence policies? sorting out my travel diary",
     "what forums do nations use to line up their defence policies", "forums"),
    # A question that opens with no question word, after a greeting that is framing through and through.
    ("morning all! SITCEN sits between which 2 staffs?", "SITCEN sits between which 2 staffs", "International Staff"),
    ("morning all! name of the DG IMS?", "name of the DG IMS", "Director General"),
])
def test_a_declined_message_is_answered_as_its_question_alone(
    engine: Engine, question: str, alone: str, fact: str,
) -> None:
    assert not _whole(engine, question).answered
    answer = engine.ask(question)
    assert answer.answered and fact in answer.text
    assert answer.question == question  # as typed
    # The same reply; as sure as the question alone, or as the memory makes the whole message when it
    # vouches for that reading first.
    alone_answer = engine.ask(alone)
    assert answer.model_dump(exclude={"question", "confidence"}) == alone_answer.model_dump(
        exclude={"question", "confidence"})
    assert answer.confidence in (alone_answer.confidence, MEMORY_CONFIDENCE)


@pytest.mark.parametrize("question", [
    "where is MARCOM based? the LANDCOM travel diary is a mess",  # the aside names something
    "where is MARCOM based? sorting out my 2024 travel diary",  # ... holds a number
    "how big is the IMS? need hard numbers",  # ... says what is asked
    "writing history notes, when was SHAPE founded",  # a comma before the question sets its scene
    "history notes - is that when SHAPE was founded",  # the question points into the aside
    "forget NATO, give me tips on which defence stocks to buy",  # the part that names something does not ask
])
def test_a_message_whose_other_parts_do_not_only_frame_it_is_read_whole(engine: Engine, question: str) -> None:
    # Without the memory on both sides: it vouches for some whole readings ("how big is the IMS? need hard
    # numbers"), which is not what is tested here.
    memory, engine.memory = engine.memory, Memory.empty()
    try:
        asked = engine.ask(question)
    finally:
        engine.memory = memory
    assert asked.model_dump() == _whole(engine, question).model_dump()
    assert not asked.answered


def test_a_confident_whole_reading_is_kept(engine: Engine) -> None:
    question = "how many staff does the IMS have? my manager keeps asking"
    assert _whole(engine, question).answered
    assert engine.ask(question).model_dump() == _whole(engine, question).model_dump()


def test_in_a_conversation_the_question_alone_is_asked_in_it(engine: Engine) -> None:
    question = "who leads it? sorting out my travel diary"
    assert not _whole(engine, question, Context(["marcom"])).answered
    context, alone = Context(["marcom"]), Context(["marcom"])
    answer = engine.ask(question, context)
    reference = engine.ask("who leads it?", alone)
    assert answer.answered and "Commander MARCOM" in answer.text
    assert answer.model_dump(exclude={"question"}) == reference.model_dump(exclude={"question"})
    assert context == alone


def test_a_declined_reading_leaves_the_conversation_as_the_whole_message_left_it(engine: Engine) -> None:
    question = "where is MARCOM based? the LANDCOM travel diary is a mess"
    context, whole = Context(["ims"]), Context(["ims"])
    engine.ask(question, context)
    _whole(engine, question, whole)
    assert context == whole
