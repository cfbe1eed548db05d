"""`natobot kb coverage`: the numbers, dates and proper names of the source documents that no unit carries.

"Cover every fact" is measured here rather than hoped for. A document's facts are approximated by what
can be found mechanically: numbers (with the word that says what they count), dates, and proper names
(capitalised runs and acronyms). Each is carried when some unit of the knowledge base states it: the
number together with its counted word, the date's year and month, the name's words in order. What is
deliberately left out (a table of contents, image file names) is listed with a reason in
the `ignore:` map of each facts file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.text import normalise, stem, tokens

_MONTHS = ("january february march april may june july august september october november december").split()
_NUMBER_WORDS = {
    "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight", "9": "nine",
    "10": "ten", "11": "eleven", "12": "twelve", "20": "twenty", "30": "thirty",
}
_DATE = re.compile(
    r"\b(?:(\d{1,2})\s+)?(" + "|".join(m.capitalize() for m in _MONTHS) + r")\s+(?:(\d{1,2}),?\s+)?(\d{4})\b"
)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(\+?)(?:\s*(percent|%))?(?:\s+([A-Za-z][a-z-]+))?")
_WORD_RE = r"[A-Z][\w’'&/-]*(?:\.[A-Z][\w’'&/-]*)*"
_NAME_RUN = re.compile(rf"\b{_WORD_RE}(?: (?:(?:of|and|the|for|on|in|de|to) )*{_WORD_RE})*")
# Image names and markup in the encyclopedia text, not facts.
_MARKUP = re.compile(r"\S+\.(?:svg|png|jpg)\b|<[^>]+>")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&/-]+$")
_LEADING = frozenset(
    """the a an this that these those in on at for of to and or but as by with from its it their our we
    our nato's if when while what which who how where why all each both some any most many more also
    such during after before since under over between into through per section table""".split()
)
# Capitalised because they open a sentence or a heading, not because they are names.
_COMMON = frozenset(
    """alliance allies ally mission goal goals objective objectives management justification linkages
    risk risks description approved role working role responsibilities history see also related research
    articles article contents introduction references chief priorities strategic framework key
    principles mechanisms challenges conclusion future directions takeaways summary overview""".split()
)


@dataclass(frozen=True)
class Item:
    kind: str  # "number", "date", "name"
    text: str  # as it appears in the document
    line: int
    doc: str


@dataclass(frozen=True)
class Missing:
    item: Item
    why: str = ""


def find_items(text: str, doc: str) -> list[Item]:
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, found: str, line: int) -> None:
        key = (kind, found.lower())
        if key not in seen:
            seen.add(key)
            items.append(Item(kind, found, line, doc))

    for n, raw_line in enumerate(text.splitlines(), start=1):
        line = _MARKUP.sub(" ", raw_line)
        dates = list(_DATE.finditer(line))
        for m in dates:
            add("date", m.group(0), n)
        spans = [m.span() for m in dates]
        for m in _NUMBER.finditer(line):
            if any(a <= m.start() < b for a, b in spans):
                continue
            number, unit = m.group(1), m.group(3) or m.group(4) or ""
            if len(number) == 1 and not unit:
                continue  # a bare digit (list numbering, a page) says nothing by itself
            add("number", f"{number}{m.group(2)} {unit}".strip(), n)
        for m in _NAME_RUN.finditer(line):
            words = m.group(0).rstrip(".,;:’'").split()
            # "the IS and the IMS" is two names; "Plans and Policy" is found whole or in parts anyway.
            for part in re.split(r"\s+and\s+(?:the\s+)?", " ".join(words)):
                name = _name(part.split(), at_start=_opens(line, m.start()))
                if name:
                    add("name", name, n)
    return items


def _opens(line: str, start: int) -> bool:
    before = line[:start].rstrip()
    return before in ("", "-", "•", "*", "**") or before.endswith((".", ":", "**", "#"))


def _name(words: list[str], *, at_start: bool) -> str | None:
    while words and words[0].lower() in _LEADING:
        words = words[1:]
    while words and words[-1].lower() in _LEADING:
        words = words[:-1]
    if not words:
        return None
    if len(words) == 1:
        w = words[0]
        if _ACRONYM.match(w):
            return w if len(w) >= 2 else None
        if at_start or len(w) < 4 or w.lower() in _COMMON:
            return None
    elif all(w.lower() in _COMMON for w in words):
        return None
    return " ".join(words)


class Carriers:
    """The texts of every unit, tokenised once, to ask whether a fact is stated anywhere."""

    def __init__(self, texts: Iterable[str], names: Iterable[str] = ()) -> None:
        self.token_lists = [tokens(t) for t in texts]
        self.stem_sets = [frozenset(stem(w) for w in ts) for ts in self.token_lists]
        self.joined = [" " + " ".join(ts) + " " for ts in self.token_lists]
        self.names = {normalise(n) for n in names}

    def carries(self, item: Item) -> bool:
        if item.kind == "name":
            return self._carries_name(item.text)
        if item.kind == "date":
            return self._carries_date(item.text)
        return self._carries_number(item.text)

    def _carries_name(self, text: str) -> bool:
        key = normalise(text)
        return not key or key in self.names or any(f" {key} " in j for j in self.joined)

    def _carries_date(self, text: str) -> bool:
        """The year and month (and day, when given) in one unit."""
        m = _DATE.search(text)
        assert m is not None
        day, month, year = m.group(1) or m.group(3), m.group(2).lower(), m.group(4)
        need = [year, month] + ([day] if day else [])
        return any(all(w in ts for w in need) for ts in self.token_lists)

    def _carries_number(self, text: str) -> bool:
        """The number, in digits or words, in a unit that also has the word saying what it counts."""
        number, _, unit = text.partition(" ")
        forms = _number_forms(number)
        unit_stem = stem(unit.lower()) if unit and unit != "%" else ""
        percent = unit.lower() in ("percent", "%")
        for ts, stems, joined in zip(self.token_lists, self.stem_sets, self.joined, strict=True):
            if not _has_number(ts, joined, forms):
                continue
            if not unit_stem or (percent and ("percent" in ts or "%" in joined)):
                return True
            if unit_stem in stems or unit_stem in _STOP_UNITS:
                return True
        return False


def _has_number(ts: list[str], joined: str, forms: set[str]) -> bool:
    return any(f in ts for f in forms) or any(f" {f} " in joined for f in forms if "." in f)


def _number_forms(number: str) -> set[str]:
    """"1,200+" -> {"1200", "1,200"}; "3" -> {"3", "three"}."""
    digits = number.rstrip("+").replace(",", "")
    forms = {digits, number.rstrip("+")}
    if digits in _NUMBER_WORDS:
        forms.add(_NUMBER_WORDS[digits])
    return forms


# Words after a number that do not say what it counts ("in 1949 the ...", "2022 and").
_STOP_UNITS = frozenset(stem(w) for w in "the and or to of in on at by for a an with was is are as that which".split())


def report(
    documents: Sequence[tuple[str, str]], carriers: Carriers, ignores: dict[str, str],
) -> tuple[list[Item], list[Item], list[Item]]:
    """(every item found, the uncovered ones, the ignored ones) over (doc label, text) pairs."""
    found: list[Item] = []
    missing: list[Item] = []
    ignored: list[Item] = []
    for doc, text in documents:
        for item in find_items(text, doc):
            found.append(item)
            if carriers.carries(item):
                continue
            if item.text.lower() in ignores:
                ignored.append(item)
            else:
                missing.append(item)
    return found, missing, ignored
