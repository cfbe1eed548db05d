"""Conversations: short follow-ups keep the subject, a new name switches it, an unrelated question drops it.

Each row is a conversation; its last turn is judged the way the maintainers judge a turn (`answered`,
the entry answered, the key fact in `text`), once through the Python API (`engine.ask` with a Context)
and once through `natobot shell --json`, one JSON object per question line. None of these questions is
an item of the blind sets (`test_core_quality` checks the dev set; these were written from the
knowledge base's own facts).
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from bot.answering.context import Context, remember
from bot.answering.engine import Engine
from bot.cli import ask as ask_cli
from bot.cli import main as cli

# (turns, entries the last turn may be answered from, facts its text must hold)
KEEPS_SUBJECT = [
    # "and X?" / "what about X?" ask the previous question of X: the facet is carried, not only the name
    (["where's ACT?", "what about ACO?"], "aco", ["Mons"]),
    (["where is MARCOM?", "what about the land command?"], "landcom", ["zmir"]),
    (["where is AIRCOM?", "and MARCOM?", "and LANDCOM?"], "landcom", ["zmir"]),
    (["where is JFC Naples?", "what about the IMS?"], "ims", ["Brussels"]),
    (["where is ACO?", "and SHAPE?"], "shape", ["Mons"]),
    (["who heads the IMS?", "what about the military committee?"], "mc", ["Chairman | Chair"]),
    (["what is objective 1.1?", "what are its risks?", "and objective 1.2?"], "objective-1-2", ["risk"]),
    # pronouns and ellipsis keep the subject
    (["what is MARCOM?", "where is that?"], "marcom", ["Northwood"]),
    (["what is MARCOM?", "where is that?", "who leads it?"], "marcom", ["Commander"]),
    (["what is ACO?", "who leads it?"], {"aco", "saceur"}, ["SACEUR | Supreme Allied Commander Europe"]),
    (["where is LANDCOM?", "what does it do?"], "landcom", ["Supreme Allied Commander Europe"]),
    (["what is the IMS?", "how many staff?"], "ims", ["450 | 500"]),
    # a follow-up answered by something else leaves the subject it was asked under beside the new one
    (["what does the NOGP do?", "which UN resolutions?", "who does it maintain liaison with?"], "nogp",
     ["International Staff"]),
    # after a theme of the strategy, what only its home objective has is asked of the objective (homes.py)
    (["what does USNATO want on emerging and disruptive technologies?", "what are its linkages?"], "objective-2-2",
     ["JSP Obj. 1.4"]),
    (["how does usnato see the PRC?", "under which objective?"], "objective-3-1", ["Objective 3.1"]),
    (["what does the strategy say about disinformation?", "linkages?"], "objective-4-1", ["JSP Obj."]),
    # an acknowledgement before a follow-up ("thanks!", "awesome,", "great, and ...") does not lose the subject
    (["what is MARCOM?", "thanks! where is it?"], "marcom", ["Northwood"]),
    (["what is MARCOM?", "awesome, who leads it?"], "marcom", ["Commander"]),
    (["what is MARCOM?", "great, and who leads it?"], "marcom", ["Commander"]),
    (["what is objective 1.1?", "wonderful, risks?"], "objective-1-1", ["risk"]),
    (["where is JFC Naples?", "ditto for MARCOM"], "marcom", ["Northwood"]),
    # a bare "what" with one word asks an attribute of what was asked before
    (["who runs the IMS?", "what rank?"], {"ims", "dgims"}, ["three star"]),
    # a new name switches the subject, even a name as general as NATO or USNATO
    (["who heads the IMS?", "when was NATO founded?"], "nato", ["1949"]),
    (["where is MARCOM?", "how many members does NATO have?"], "nato", ["31 | 32"]),
    (["where is MARCOM?", "what does USNATO do?"], "usnato", ["Mission"]),
    (["where is JFC Naples?", "what is the IMS?"], "ims", ["Military Committee"]),
]

# (turns): the last turn must be declined, not answered about the carried subject
DROPS_SUBJECT = [
    ["where is AIRCOM?", "what's the capital of Italy?"],
    ["where is AIRCOM?", "who won the world cup?"],
    ["who heads the IMS?", "what's the weather in Brussels?"],
]


def _entries(entries: str | set[str]) -> set[str]:
    return {entries} if isinstance(entries, str) else entries


def _holds(text: str, fact: str) -> bool:
    return any(alt.strip().lower() in text.lower() for alt in fact.split("|"))


def _shell_json(engine: Engine, monkeypatch: pytest.MonkeyPatch, turns: list[str]) -> list[dict[str, Any]]:
    """`natobot shell --json` in-process with the shared engine: one JSON object per question line."""
    monkeypatch.setattr(ask_cli, "load_engine", lambda args: engine)
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(t + "\n" for t in turns)))
    out = io.StringIO()
    assert cli.main(["shell", "--json"], out) == 0
    objs = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    assert len(objs) == len(turns), "one object per question line"
    return objs


@pytest.mark.parametrize(("turns", "entries", "facts"), KEEPS_SUBJECT)
def test_follow_up_in_the_python_api(engine: Engine, turns: list[str], entries: str | set[str],
                                     facts: list[str]) -> None:
    context = Context()
    for question in turns[:-1]:
        assert engine.ask(question, context).answered, question
    answer = engine.ask(turns[-1], context)
    assert answer.answered, f"{turns!r}: declined: {answer.text[:160]!r}"
    assert answer.entry in _entries(entries), f"{turns!r}: answered from {answer.entry}: {answer.text[:160]!r}"
    for fact in facts:
        assert _holds(answer.text, fact), f"{turns!r}: {fact!r} missing from {answer.text[:300]!r}"


@pytest.mark.parametrize(("turns", "entries", "facts"), KEEPS_SUBJECT)
def test_follow_up_in_the_shell(engine: Engine, monkeypatch: pytest.MonkeyPatch, turns: list[str],
                                entries: str | set[str], facts: list[str]) -> None:
    last = _shell_json(engine, monkeypatch, turns)[-1]
    assert last["question"] == turns[-1]
    assert last["answered"] and last["entry"] in _entries(entries), f"{turns!r}: {last['text'][:160]!r}"
    for fact in facts:
        assert _holds(last["text"], fact), f"{turns!r}: {fact!r} missing from {last['text'][:300]!r}"


@pytest.mark.parametrize("turns", DROPS_SUBJECT)
def test_an_unrelated_question_does_not_borrow_the_subject(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                           turns: list[str]) -> None:
    context = Context()
    for question in turns[:-1]:
        assert engine.ask(question, context).answered, question
    assert not engine.ask(turns[-1], context).answered
    assert not _shell_json(engine, monkeypatch, turns)[-1]["answered"]


def test_new_forgets_the_subject_in_the_shell(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ask_cli, "load_engine", lambda args: engine)
    monkeypatch.setattr(sys, "stdin", io.StringIO("what is MARCOM?\nnew\nwhere is that?\n"))
    out = io.StringIO()
    assert cli.main(["shell", "--json"], out) == 0
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["answered"] and first["entry"] == "marcom"
    assert not second["answered"], "after 'new', 'where is that?' has no subject"


@pytest.mark.parametrize(
    ("question", "context", "entries", "facet"),
    [
        # the opener's own cue ("what about") does not replace the previous question
        ("what about ACO?", Context(["act"], "where_is", "location"), ["aco"], "location"),
        ("and SHAPE?", Context(["aco"], "where_is", "location"), ["shape"], "location"),
        # a question of its own about a new subject keeps its own facet
        ("who heads ACO?", Context(["act"], "where_is", "location"), ["aco"], "head"),
        # a pronoun keeps the subject; a name of the setting beside it does not replace it
        ("how does USNATO handle it?", Context(["objective-3-1"]), ["usnato", "objective-3-1"], None),
        # ... nor does an everyday word that may name something ("hq")
        ("how does hq keep tabs on it?", Context(["policy-alignment"]), ["nato-hq", "policy-alignment"], None),
        # without a pronoun, a general name is the subject
        ("when was NATO founded?", Context(["ims"], "who_heads", "head"), ["nato"], "founded"),
        # a bare "what" with one content word keeps the previous facet
        ("what rank?", Context(["ims"], "who_heads", "head"), ["ims"], "head"),
    ],
)
def test_how_a_follow_up_is_read(engine: Engine, question: str, context: Context, entries: list[str],
                                 facet: str | None) -> None:
    q = engine.analyse(question, context)
    assert q.entries == entries
    if facet is not None:
        assert q.facet == facet


def test_the_subject_drops_names_of_the_setting(engine: Engine) -> None:
    context = Context()
    q = engine.analyse("usnato mgmt obj 2?")
    remember(context, q, ["usnato", "mgmt-objective-2"], engine.analyser.specificity)
    assert context.entities == ["mgmt-objective-2"], "the objective is the subject, not the whole mission"
    remember(context, q, ["usnato"], engine.analyser.specificity)
    assert context.entities == ["usnato"], "a general name alone stays the subject"


def test_a_declined_question_still_sets_the_subject_it_names(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sources give no budget, but "it" in the next turn is still the IMS the asker named."""
    turns = ["what is the IMS budget?", "where is it based?"]
    context = Context()
    assert not engine.ask(turns[0], context).answered
    answer = engine.ask(turns[1], context)
    assert answer.answered and answer.entry == "ims" and _holds(answer.text, "Brussels"), answer.text[:160]
    shell = _shell_json(engine, monkeypatch, turns)
    assert [o["answered"] for o in shell] == [False, True] and _holds(shell[1]["text"], "Brussels")


def test_the_subject_a_follow_up_was_asked_under_stays_second(engine: Engine) -> None:
    context = Context()
    engine.ask("what does the NOGP do?", context)
    answer = engine.ask("which UN resolutions?", context)
    assert answer.entities == ["unscr-1325-1820"]
    assert context.entities == ["unscr-1325-1820", "nogp"]
    # A question that names its own subject leaves nothing behind.
    engine.ask("where is MARCOM?", context)
    assert context.entities == ["marcom"]
