"""knowledge.wordtable.WordTable answers as the dict of english.tsv it replaces, and survives pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from bot.answering.lexicon import RARITY_FLOOR, ZIPF_RARE, build_lexicon
from knowledge.loader import DATA_DIR, ENGLISH_FILE, _read_english
from knowledge.models import Lexicon as LexiconData
from knowledge.wordtable import WordTable

PAIRS = [("side", 5.5), ("keep", 5.7), ("a", 7.0), ("seconded", 3.2), ("zebra", 3.9), ("Ålesund", 2.0)]


@pytest.fixture(scope="module")
def table() -> WordTable:
    return WordTable(PAIRS)


@pytest.mark.parametrize(("word", "expected"), [
    ("side", 5.5), ("a", 7.0), ("zebra", 3.9), ("Ålesund", 2.0), ("seconded", 3.2),
    ("", None), ("sid", None), ("sides", None), ("zz", None), ("A", None), ("keep ", None),
])
def test_lookup_matches_a_dict(table: WordTable, word: str, expected: float | None) -> None:
    assert table.get(word) == dict(PAIRS).get(word)
    assert table.get(word) == expected
    assert (word in table) is (expected is not None)
    if expected is None:
        with pytest.raises(KeyError):
            table[word]
    else:
        assert table[word] == expected


@pytest.mark.parametrize("key", [None, 3, ("side",), b"side"])
def test_keys_that_are_not_words_are_absent(table: WordTable, key: object) -> None:
    assert key not in table
    assert table.get(key) is None  # type: ignore[arg-type]


def test_iterates_in_sorted_order_with_every_value(table: WordTable) -> None:
    assert list(table) == sorted(w for w, _ in PAIRS)
    assert dict(table.items()) == dict(PAIRS)
    assert len(table) == len(PAIRS)


def test_repeated_word_keeps_the_last_value_and_empty_table_is_empty() -> None:
    assert WordTable([("x", 1.0), ("x", 2.0)])["x"] == 2.0
    empty = WordTable()
    assert len(empty) == 0 and "x" not in empty and list(empty) == []


def test_word_with_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        WordTable([("two\nwords", 1.0)])


def test_pickles_as_three_objects_and_loads_the_same(table: WordTable) -> None:
    back = pickle.loads(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
    assert dict(back.items()) == dict(PAIRS)
    assert back.get("keep") == 5.7 and "kee" not in back


def test_packaged_english_list_reads_as_the_file_says() -> None:
    table = _read_english(DATA_DIR / ENGLISH_FILE)
    rows = [line.split("\t") for line in (DATA_DIR / ENGLISH_FILE).read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    assert len(table) == len({w for w, _ in rows}) > 50_000
    for word, zipf in rows[::997]:
        assert table[word] == float(zipf)


def test_missing_english_list_is_an_empty_table(tmp_path: Path) -> None:
    assert len(_read_english(tmp_path / ENGLISH_FILE)) == 0


@pytest.mark.parametrize(("zipf", "rarity"), [
    (7.5, RARITY_FLOOR), (6.0, RARITY_FLOOR), (4.75, 0.5), (ZIPF_RARE + 0.01, 0.996), (ZIPF_RARE, 1.0), (2.0, 1.0),
])
def test_rarity_from_the_table(zipf: float, rarity: float) -> None:
    lex = build_lexicon(LexiconData(), WordTable([("word", zipf)]))
    assert lex.rarity("word") == pytest.approx(rarity)
    assert lex.rarity("unlisted") == 1.0
