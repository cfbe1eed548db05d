"""The quality gate on the labelled development set (tests/data/devset.yaml), scored by bot.evaluate."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.engine import Engine
from bot.evaluate import DEFAULT_SET, Item, Result, evaluate, format_report, judge, load_set

NEAR_DOMAIN_TAGS = {"oos-near", "known-no-data"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def devset() -> list[Item]:
    return load_set(DEFAULT_SET)


@pytest.fixture(scope="module")
def result(engine: Engine, devset: list[Item]) -> Result:
    return evaluate(engine, devset)


def test_devset_is_big_and_varied(devset: list[Item], engine: Engine) -> None:
    assert len(devset) >= 250
    out_of_scope = [i for i in devset if not i.answered]
    assert len(out_of_scope) >= 50
    assert sum(i.tag in NEAR_DOMAIN_TAGS for i in out_of_scope) >= len(out_of_scope) / 2, "half of them near-domain"
    tags = Counter(i.tag for i in devset)
    for tag in ("typo", "acronym", "terse", "chatty", "paraphrase", "multi"):
        assert tags[tag] >= 10, tag
    for item in devset:
        for entry in [item.entry, *item.entities, *item.alt]:
            assert entry is None or entry in engine.kb.entries, f"{item.q!r}: unknown entry {entry!r}"


@pytest.mark.parametrize(
    ("figure", "bound", "at_least"),
    [
        ("in_scope_accuracy", 0.90, True),
        ("correct_fallback", 0.85, True),
        ("confidently_wrong", 0.05, False),
    ],
)
def test_quality_gate(result: Result, figure: str, bound: float, at_least: bool) -> None:
    value = result.summary()[figure]
    report = format_report(result, max_misses=40)
    if at_least:
        assert value >= bound, f"{figure} = {value:.1%} < {bound:.0%}\n{report}"
    else:
        assert value <= bound, f"{figure} = {value:.1%} > {bound:.0%}\n{report}"


@pytest.mark.parametrize("tag", ["oos-far", "oos-near", "known-no-data"])
def test_out_of_scope_tags_never_answer_confidently(result: Result, tag: str) -> None:
    """Out-of-scope questions, near-domain ones included, fall back rather than answer something nearby."""
    false_answers = [o.item.q for o in result.outcomes if o.item.tag == tag and o.verdict == "false-answer"]
    total = sum(o.item.tag == tag for o in result.outcomes)
    assert len(false_answers) <= 0.15 * total, false_answers


def test_confidence_in_range_on_the_whole_set(result: Result) -> None:
    assert all(0.0 <= o.answer.confidence <= 1.0 for o in result.outcomes)


def test_answers_name_sources(result: Result) -> None:
    unsourced = [o.item.q for o in result.outcomes if o.answer.answered and not o.answer.sources]
    assert unsourced == []


def test_summary_is_consistent(result: Result) -> None:
    s = result.summary()
    assert s["questions"] == s["in_scope"] + s["out_of_scope"] == len(result.outcomes)
    for key in ("in_scope_accuracy", "correct_fallback", "confidently_wrong", "fallback_precision",
                "fallback_recall", "overall_accuracy"):
        assert 0.0 <= s[key] <= 1.0, key
    for name, scores in s["intents"].items():
        assert 0.0 <= scores["precision"] <= 1.0 and 0.0 <= scores["recall"] <= 1.0, name


@pytest.mark.parametrize(
    ("item", "question", "verdict"),
    [
        (Item(q="q", answered=True, entry="ims", facts=["Director General"], tag="t"), "who heads the ims", "right"),
        (Item(q="q", answered=True, entry="ims", facts=["Nonsense"], tag="t"), "who heads the ims", "wrong"),
        (Item(q="q", answered=True, entry="nac", tag="t"), "who heads the ims", "wrong"),
        (Item(q="q", answered=True, entry="ims", alt=["dgims"], tag="t"), "who is the director general of the ims",
         "right"),
        (Item(q="q", answered=True, entry="ims", tag="t"), "when did Sweden join", "missed"),
        (Item(q="q", answered=False, tag="t"), "when did Sweden join", "fallback-ok"),
        (Item(q="q", answered=False, tag="t"), "who heads the ims", "false-answer"),
        (Item(q="q", answered=False, tag="t"), "who commands JFC Naples?", "fallback-ok"),
        (Item(q="q", answered=True, entities=["jfc-naples", "jfc-brunssum"], tag="t"),
         "where are JFC Naples and JFC Brunssum?", "right"),
        (Item(q="q", answered=True, entities=["jfc-naples", "jfc-norfolk"], tag="t"),
         "where are JFC Naples and JFC Brunssum?", "wrong"),
    ],
)
def test_judge(engine: Engine, item: Item, question: str, verdict: str) -> None:
    assert judge(item, engine.ask(question)) == verdict
