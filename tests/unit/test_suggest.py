"""Related-question buttons lead somewhere new: never the question asked, never the same answer again."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine
from bot.answering.suggest import MAX_RELATED, Related
from bot.render import blocks
from bot.render.measure import measure, shown
from knowledge.text import normalise


@pytest.fixture(scope="module")
def related() -> Related:
    return Related(Engine.load())


def test_no_catalogue_question_gets_a_button_repeating_it(related: Related) -> None:
    engine = related.engine
    questions = [q for entry in engine.kb.entries.values() for q in entry.questions]
    assert len(questions) > 400
    short = 0
    for question in questions:
        answer = related.apply(engine.ask(question))
        buttons = answer.suggestions or answer.related
        assert len(buttons) <= MAX_RELATED
        assert normalise(question) not in {normalise(b) for b in buttons}, question
        if answer.status == "answer":
            assert related.key(question) not in {related.key(b) for b in buttons}, (question, buttons)
        assert len({related.key(b) for b in buttons}) == len(buttons), buttons  # no two buttons alike
        assert buttons, question
        short += len(buttons) < MAX_RELATED
    assert short / len(questions) < 0.2  # topping up from the catalogue keeps most cards at three


def test_fallback_suggestions_never_repeat_the_question(related: Related) -> None:
    engine = related.engine
    answer = engine.ask("what is the weather in brussels")
    assert answer.status == "fallback"
    fixed = related.apply(answer.model_copy(update={"suggestions": [answer.question, *answer.suggestions]}))
    assert answer.question not in fixed.suggestions and fixed.suggestions


@pytest.mark.parametrize(("text", "expected"), [
    ("<https://example.org|Example>", "Example"),
    (":books: a &amp; b", "E a & b"),
    ("*bold* _it_", "bold it"),
])
def test_shown(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_measure_counts_what_is_seen() -> None:
    payload = blocks.notice("Hello there.")
    height = measure(payload["blocks"])
    assert (height.blocks, height.chars, height.lines) == (1, len("Hello there."), 1.0)
