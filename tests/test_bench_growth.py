"""The growth benchmark's synthetic entries, and the typo and name indexes that keep matching sub-linear.

No timings here: what is checked is that synthetic entries are valid and labelled, that a knowledge
base ten times larger still answers real questions, and that the fuzzy lookups give exactly what a
full scan gives while scoring only a small part of the choices.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot import bench_growth, catalogue
from bot.catalogue import NAME_PLAN, TYPO_PLAN, FuzzyIndex, sorted_key
from bot.engine import Engine
from bot.evaluate import load_set
from knowledge import loader
from knowledge.models import Entry
from knowledge.text import normalise, tokens

TEN_X = 10


@pytest.fixture(scope="module")
def base() -> loader.KnowledgeBase:
    return loader.load()


@pytest.fixture(scope="module")
def synthetic(base: loader.KnowledgeBase) -> list[Entry]:
    return bench_growth.all_synthetic(base, [TEN_X])


@pytest.fixture(scope="module")
def grown_kb(base: loader.KnowledgeBase, synthetic: list[Entry]) -> loader.KnowledgeBase:
    return bench_growth.grown(base, synthetic)


@pytest.fixture(scope="module")
def engine(grown_kb: loader.KnowledgeBase) -> Engine:
    return Engine(grown_kb)


# -- the synthetic entries ---------------------------------------------------------------------------

def test_sizes_add_up_to_the_factor(base: loader.KnowledgeBase, grown_kb: loader.KnowledgeBase) -> None:
    assert len(grown_kb.entries) == TEN_X * len(base.entries)
    assert set(base.entries) <= set(grown_kb.entries)


def test_synthetic_entries_are_labelled(synthetic: list[Entry], base: loader.KnowledgeBase) -> None:
    assert synthetic
    for entry in synthetic:
        assert entry.id.startswith(bench_growth.SYNTHETIC_PREFIX)
        assert bench_growth.SYNTHETIC_MARK in entry.title
        assert "synthetic" in entry.short and "synthetic" in entry.answer
        assert entry.caveat and "Synthetic" in entry.caveat
        assert all(c.section == bench_growth.SYNTHETIC_SECTION for c in entry.sources)
        assert all(c.doc in base.documents for c in entry.sources), "cites an existing document"
    assert not any(e.startswith(bench_growth.SYNTHETIC_PREFIX) for e in base.entries)


def test_synthetic_entries_are_valid_and_unique(synthetic: list[Entry], grown_kb: loader.KnowledgeBase) -> None:
    ids = [e.id for e in synthetic]
    assert len(ids) == len(set(ids))
    for entry in synthetic:
        Entry.model_validate(entry.model_dump())  # round-trips through the schema
        assert entry.aliases and entry.questions and entry.facets and entry.fields
    # What `natobot check` and Engine.load refuse: dangling relations, shared aliases.
    assert list(loader.problems(grown_kb)) == []
    owners: dict[str, set[str]] = {}
    for e in grown_kb.entries.values():
        for name in [e.title, *e.aliases]:
            owners.setdefault(normalise(name), set()).add(e.id)
    assert all(len(ids) == 1 for ids in owners.values()), "no two entries share a name"


def test_synthetic_entries_are_realistic_in_shape(synthetic: list[Entry]) -> None:
    kinds = {e.kind for e in synthetic}
    assert len(kinds) >= 5
    assert sum(len(e.aliases) > 1 for e in synthetic) > len(synthetic) // 3, "many have an acronym or short name"
    assert sum(bool(e.relations.get("part_of")) for e in synthetic) > len(synthetic) // 4
    # The vocabulary really grows: the invented first words are (nearly) all different.
    first_words = {tokens(e.title)[0] for e in synthetic}
    assert len(first_words) == len(synthetic)


def test_invented_names_are_not_real_words(base: loader.KnowledgeBase, synthetic: list[Entry]) -> None:
    reserved = bench_growth.reserved_words(base)
    assert {"ims", "staff", "brussels", "the"} <= reserved
    assert not {tokens(e.title)[0] for e in synthetic} & reserved


def test_generation_is_seeded_and_prefix_stable(base: loader.KnowledgeBase, synthetic: list[Entry]) -> None:
    again = bench_growth.all_synthetic(base, [TEN_X])
    assert again == synthetic
    larger = bench_growth.all_synthetic(base, [TEN_X + 2])
    assert larger[: len(synthetic)] == synthetic, "10x is a prefix of a larger run"
    other = bench_growth.all_synthetic(base, [TEN_X], seed=bench_growth.SEED + 1)
    assert [e.id for e in other] != [e.id for e in synthetic]


# -- the grown knowledge base still answers real questions ------------------------------------------

@pytest.mark.parametrize(
    ("question", "entry", "facet"),
    [
        ("Who heads the International Military Staff?", "ims", "head"),
        ("where is JFC Brunssum", "jfc-brunssum", "location"),
        ("who heads the internationl militery staf", "ims", "head"),  # typo correction
        ("What is objective 2.1?", "objective-2-1", None),
        ("what is SHAPE", "shape", None),
        ("command naples joint force", "jfc-naples", None),  # whole-question fuzzy name
    ],
)
def test_ten_x_engine_answers_real_questions(engine: Engine, question: str, entry: str, facet: str | None) -> None:
    answer = engine.ask(question)
    assert answer.answered, f"{question!r} fell back: {answer.text[:120]!r}"
    assert answer.entry == entry
    assert answer.facet == facet


def test_ten_x_engine_still_falls_back_out_of_scope(engine: Engine) -> None:
    for question in ("what's the weather in Brussels tomorrow", "how do I reverse a list in python"):
        answer = engine.ask(question)
        assert not answer.answered, f"{question!r} answered with {answer.entry}"


# -- the fuzzy index: exact, and scoring only a part of the choices ---------------------------------

def _typo_queries(vocabulary: list[str], known: frozenset[str], n: int = 300) -> list[str]:
    rng = random.Random(7)
    words = {w for item in load_set() for w in tokens(item.q) if len(w) >= 4 and w.isalpha() and w not in known}
    for w in rng.sample(vocabulary, n):
        chars = list(w)
        i = rng.randrange(len(chars))
        match rng.randrange(3):
            case 0:
                del chars[i]
            case 1:
                chars.insert(i, rng.choice("abcdefghijklmnopqrstuvwxyz"))
            case _:
                chars[i] = rng.choice("aeiourst")
        words.add("".join(chars))
    return sorted(words)


def test_typo_index_gives_exactly_what_a_full_scan_gives(engine: Engine) -> None:
    cat = engine.catalogue
    index = FuzzyIndex(cat.vocabulary, dataclasses.replace(TYPO_PLAN, min_choices=0))
    hits = 0
    for word in _typo_queries(cat.vocabulary, cat.known_words):
        full = process.extractOne(word, cat.vocabulary, scorer=fuzz.ratio, processor=None, score_cutoff=80)
        got = index.best(word, 80)
        assert got == (None if full is None else (full[2], full[1])), word
        hits += got is not None
    assert hits > 100, "the sample really exercises corrections"


def test_name_index_gives_exactly_what_token_sort_ratio_gives(engine: Engine) -> None:
    cat = engine.catalogue
    index = FuzzyIndex([sorted_key(n) for n, _ in cat.names], dataclasses.replace(NAME_PLAN, min_choices=0))
    rng = random.Random(11)
    phrases = [" ".join(tokens(item.q)) for item in load_set()[:150]]
    for name, _ in rng.sample(cat.names, 300):
        words = tokens(name)
        rng.shuffle(words)
        phrases.append(" ".join(w[:-1] if len(w) > 5 else w for w in words))
    hits = 0
    for phrase in phrases:
        full = process.extractOne(phrase, cat.names, scorer=fuzz.token_sort_ratio, processor=catalogue.name_key,
                                  score_cutoff=85)
        got = index.best(sorted_key(phrase), 85)
        assert got == (None if full is None else (full[2], full[1])), phrase
        hits += got is not None
    assert hits > 100


def test_typo_lookup_scores_a_small_part_of_the_vocabulary(engine: Engine) -> None:
    cat = engine.catalogue
    assert cat.typo_index.indexed, "a 10x vocabulary is large enough to be indexed"
    queries = _typo_queries(cat.vocabulary, cat.known_words)
    scored = sorted(len(cat.typo_index.candidates(w, 80)) for w in queries)
    assert scored[len(scored) // 2] < len(cat.vocabulary) / 10
    assert scored[-1] < len(cat.vocabulary) / 2


def test_matcher_never_scans_the_whole_vocabulary(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = process.extractOne

    def counting(query: str, choices: list[str], **kwargs: object) -> object:
        sizes.append(len(choices))
        return real(query, choices, **kwargs)

    monkeypatch.setattr(catalogue.process, "extractOne", counting)
    engine.matcher._correct.cache_clear()
    match = engine.match("who heads the internationl militery staf")
    assert match.entries == ("ims",)
    engine.match("tell me about the weather on mars")  # no name: the whole-question fuzzy match runs
    assert sizes, "the index was asked"
    assert max(sizes) < len(engine.catalogue.vocabulary) / 4


def test_small_index_scans_everything() -> None:
    words = ["alpha", "bravo", "charlie"]
    index = FuzzyIndex(words, TYPO_PLAN)
    assert not index.indexed
    assert index.candidates("alpah", 80) == [0, 1, 2]
    assert index.best("alpah", 80) == (0, 80.0)
    assert index.best("zzzzz", 80) is None


def test_short_words_that_keep_no_pair_are_still_found() -> None:
    # "abcd" and "acbd" share no adjacent pair (ab, bc, cd against ac, cb, bd) yet score 75: only the
    # single-character postings can find it.
    words = ["acbd", *("".join(random.Random(i).sample("efghijklmnop", 4)) for i in range(50))]
    index = FuzzyIndex(words, dataclasses.replace(TYPO_PLAN, min_choices=0))
    assert index.indexed
    assert index.best("abcd", 70) == (0, 75.0)
    assert process.extractOne("abcd", words, scorer=fuzz.ratio, processor=None, score_cutoff=70) == ("acbd", 75.0, 0)
    assert index.candidates("abcd", 70) == [0], "words without a, b, c or d are never scored"


# -- the benchmark itself ----------------------------------------------------------------------------

def test_run_reports_and_plots_synthetic_sizes(tmp_path: Path) -> None:
    items = load_set()[:25]
    report = bench_growth.run([1, 2], rounds=1, memory=False, items=items)
    assert "SYNTHETIC" in report["note"]
    sizes = report["sizes"]
    assert [s["entries"] for s in sizes] == [report["real_entries"], 2 * report["real_entries"]]
    assert sizes[0]["synthetic_entries"] == 0 and sizes[1]["synthetic_entries"] == report["real_entries"]
    for s in sizes:
        assert s["match_ms"]["median"] > 0 and s["match_ms"]["p95"] >= s["match_ms"]["median"]
        assert 0.0 <= s["eval"]["in_scope_accuracy"] <= 1.0
    json.dumps(report)
    out = tmp_path / "growth.png"
    bench_growth.plot(report, out)
    assert out.read_bytes()[:4] == b"\x89PNG"
    text = bench_growth.table(report)
    assert "SYNTHETIC" in text and "2x" in text
