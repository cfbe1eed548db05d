"""Objective and goal references read from a question's words (bot/answering/references.py).

The numbered entries are a small table like the catalogue's, so each case shows the rule on its own.
"""

from __future__ import annotations

import pytest

from bot.answering.references import is_number, number_concept, references, spell_counts

NUMBERED = {
    ("objective", "2.1"): "objective-2-1",
    ("objective", "2.2"): "objective-2-2",
    ("objective", "3.1"): "objective-3-1",
    ("goal", "1"): "goal-1",
    ("goal", "4"): "goal-4",
    ("management", "2"): "management-2",
}


def read(text: str) -> tuple[list[tuple[str, int, int]], list[str], str | None, list[bool]]:
    words = text.split()
    covered = [False] * len(words)
    found, ambiguous, unknown = references(words, covered, NUMBERED)
    return [(n.entry, n.start, n.end) for n in found], ambiguous, unknown, covered


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("what is objective 2.1", [("objective-2-1", 2, 4)]),
        ("tell me about 3.1 objective", [("objective-3-1", 3, 4)]),  # a decimal is an objective's number
        ("goal 4", [("goal-4", 0, 2)]),
        ("goal four", [("goal-4", 0, 2)]),  # spelled out after a reference word
        ("goals 1 and 4", [("goal-1", 0, 2), ("goal-4", 3, 4)]),  # the kind carries over a conjunction
        ("mgmt obj 2", [("management-2", 0, 3)]),
        ("mo 2", [("management-2", 0, 2)]),
        ("mg 4", [("goal-4", 0, 2)]),  # "MG4": Mission Goal 4
        ("4 goals", []),  # the reference word comes first
        ("which objective links to jsp objective 2.1", []),  # another plan's objective: content, not a reference
        ("eur jrs objective 3.1 appears where", []),
        ("we have 2 divisions", []),
    ],
)
def test_references_found(text: str, found: list[tuple[str, int, int]]) -> None:
    got, _, unknown, covered = read(text)
    assert got == found
    assert unknown is None
    assert covered == [any(start <= i < end for _, start, end in found) for i in range(len(covered))]


def test_an_incomplete_reference_lists_what_it_could_mean() -> None:
    found, ambiguous, unknown, _ = read("objective 2")
    assert (found, unknown) == ([], None)
    assert ambiguous == ["objective-2-1", "objective-2-2", "management-2"]


@pytest.mark.parametrize(
    ("text", "unknown"),
    [("objective 5.1", "Mission Objective 5.1"), ("goal 7", "Mission Goal 7"),
     ("management objective 9", "Management Objective 9")],
)
def test_a_reference_to_nothing_is_named(text: str, unknown: str) -> None:
    found, _, got, covered = read(text)
    assert (found, got) == ([], unknown)
    assert not any(covered)


def test_a_bare_decimal_that_names_nothing_is_not_a_reference() -> None:
    assert read("version 5.1") == ([], [], None, [False, False])


@pytest.mark.parametrize(("word", "number"), [("5", True), ("2.1", True), ("2.15", True), ("2.", False),
                                              ("two", False), ("1,200", False), ("12.345", False)])
def test_is_number(word: str, number: bool) -> None:
    assert is_number(word) is number


def test_number_concept_joins_label_and_number() -> None:
    assert number_concept("articl", "5") == "articl#5"


def test_another_plans_objective_is_never_a_missing_one() -> None:
    """"JSP Obj. 4.3" is no Mission Objective 4.3 that does not exist: the strategy cites it as a linkage."""
    found, _, unknown, covered = read("which objective links to jsp objective 4.3")
    assert (found, unknown, any(covered)) == ([], None, False)


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        ("what are the 3 core tasks", "what are the three core tasks"),
        ("need the 5 ims divisions listed", "need the five ims divisions listed"),
        ("sits between which 2 staffs", "sits between which two staffs"),
        ("is it 4 or 5 divisions", "is it 4 or 5 divisions"),  # figures compared, not a count of things
        ("goal 3 risks", "goal 3 risks"),  # numbers that refer to something stay
        ("mgmt obj 2 partners", "mgmt obj 2 partners"),
        ("management objective 2 partners", "management objective 2 partners"),
        ("goals 1 and 4 risks", "goals 1 and 4 risks"),
        ("what does article 5 say", "what does article 5 say"),
        ("the 2 percent target", "the 2 percent target"),
        ("signed on 4 april", "signed on 4 april"),
        ("24 7 coverage", "24 7 coverage"),
        ("1 division", "1 division"),  # "one" reads as a function word: the digit says more
        ("12 general officers", "12 general officers"),  # the documents write 12 in digits
        ("how many divisions 5", "how many divisions 5"),  # nothing after it to count
    ],
)
def test_counts_typed_as_digits_read_as_the_documents_write_them(text: str, read_as: str) -> None:
    words = text.split()
    assert " ".join(spell_counts(words, words)) == read_as


def test_a_digit_inside_a_name_or_typed_with_percent_stays() -> None:
    # "C3 staff" tokenises as "c", "3" typed as "C3"; "the 2% target" loses its "%" to the tokens.
    assert spell_counts(["the", "c", "3", "staff"], ["the", "C3", "C3", "staff"]) == ["the", "c", "3", "staff"]
    assert spell_counts(["the", "2", "target"], ["the", "2", "target"], "the 2% target") == ["the", "2", "target"]
    assert spell_counts(["the", "2", "target"], ["the", "2", "target"]) == ["the", "two", "target"]
