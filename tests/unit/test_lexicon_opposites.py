"""Opposites the generated word map confuses ("older" read as "younger") are never read as each other."""

from __future__ import annotations

import pytest

from bot.answering.engine import Engine
from bot.answering.lexicon import _without_opposites


@pytest.mark.parametrize(
    ("reads_as", "opposites", "kept"),
    [
        ({"older": ("younger", 0.87), "tiny": ("small", 0.91)}, [["older", "younger"]], {"tiny"}),
        ({"younger": ("older", 0.87)}, [["older", "younger"]], set()),  # either direction
        ({"weaker": ("stronger", 0.85)}, [["Weaker", "stronger"]], set()),  # the lexicon's case does not matter
        ({"older": ("younger", 0.87)}, [], {"older"}),
    ],
)
def test_opposites_are_dropped_from_the_generated_map(
    reads_as: dict[str, tuple[str, float]], opposites: list[list[str]], kept: set[str],
) -> None:
    assert set(_without_opposites(reads_as, opposites)) == kept


def test_the_knowledge_bases_opposites_are_not_read_as_each_other(engine: Engine) -> None:
    lex = engine.catalogue.lexicon
    q = engine.analyse("which older threats does the new strategic concept keep?")
    older = next(w for w in q.content if w.word == "older")
    assert older.concept == lex.concept("formerly")  # the curated group, not the generated "younger"
    assert lex.concept("older") != lex.concept("younger")
    assert "older" not in lex.reads_as and "weaker" not in lex.reads_as
