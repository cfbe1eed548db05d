"""A one-word cue is no cue where it is the question's subject ("what did *allies* agree ...")."""

from __future__ import annotations

import pytest

from bot.answering.context import Context
from bot.answering.engine import Engine


def assert_read_as(engine: Engine, question: str, intent: str | None, *, not_as: str) -> None:
    """The question is read with `intent`; with None, only not with the cue's intent `not_as`."""
    read = engine.analyse(question).intent
    if intent is None:
        assert read != not_as
    else:
        assert read == intent

@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("how many allies does nato have", "members"),
        ("nato members?", "members"),
        ("who are the allies", "members"),
        ("list the nato allies", "members"),
        ("who actually sits on the NAC", "members"),  # a filler adverb inside the cue is dropped
        ("what did allies agree at the 2014 Wales summit?", None),  # the subject of "agree"
        ("how do allies keep their defence policies aligned?", None),
        ("why is common funding a fight among allies", None),  # the setting, not what is asked
    ],
)
def test_members_is_asked_only_when_the_allies_are_what_is_asked(
    engine: Engine, question: str, intent: str | None,
) -> None:
    assert_read_as(engine, question, intent, not_as="members")


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("where is MARCOM", "where_is"),
        ("marcom hq", "where_is"),
        ("which city is SHAPE in", "where_is"),
        ("what does the IS do at hq", "what_does"),  # the setting of what it does, not what is asked
        ("how does NATO plan to address hybrid threats?", None),  # "address" the verb
    ],
)
def test_a_location_cue_after_a_preposition_is_the_setting(
    engine: Engine, question: str, intent: str | None,
) -> None:
    assert_read_as(engine, question, intent, not_as="where_is")


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        # "Deputy Chairman" and "Deputy Chair" alone are the DCMC's old and new titles (its aliases), so
        # their "chairman" and "chair" ask nobody's head
        ("is it deputy chairman or deputy chair of the MC?", ["Deputy Chair", "2021"]),
        ("Is the Military Committee's number two called the Deputy Chairman or the Deputy Chair?", ["2021"]),
    ],
)
def test_the_deputy_chairs_titles_name_the_post(engine: Engine, question: str, facts: list[str]) -> None:
    assert engine.analyse(question).intent != "who_heads"
    answer = engine.ask(question)
    assert answer.answered and answer.entities == ["dcmc"]
    assert all(f in answer.text for f in facts)


@pytest.mark.parametrize(
    ("question", "entry", "facts"),
    [
        ("what did allies agree at the 2014 Wales summit?", "wales-pledge", ["2 percent", "2024"]),
        ("how do allies keep their defence policies aligned?", "policy-alignment", []),
    ],
)
def test_a_question_about_what_allies_do_is_answered(
    engine: Engine, question: str, entry: str, facts: list[str],
) -> None:
    answer = engine.ask(question)
    assert answer.answered and entry in answer.entities
    assert all(f in answer.text for f in facts)


@pytest.mark.parametrize(
    ("turns", "intent", "fact"),
    [
        (["tell me about the Wales pledge", "when was it agreed?", "and what's the deadline?"], "by_when", "2024"),
        (["who heads the IMS?", "what rank?"], "who_heads", "three star"),  # a bare "what" asks about the head
    ],
)
def test_a_short_follow_up_keeps_its_own_specific_intent(
    engine: Engine, turns: list[str], intent: str, fact: str,
) -> None:
    """Only a generic intent ("what", "who is") in a short follow-up asks the previous question's kind again:
    "deadline?" after "when was it agreed?" asks by when, not when it was set up."""
    context = Context()
    for turn in turns[:-1]:
        engine.ask(turn, context)
    assert engine.analyse(turns[-1], context.copy()).intent == intent
    answer = engine.ask(turns[-1], context)
    assert answer.answered and fact in answer.text


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # nothing named has a role of its own: the question asks what it is
        ("what does objective 3.1 do?", "what_is"),
        ("what does objective 3.1 cover?", "what_is"),
        ("what does management objective 2 cover?", "what_is"),
        # the named thing has a role: the question keeps asking for it
        ("what does the legal officer do?", "what_does"),
        ("what does the IMS cover?", "what_does"),
        # more is asked of the names than what they do: the intent stays
        ("which IMS division would handle medical issues?", "what_does"),
    ],
)
def test_what_something_without_a_role_does_is_what_it_is(engine: Engine, question: str, intent: str) -> None:
    assert engine.analyse(question).intent == intent


@pytest.mark.parametrize(
    ("question", "entry", "fact"),
    [
        ("what does objective 3.1 do?", "objective-3-1", "China"),
        ("what does objective 2.2 say?", "objective-2-2", "Objective 2.2"),
        ("what does management objective 2 cover?", "mgmt-objective-2", "Management Objective 2"),
    ],
)
def test_what_something_without_a_role_does_is_answered(engine: Engine, question: str, entry: str,
                                                        fact: str) -> None:
    answer = engine.ask(question)
    assert answer.answered, answer.text[:160]
    assert answer.entry == entry
    assert fact in answer.text


@pytest.mark.parametrize(
    ("question", "intent", "fact"),
    [
        # A section named beats "why": the risk of objective 1.2, not its justification.
        ("why does NATO take so long to decide, going by the risk section of objective 1.2?", "risks", "consensus"),
        ("why does objective 1.2 matter?", "justification", "speed"),  # "why" alone asks the justification
    ],
)
def test_a_named_section_beats_why(engine: Engine, question: str, intent: str, fact: str) -> None:
    assert engine.analyse(question).intent == intent
    answer = engine.ask(question)
    assert answer.answered and answer.entities == ["objective-1-2"] and fact in answer.text
