"""The paraphrase memory (bot/answering/memory.py): questions of the training sets and the statement that
answered each vouch for the ranking's best statement when it is unsure; they never pick another one."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from bot.answering.engine import Engine
from bot.answering.memory import (
    MEMORY_CLOSE,
    MEMORY_CLOSE_FLOOR,
    MEMORY_CONFIDENCE,
    MEMORY_FLOOR,
    MEMORY_SIMILARITY,
    Memory,
    build_memory,
    reading,
    unit_key,
)
from bot.answering.ranking import Scored
from bot.evaluation import blind
from knowledge import loader

_MEMORY = [(frozenset({"@ims", "#who_heads"}), (7, 8)), (frozenset({"@ims", "staff", "many", "#how_many"}), (9,)),
           (frozenset({"@nogp", "#what_is"}), (3,))]


@pytest.mark.parametrize(("query", "unit", "similarity"), [
    ({"@ims", "#who_heads"}, (7, 8), 1.0),  # read the same
    ({"#who_heads", "@ims", "head"}, (7, 8), None),  # a word more: still the closest, less alike
    ({"@ims", "staff", "many"}, (9,), None),  # the closest of those sharing "@ims"
    ({"@mc", "#where_is"}, None, None),  # nothing shared
])
def test_closest_is_the_remembered_question_read_most_alike(
    query: set[str], unit: tuple[int, ...] | None, similarity: float | None,
) -> None:
    found = Memory.build(_MEMORY).closest(query)
    if unit is None:
        assert found is None
        return
    assert found is not None and found[1] == unit
    assert found[0] == pytest.approx(similarity) if similarity is not None else 0.0 < found[0] < 1.0


def test_an_empty_memory_finds_nothing() -> None:
    assert Memory.empty().closest({"@ims"}) is None


@pytest.fixture(scope="module")
def remembered(engine: Engine) -> tuple[Engine, str, int]:
    """A question, and the unit the ranking puts first for it."""
    question = "who keeps the money side in order for the military staff?"
    return engine, question, engine.rank(question)[0].index


def _near(features: frozenset[str]) -> frozenset[str]:
    """A reading that shares `features` and has a few more: as close as MEMORY_SIMILARITY, under MEMORY_CLOSE
    (in a memory of one question every feature weighs the same, so the cosine is sqrt(n / (n + extra)))."""
    extra = next(k for k in range(1, 50) if math.sqrt(len(features) / (len(features) + k)) < MEMORY_CLOSE)
    assert math.sqrt(len(features) / (len(features) + extra)) >= MEMORY_SIMILARITY
    return features | {f"extra-{i}" for i in range(extra)}


@pytest.mark.parametrize(("confidence", "same", "agrees", "follow_up", "lifted"), [
    # Read close enough, unsure, and the remembered question was answered by the same statement.
    (0.6, False, True, False, True),
    (0.6, False, "also", False, True),  # ... or is answered by it too (its facts are in the statement)
    (MEMORY_FLOOR, False, True, False, True),
    (MEMORY_FLOOR - 0.01, False, True, False, False),  # too unsure for a question only close
    (MEMORY_FLOOR - 0.01, True, True, False, True),  # read the same: vouched for from lower down
    (MEMORY_CLOSE_FLOOR, True, True, False, True),
    (MEMORY_CLOSE_FLOOR - 0.01, True, True, False, False),  # a guess, whatever the memory says
    (0.6, True, False, False, False),  # another statement answered the remembered question
    (0.6, True, True, True, False),  # a follow-up: the memory holds single questions
    (0.95, True, True, False, False),  # already surer than the memory makes it
])
def test_the_memory_lifts_only_an_unsure_reply_built_on_the_statement_it_remembers(
    remembered: tuple[Engine, str, int], confidence: float, same: bool, agrees: bool | str, follow_up: bool,
    lifted: bool,
) -> None:
    engine, question, top = remembered
    q = dataclasses.replace(engine.analyse(question), follow_up=follow_up)
    features = reading(engine.analyse(question))
    other = (top + 1) % len(engine.units)
    memory = Memory.build([(features if same else _near(features), (other, top) if agrees == "also" else (top,))])
    best = top if agrees else other
    ranked = [Scored(best, 0.5, (), 1.0, engine.units[best].entry)]
    assert memory.lift(q, ranked, confidence) == (MEMORY_CONFIDENCE if lifted else confidence)


def test_an_edited_statement_drops_out(engine: Engine) -> None:
    memory = build_memory([("who heads the IMS?", ("ims#0000000000",))], engine.units, engine.analyse)
    assert memory == Memory.empty()
    key = unit_key(engine.units[0])
    memory = build_memory([("who heads the IMS?", (key, "ims#0000000000"))], engine.units, engine.analyse)
    assert memory.units == ((0,),)


def test_a_question_the_memory_answers_gets_the_reply_the_ranking_gives(engine: Engine) -> None:
    """Remembered questions the engine would decline without the memory and answers with it get, word for
    word, the reply the ranking alone gives when made to answer; the cached build remembers the same."""
    built = (engine.units, engine.catalogue, engine.index, engine.scorer.forest_bytecode)
    with_memory = Engine(engine.kb, engine.model, built=(*built, engine.memory))
    without = Engine(engine.kb, engine.model, built=(*built, Memory.empty()))
    made_to = Engine(engine.kb, engine.model, built=(*built, Memory.empty()))
    made_to.threshold = 0.0
    asked = loader.load().asked
    assert len(asked) > 3000
    lifted = 0
    for question, _ in asked[::20]:
        a = with_memory.ask(question)
        if a.answered and not without.ask(question).answered:
            assert a.text == made_to.ask(question).text, question
            assert a.confidence == MEMORY_CONFIDENCE
            lifted += 1
    assert lifted > 20
    assert Engine.load(use_cache=False).memory == engine.memory


def test_the_memory_file_is_current_and_holds_no_held_out_or_blind_question(engine: Engine) -> None:
    """scripts/asked_memory.py is rerun after the knowledge base changes (a statement edited since drops
    out), and it reads only the training and mined sets."""
    asked = loader.load().asked
    keys = {unit_key(u) for u in engine.units}
    stale = [q for q, k in asked if k[0] not in keys]
    assert len(stale) <= len(asked) // 50, f"{len(stale)} stale: rerun scripts/asked_memory.py"
    data = Path(__file__).resolve().parents[1] / "data"
    judged = {blind.asked_key(q) for d in ("blind", "heldout") for p in (data / d).glob("*.yaml")
              for q in blind.load(p).asked()}
    assert not judged & {blind.asked_key(q) for q, _ in asked}

