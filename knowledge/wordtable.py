"""A read-only table of words and their frequencies that loads in microseconds.

english.tsv holds 57,000 words. As a dict they are 114,000 Python objects, and every cached start of
`natobot ask` unpickled them all: 7-10 ms, a sixth of loading the whole build. Here they are three
objects (the sorted words as one string, their offsets, their frequencies) and a word is found by binary
search, about 3 microseconds; the engine looks up only the words it meets.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

_SEP = "\n"  # no word holds it: english.tsv has one word per line


class _Words:
    """The table's words as a sequence, for bisect, without a list of 57,000 strings."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str, starts: array[int]) -> None:
        self._text = text
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i: int) -> str:
        return self._text[self._starts[i]:self._starts[i + 1] - 1]


class WordTable(Mapping[str, float]):
    __slots__ = ("_starts", "_text", "_values", "_words")

    def __init__(self, pairs: Iterable[tuple[str, float]] = ()) -> None:
        table = dict(pairs)  # the last of a repeated word wins, as in a dict
        if any(_SEP in w for w in table):
            raise ValueError("a word holds a line break")
        words = sorted(table)
        starts = array("L", [0])
        for w in words:
            starts.append(starts[-1] + len(w) + 1)
        self._set("".join(w + _SEP for w in words), starts, array("d", (table[w] for w in words)))

    def _set(self, text: str, starts: array[int], values: array[float]) -> None:
        self._text, self._starts, self._values = text, starts, values
        self._words = _Words(text, starts)

    def _find(self, word: str) -> int:
        i = bisect.bisect_left(self._words, word)
        return i if i < len(self._values) and self._words[i] == word else -1

    def __getitem__(self, word: str) -> float:
        i = self._find(word) if isinstance(word, str) else -1
        if i < 0:
            raise KeyError(word)
        return self._values[i]

    def get(self, word: str, default: Any = None) -> Any:
        i = self._find(word) if isinstance(word, str) else -1
        return default if i < 0 else self._values[i]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._find(word) >= 0

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[str]:
        words = self._words
        return (words[i] for i in range(len(words)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._text, self._starts, self._values))

    def __repr__(self) -> str:
        return f"WordTable({len(self)} words)"


def _restore(text: str, starts: array[int], values: array[float]) -> WordTable:
    table = WordTable.__new__(WordTable)
    table._set(text, starts, values)
    return table
