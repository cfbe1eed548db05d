"""Numbers in a question: references to the strategy's numbered objectives and goals, and labelled numbers.

"objective 2.1", "goal 3", "mgmt obj 2", "goals 1 and 4" name entries by number; "objective 2" alone
could mean several; "objective 5.1" names nothing that exists and is told so. A number after a word that
labels it ("article 5") is one concept, so that it is not found in "5 April". A small count of things typed
as a digit ("the 3 core tasks") is read as the word the documents write.
"""

from __future__ import annotations

import re

from bot.answering.question import Name
from bot.answering.words import CONJUNCTIONS, MONTHS, NUMBER_LABELS, NUMBER_WORDS, STOPWORDS

_DECIMAL = re.compile(r"^\d\.\d{1,2}$")
_OBJECTIVE_WORDS = frozenset({"objective", "objectives", "obj", "objs", "mo", "objectif"})
_MANAGEMENT_WORDS = frozenset({"management", "mgmt", "mgt", "managment"})
# "MG2", as a user abbreviates Mission Goal 2 (tokenised "mg", "2"), after "MO" for the objectives.
_GOAL_WORDS = frozenset({"goal", "goals", "mg", "mgs"})
_REFERENCE_WORDS = _OBJECTIVE_WORDS | _MANAGEMENT_WORDS | _GOAL_WORDS | {"mission", "number", "no"}
# "JSP Obj. 1.4", "EUR JRS Obj. 1.1": other plans' objectives, which the strategy cites as its objectives'
# linkages. Their numbers are content ("objective#1.4", as the linkage statements have it), not references
# to the strategy's own objectives ("there is no Mission Objective 4.3" answered "which objective links to
# JSP Obj. 4.3?").
_OTHER_PLANS = frozenset({"jsp", "jrs"})
_KIND_LABEL = {"objective": "Mission Objective", "management": "Management Objective", "goal": "Mission Goal"}

# Small counts as the documents write them: "the 3 core tasks" is their "three core tasks" (part of a name)
# and "5 divs" their "five divisions"; read as a digit, the count is a number no statement holds.
_SPELLED = {NUMBER_WORDS[w]: w for w in ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")}
# Digits before these are figures or dates, not counts of things ("2 percent", "4 April").
_FIGURES = frozenset({"percent", "pct", "percentage", "per", "x", "times", "am", "pm"}) | MONTHS
_LABELLING = NUMBER_LABELS | _REFERENCE_WORDS | _OTHER_PLANS
_PERCENT = re.compile(r"(\d+)\s*%")

Numbered = dict[tuple[str, str], str]  # ("objective", "2.1") -> entry id (Catalogue.numbered)


def number_concept(label: str, number: str) -> str:
    """"article#5": a number with the word that labels it."""
    return f"{label}#{number}"


def is_number(word: str) -> bool:
    """A whole number or an objective's number ("2.1")."""
    return word.isdigit() or bool(_DECIMAL.match(word))


def spell_counts(words: list[str], raw: list[str], text: str = "") -> list[str]:
    """The words (as typed: `raw`) with each small count of things typed as a digit of its own spelled out
    ("3 core tasks" -> "three core tasks"); numbers that refer to something stay ("goal 3", "goals 1 and 4",
    "article 5", "2 percent", "C3", and "the 2% target" of `text`, since the words no longer show the "%")."""
    percent = frozenset(_PERCENT.findall(text)) if "%" in text else frozenset()
    out = list(words)
    for i, word in enumerate(out[:-1]):
        spelled = _SPELLED.get(word)
        if spelled is None or raw[i] != word or word in percent:
            continue
        after, before = words[i + 1], words[max(0, i - 3):i]
        if not after.isalpha() or after in STOPWORDS or after in _FIGURES:
            continue
        if before and (before[-1] in _LABELLING or before[-1] in CONJUNCTIONS or before[-1][:1].isdigit()):
            continue
        if _kind(word, before, None) is None:  # "management has 3 objectives" is read by references()
            out[i] = spelled
    return out


def references(words: list[str], covered: list[bool], numbered: Numbered) -> tuple[list[Name], list[str], str | None]:
    """(the entries referred to by number, the entries an incomplete reference could mean, a reference
    to a number that does not exist); marks the words of each reference found as covered."""
    found: list[Name] = []
    ambiguous: list[str] = []
    unknown: str | None = None
    last_kind: str | None = None
    for i in range(len(words)):
        num = _number_at(words, i)
        if num is None:
            continue
        kind = _kind(num, words[max(0, i - 3):i], last_kind)
        if kind is None:
            if i > 0 and words[i - 1] in _OBJECTIVE_WORDS:
                ambiguous += _incomplete(num, numbered)
            continue
        start = i
        while start > 0 and words[start - 1] in _REFERENCE_WORDS:
            start -= 1
        if start > 0 and words[start - 1] in _OTHER_PLANS:
            continue
        entry = numbered.get((kind, num))
        if entry is None:
            if "." not in num or start != i:  # a bare "5.1" may be anything, not necessarily an objective
                unknown = f"{_KIND_LABEL[kind]} {num}"
            continue
        last_kind = kind
        found.append(Name(entry, start, i + 1, 1.0, "number"))
        for j in range(start, i + 1):
            covered[j] = True
    return found, ambiguous, unknown


def _number_at(words: list[str], i: int) -> str | None:
    """The number at position i, spelled out after a reference word ("goal two")."""
    num = NUMBER_WORDS.get(words[i], words[i]) if i > 0 and words[i - 1] in _REFERENCE_WORDS else words[i]
    return num if is_number(num) else None


def _kind(num: str, before: list[str], last_kind: str | None) -> str | None:
    """What a number refers to, from itself and the (up to three) words before it; None when nothing
    says, or when "objective 2" could be a mission objective 2.x or management objective 2."""
    prev = before[-1] if before else ""
    if "." in num:
        return "objective"
    if any(b in _MANAGEMENT_WORDS for b in before) or prev == "mo":
        return "management"
    if prev in _GOAL_WORDS:
        return "goal"
    if prev in CONJUNCTIONS and last_kind:
        return last_kind  # "goals 1 and 4"
    return None


def _incomplete(num: str, numbered: Numbered) -> list[str]:
    """The entries "objective 2" could mean: mission objectives 2.x and management objective 2."""
    return [v for (k, n), v in numbered.items()
            if (k == "objective" and n.startswith(num + ".")) or (k, n) == ("management", num)]
