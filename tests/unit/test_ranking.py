"""The order of the scored candidates: in a follow-up, the conversation's subject leads when its
statements together outweigh the single best statement about something else."""

from __future__ import annotations

import pytest

from bot.answering import ranking
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.answering.model import FEATURES
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
