"""The order of the scored candidates: in a follow-up, the conversation's subject leads when its
statements together outweigh the single best statement about something else; a question that asks
nothing but its words opens with the best-scoring statement shown."""

from __future__ import annotations

import dataclasses

import pytest

from bot.answering import ranking
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.answering.model import FEATURES
from bot.answering.question import Question
from bot.answering.ranking import Scored

_ROW = tuple(0.0 for _ in FEATURES)


def _ranked(*candidates: tuple[str, float]) -> list[Scored]:
    """Scored candidates, best first, from (entry, share) pairs; logits fall with the order."""
    return [Scored(i, share, _ROW, 10.0 - i, entry) for i, (entry, share) in enumerate(candidates)]


@pytest.mark.parametrize(("candidates", "subject", "first"), [
    # The subject's three statements outweigh the one about something else: the subject leads.
    ((("is", 0.24), ("nogp", 0.23), ("nogp", 0.23), ("nogp", 0.19)), {"nogp"}, "nogp"),
    # No conversation: the best statement leads, whatever the shares.
    ((("is", 0.24), ("nogp", 0.23), ("nogp", 0.23), ("nogp", 0.19)), set(), "is"),
    # Another entity outweighs the best statement, but it is not the subject: unchanged.
    ((("is", 0.24), ("mc", 0.23), ("mc", 0.23), ("nogp", 0.05)), {"nogp"}, "is"),
    # The best statement is already about the subject (one of two).
    ((("unscr", 0.3), ("nogp", 0.2), ("nogp", 0.2)), {"unscr", "nogp"}, "unscr"),
    # The subject's statements do not outweigh the best one: unchanged.
    ((("is", 0.6), ("nogp", 0.2), ("nogp", 0.1)), {"nogp"}, "is"),
])
def test_the_subject_leads_a_follow_up_when_its_statements_outweigh_the_best(
    candidates: tuple[tuple[str, float], ...], subject: set[str], first: str,
) -> None:
    ranked = _ranked(*candidates)
    out = ranking._subject_first(ranked, frozenset(subject))
    assert out[0].entry == first
    assert sorted(s.index for s in out) == sorted(s.index for s in ranked)  # reordered, nothing lost
    if first == ranked[0].entry:
        assert out == ranked


def test_a_follow_up_keeps_the_subject_the_conversation_left_second(engine: Engine) -> None:
    # The second turn's answer is about the resolutions, and the NOGP stays second in the context;
    # "it" still means the office, whose statements on liaison name the International Staff.
    context = Context()
    engine.ask("what does the NOGP do?", context)
    engine.ask("which UN resolutions?", context)
    assert context.entities == ["unscr-1325-1820", "nogp"]
    answer = engine.ask("who does it liaise with?", context)
    assert answer.answered
    assert "nogp" in answer.entities
    assert "international organi" in answer.text.lower()


def _question(engine: Engine, text: str) -> Question:
    return engine.analyse(text)


@pytest.mark.parametrize(("facet", "intent", "opens"), [
    (None, None, 2),  # nothing asked but the words: the best-scoring statement of the entity opens
    ("location", None, 0),  # a facet asked: the statement of that facet stays first
    (None, "what_is", 0),  # "what is X?": the overview stays first
])
def test_a_reply_opens_with_the_best_scoring_statement_only_when_nothing_else_is_asked(
    engine: Engine, facet: str | None, intent: str | None, opens: int,
) -> None:
    q = dataclasses.replace(_question(engine, "jsec in germany?"), facet=facet, intent=intent)
    top = Scored(0, 0.2, _ROW, 7.0, "jsec")  # the overview, put first as the facet of a question without one
    support = [Scored(1, 0.1, _ROW, 6.0, "other"), Scored(2, 0.3, _ROW, 8.0, "jsec"), Scored(3, 0.1, _ROW, 6.5, "jsec")]
    pick, rest = ranking.best_first(q, top, support)
    assert pick.index == opens
    assert sorted(s.index for s in [pick, *rest]) == [0, 1, 2, 3]  # the same statements are shown


def test_another_entitys_statement_never_opens_the_reply(engine: Engine) -> None:
    q = dataclasses.replace(_question(engine, "jsec in germany?"), facet=None, intent=None)
    top = Scored(0, 0.2, _ROW, 7.0, "jsec")
    pick, rest = ranking.best_first(q, top, [Scored(1, 0.5, _ROW, 9.0, "other")])
    assert (pick, rest) == (top, [Scored(1, 0.5, _ROW, 9.0, "other")])


def test_a_question_that_asks_nothing_but_its_words_gets_the_fact_first(engine: Engine) -> None:
    answer = engine.ask("jsec is in germany somewhere right?")
    assert answer.answered
    assert answer.text.startswith("The Joint Support and Enabling Command (JSEC) is in Ulm, Germany")
    assert "operational commands" in answer.text  # the overview follows as support
