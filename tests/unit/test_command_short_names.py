"""A command's name without its leading "Allied" names it: "the maritime command" is MARCOM."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("which county is the maritime command's HQ in", "marcom"),
        ("who is in charge of the land command", "landcom"),
        ("what does the air command do", "aircom"),
        ("tell me about the command transformation", "act"),
    ],
)
def test_a_command_is_named_without_allied(engine: Engine, question: str, entry: str) -> None:
    assert engine.analyse(question).entries == [entry]


def test_only_commands_lose_allied(engine: Engine) -> None:
    # "Allied decision making" is an objective's theme, not a command: "decision making" names nothing.
    assert ("allied", "decision", "making") in engine.catalogue.aliases
    assert ("decision", "making") not in engine.catalogue.aliases


def test_the_short_name_is_answered(engine: Engine) -> None:
    answer = engine.ask("which county is the maritime command's HQ in?")
    assert answer.answered and "Hertfordshire" in answer.text
