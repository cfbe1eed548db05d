"""The engine builds its answers without run-time validation (bot/answering/answer.py: `new_answer` and
friends are pydantic's `model_construct`). mypy checks the constructors' arguments; these tests check the
values: every answer the engine gives to the dev set, to conversations and to odd input is exactly what
validating it would have produced."""

from __future__ import annotations

import warnings

import pytest
from pydantic import ValidationError

from bot.answering.answer import Answer, new_answer, new_part
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.evaluation.evaluate import load_set


def check(answer: Answer) -> None:
    """Validating the answer's own dump gives the same answer; a value of the wrong type fails (pydantic's
    serializer only warns about one, so warnings are errors here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dumped = answer.model_dump()
    assert Answer.model_validate(dumped) == answer


def test_every_dev_set_answer_is_valid(engine: Engine) -> None:
    items = load_set()
    assert len(items) > 400
    for item in items:
        check(engine.ask(item.q))


@pytest.mark.parametrize("question", [
    "", "   ", "hello", "thanks!", "help", "北约是什么", "x" * 5000,
    "who heads the IMS and where is it based?", "where is MARCOM and who leads LANDCOM?",
    "what is the weather in Brussels", "what is mission objective 9.9?", "JFC", "what's the IMS budget?",
])
def test_odd_input_gives_valid_answers(engine: Engine, question: str) -> None:
    check(engine.ask(question))


def test_follow_ups_give_valid_answers(engine: Engine) -> None:
    ctx = Context()
    for question in ["where is MARCOM?", "and LANDCOM?", "who leads it?", "what about the IMS?", "is it big?"]:
        check(engine.ask(question, ctx))


def test_a_wrongly_typed_value_is_caught() -> None:
    bad = new_answer(question="q", status="answer", answered=True, title="t", text="x",
                     parts=[new_part(entry="e", title="t", text=3)])  # type: ignore[arg-type]
    with pytest.raises((ValidationError, UserWarning)):
        check(bad)
