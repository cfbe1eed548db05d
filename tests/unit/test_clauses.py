"""Two questions in one message: bot.answering.clauses and the engine's use of it."""

from __future__ import annotations

import pytest

from bot.answering import clauses
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.evaluation.report import threshold_at
from knowledge.text import tokens_with_case


@pytest.mark.parametrize(("text", "parts"), [
    ("who heads the IMS and where is it based?", ["who heads the IMS", "where is it based"]),
    ("who makes up the MC, and who makes up the NAC?", ["who makes up the MC", "who makes up the NAC"]),
    ("what is the IMS? who heads it?", ["what is the IMS", "who heads it"]),
    ("where is MARCOM; what does LANDCOM do", ["where is MARCOM", "what does LANDCOM do"]),
    ("What is JFTC and WHERE is it", ["What is JFTC", "WHERE is it"]),
    ("where is the situation centre and is it staffed at night?", ["where is the situation centre",
                                                                  "is it staffed at night"]),
    ("what does ACT do? does it have a HQ in europe", ["what does ACT do", "does it have a HQ in europe"]),
    # A question word fused with "is" counts as both words.
    ("where's MARCOM and who leads it?", ["where's MARCOM", "who leads it"]),
    ("wheres LANDCOM and who heads it", ["wheres LANDCOM", "who heads it"]),
    ("what’s SHAPE; where is it", ["what’s SHAPE", "where is it"]),
    ("what do the IMS and IS staff do?", []),
    # One question: names or nouns joined, a clause too short to stand alone, or a paragraph.
    ("where are MARCOM and LANDCOM?", []),
    ("when and where was the treaty signed?", []),
    ("L&R = logistics and what else?", []),
    ("obj 1.2 is about decision speed right? what exactly", []),
    ("who heads the IMS", []),
    ("what is a? what is b? what is c? what is d?", []),
    ("the IMS and the IS, what do they do and where do they sit?", ["the IMS and the IS, what do they do",
                                                                    "where do they sit"]),
])
def test_split(text: str, parts: list[str]) -> None:
    assert clauses.split(text) == parts


@pytest.mark.parametrize(("text", "parts"), [
    ("what are the principles and the challenges of the alignment article?",
     ["what are the principles of the alignment article", "what are the challenges of the alignment article"]),
    ("whats the justification and the risks for objective 3.3",
     ["whats the justification for objective 3.3", "whats the risks for objective 3.3"]),
    ("hey which are the future directions and takeaways in the article",
     ["hey which are the future directions in the article", "hey which are the takeaways in the article"]),
    # Not right after the question word, relating the two, or nothing they both apply to.
    ("which divisions handle intelligence and logistics in the IMS", []),
    ("what is the difference between ACO and ACT", []),
    ("what are the links and differences between ACO and ACT", []),
    ("what are the principles and the challenges", []),
])
def test_distribute(text: str, parts: list[str]) -> None:
    assert clauses.distribute(text) == parts


def test_the_two_things_asked_of_one_subject_are_both_answered(engine: Engine) -> None:
    answer = engine.ask("which are the principles and the challenges of policy alignment, per the article?")
    assert answer.answered and [p.entry for p in answer.parts] == ["pa-principles", "pa-challenges"]
    assert "interoperability" in answer.text and "national interests" in answer.text


def test_a_name_with_and_in_it_is_not_distributed(engine: Engine) -> None:
    answer = engine.ask("what is the Plans and Policy Division of the IMS for?")
    assert answer.answered and [p.entry for p in answer.parts] == ["ims-pp"]


def test_each_question_is_answered_in_turn(engine: Engine) -> None:
    context = Context()
    answer = engine.ask("who heads the IMS and where is it based?", context)
    assert answer.answered and answer.status == "answer"
    assert "Director General" in answer.text and "Brussels" in answer.text
    assert answer.text.index("Director General") < answer.text.index("Brussels")  # in the order asked
    assert answer.entities == ["ims"] and context.entities == ["ims"]
    assert answer.confidence == min(engine.ask("who heads the IMS").confidence,
                                    engine.ask("where is it based", Context(["ims"])).confidence)
    labels = [s.label() for s in answer.sources]
    assert len(labels) == len(set(labels))


def test_a_fused_question_word_splits_like_two_words(engine: Engine) -> None:
    answer = engine.ask("where's MARCOM and who leads it?")
    assert answer.answered and "Northwood" in answer.text and "Commander MARCOM" in answer.text
    assert [p.entry for p in answer.parts] == ["marcom", "marcom"]


def test_two_subjects_both_answered_and_the_last_is_the_subject(engine: Engine) -> None:
    context = Context()
    answer = engine.ask("where is MARCOM and where is LANDCOM based?", context)
    assert answer.answered
    assert "Northwood" in answer.text and ("Izmir" in answer.text or "İzmir" in answer.text)
    assert [p.entry for p in answer.parts] == ["marcom", "landcom"]
    assert context.entities == ["landcom"]


def test_a_clause_less_sure_than_the_threshold_reads_the_message_whole(engine: Engine) -> None:
    question = "who heads the IMS and what is its annual budget?"
    context, whole = Context(), Context()
    answer = engine.ask(question, context)
    # As before the split existed: the whole message ranked and judged as one question.
    reference = engine._ask_one(question, question, tokens_with_case(question), whole)
    assert answer.model_dump() == reference.model_dump()
    assert context == whole


def test_under_a_stricter_threshold_a_split_message_gives_what_it_knows(engine: Engine) -> None:
    question = "who heads the IMS and where is it based?"
    sure = engine.ask(question)
    assert sure.answered
    # Between its clauses' confidences: the first is answered, the second is not.
    first = engine.ask("who heads the IMS").confidence
    second = engine.ask("where is it based", Context(["ims"])).confidence
    assert sure.confidence == min(first, second) < max(first, second)
    with threshold_at(engine, (first + second) / 2):
        partly = engine.ask(question)
    assert not partly.answered and partly.status == "no-data"
    assert not any(p.answered for p in partly.parts)
    unanswered = "first" if first < second else "second"
    assert partly.text.endswith(f"I could not answer the {unanswered} question with confidence from the sources.")
    assert partly.confidence == sure.confidence


def test_no_clause_answered_is_a_plain_decline(engine: Engine) -> None:
    question = "what is the DG's salary and what is the IMS's annual budget?"
    answer = engine.ask(question)
    assert not answer.answered and answer.status == "fallback"
    assert answer.question == question


def test_the_same_statement_found_twice_is_shown_once(engine: Engine) -> None:
    answer = engine.ask("How many civilians work in the IMS and how big is the staff overall?")
    assert answer.answered
    paragraphs = answer.text.split("\n\n")
    assert len(paragraphs) == len(set(paragraphs))
