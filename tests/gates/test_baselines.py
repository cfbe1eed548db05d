"""The baselines of `python -m benchmarks.compare`: judging, threshold choice and the rankers themselves.

The embedding baseline is tested with a small hashing encoder in place of all-MiniLM-L6-v2, so these
tests need neither torch nor the model.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from benchmarks.baselines import blind_compare
from benchmarks.baselines.blind_compare import BlindRow
from benchmarks.baselines.bm25 import BM25Baseline, tokenise
from benchmarks.baselines.common import (
    REFUSE_ALL,
    Baseline,
    Hit,
    Prediction,
    choose_threshold,
    lenient_verdict,
    summarise,
    top,
)
from benchmarks.baselines.embedding import EmbeddingBaseline
from benchmarks.baselines.naive import NaiveBaseline
from benchmarks.baselines.passages import (
    BlindFigures,
    BM25Ranker,
    EmbeddingRanker,
    Passage,
    Pick,
    best_threshold,
    entry_passages,
    passages,
    pick,
    unit_passages,
    verdict_at,
)
from benchmarks.compare import SPEED_TARGET, format_table, targets
from benchmarks.compare_runners import Row
from bot.answering.engine import Engine
from bot.evaluation import blind
from bot.evaluation.blind import BlindItem
from bot.evaluation.evaluate import Item, evaluate, load_set
from bot.evaluation.stats import percentile
from bot.render.as_json import to_dict
from knowledge import loader
from knowledge.loader import KnowledgeBase
from knowledge.models import Citation, Entry


def item(answered: bool = True, entry: str | None = "ims", entities: Sequence[str] = (),
         alt: Sequence[str] = ()) -> Item:
    return Item(q="q", answered=answered, entry=entry if answered else None, entities=list(entities),
                alt=list(alt), tag="test")


# -- lenient, entry-level judging ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("labelled", "answered_entry", "verdict"),
    [
        (item(entry="ims"), "ims", "right"),
        (item(entry="ims"), "dgims", "wrong"),
        (item(entry="ims"), None, "missed"),
        (item(entry="ims", alt=["ims-divisions"]), "ims-divisions", "right"),
        # Multi-entity: any one named entity is enough at entry level (strict judging wants all).
        (item(entry="jfc-naples", entities=["jfc-naples", "jfc-brunssum"]), "jfc-brunssum", "right"),
        (item(entry="jfc-naples", entities=["jfc-naples", "jfc-brunssum"]), "jfc-norfolk", "wrong"),
        (item(answered=False), None, "fallback-ok"),
        (item(answered=False), "ims", "false-answer"),
    ],
)
def test_lenient_verdict(labelled: Item, answered_entry: str | None, verdict: str) -> None:
    assert lenient_verdict(labelled, answered_entry) == verdict


def test_prediction_answers_only_at_or_above_threshold() -> None:
    p = Prediction("ims", 0.5)
    assert p.answer(0.5) == "ims"
    assert p.answer(0.51) is None
    assert top([]).answer(-1e9) is None, "no hit never answers"
    assert top([Hit("a", 2.0), Hit("b", 1.0)]) == Prediction("a", 2.0)


# -- threshold selection ---------------------------------------------------------------------------

IN = item(entry="a")
OUT = item(answered=False)


@pytest.mark.parametrize(
    ("items", "predictions", "threshold", "overall"),
    [
        # Everything in scope and right: answer everything, i.e. the lowest score.
        ([IN, IN], [Prediction("a", 0.2), Prediction("a", 0.9)], 0.2, 1.0),
        # Out-of-scope questions score lower than the right answers: the cut goes between them.
        ([IN, IN, OUT, OUT], [Prediction("a", 0.8), Prediction("a", 0.7), Prediction("a", 0.3),
                              Prediction("x", 0.5)], 0.7, 1.0),
        # Only out-of-scope questions: refusing everything is best.
        ([OUT, OUT], [Prediction("a", 0.8), Prediction("b", 0.1)], REFUSE_ALL, 1.0),
        # A wrong answer above a right one: the best cut keeps both (2 of 3) rather than losing the right one.
        ([IN, IN, OUT], [Prediction("b", 0.9), Prediction("a", 0.6), Prediction("a", 0.1)], 0.6, 2 / 3),
        # Questions with no hit at all are always fallbacks, whatever the threshold.
        ([IN, OUT], [Prediction("a", 0.4), Prediction(None, -math.inf)], 0.4, 1.0),
    ],
)
def test_choose_threshold(items: list[Item], predictions: list[Prediction], threshold: float,
                          overall: float) -> None:
    choice = choose_threshold(items, predictions)
    assert choice.threshold == threshold
    assert choice.metrics.overall_accuracy == pytest.approx(overall)


def test_threshold_ties_go_to_fewer_confidently_wrong() -> None:
    # At 0.5 one in-scope question is wrong (confidently wrong); at 0.9 it is missed instead. Both
    # score 1 of 2 overall; the safer cut wins.
    items = [IN, IN]
    predictions = [Prediction("a", 0.9), Prediction("b", 0.5)]
    choice = choose_threshold(items, predictions)
    assert choice.threshold == 0.9
    assert choice.metrics.confidently_wrong == 0.0
    assert choice.verdicts == ("right", "missed")


def test_summarise_agrees_with_natobot_eval(engine: Engine) -> None:
    """The shared scores are bot.evaluation.evaluate's, so natobot and baseline rows mean the same thing."""
    items = load_set()[::8]
    result = evaluate(engine, items)
    mine = summarise(items, [o.verdict for o in result.outcomes]).as_dict()
    theirs = result.summary()
    for key in ("in_scope_accuracy", "correct_fallback", "confidently_wrong", "overall_accuracy"):
        assert mine[key] == pytest.approx(theirs[key]), key


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [([1.0], 99, 1.0), ([3.0, 1.0, 2.0], 50, 2.0), ([float(i) for i in range(1, 101)], 99, 99.0),
     ([float(i) for i in range(1, 101)], 100, 100.0)],
)
def test_percentile(values: list[float], pct: float, expected: float) -> None:
    assert percentile(values, pct) == expected


# -- the rankers on the real knowledge base --------------------------------------------------------

@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return loader.load()


@pytest.fixture(scope="module")
def bm25(kb: KnowledgeBase) -> BM25Baseline:
    b = BM25Baseline()
    b.build(kb)
    return b


@pytest.fixture(scope="module")
def naive(kb: KnowledgeBase) -> NaiveBaseline:
    b = NaiveBaseline()
    b.build(kb)
    return b


# Refusal thresholds for these tests, near what bench_compare's sweep picks on the dev set.
BM25_THRESHOLD = 4.0
NAIVE_THRESHOLD = 85.0

IN_SCOPE = [
    ("where is JFC Brunssum?", "jfc-brunssum"),
    ("Who is the IMS Director General?", "dgims"),
    ("what is objective 2.2", "objective-2-2"),
    ("what does the NATO Situation Centre do", "sitcen"),
    ("where is SHAPE", "shape"),
]
NONSENSE = ["purple monkey dishwasher", "asdfgh qwerty", "", "???"]


@pytest.mark.parametrize(("question", "entry"), IN_SCOPE)
@pytest.mark.parametrize(("name", "threshold"), [("bm25", BM25_THRESHOLD), ("naive", NAIVE_THRESHOLD)])
def test_baseline_finds_entry(name: str, threshold: float, question: str, entry: str, bm25: BM25Baseline,
                              naive: NaiveBaseline) -> None:
    baseline: Baseline = bm25 if name == "bm25" else naive
    assert top(baseline.query(question)).answer(threshold) == entry


@pytest.mark.parametrize("question", NONSENSE)
@pytest.mark.parametrize(("name", "threshold"), [("bm25", BM25_THRESHOLD), ("naive", NAIVE_THRESHOLD)])
def test_baseline_refuses_nonsense(name: str, threshold: float, question: str, bm25: BM25Baseline,
                                   naive: NaiveBaseline) -> None:
    baseline: Baseline = bm25 if name == "bm25" else naive
    assert top(baseline.query(question)).answer(threshold) is None


def test_bm25_ranks_best_first(bm25: BM25Baseline) -> None:
    hits = bm25.query("where is JFC Naples")
    assert hits[0].entry == "jfc-naples"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(
    ("text", "words"),
    [("Who heads the IMS?", ["heads", "ims"]), ("What is Objective 2.2?", ["objective", "2.2"]),
     ("", [])],
)
def test_bm25_tokenise(text: str, words: list[str]) -> None:
    assert tokenise(text) == words


def test_query_before_build_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        BM25Baseline().query("ims")
    with pytest.raises(RuntimeError):
        EmbeddingBaseline(HashEncoder()).query("ims")


# -- the embedding baseline, with a fake encoder ---------------------------------------------------

class HashEncoder:
    """Bag of words hashed into a few dimensions: similar wording, similar vector. No torch."""

    DIM = 256

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def encode(self, sentences: list[str], *, batch_size: int, normalize_embeddings: bool,
               convert_to_numpy: bool, show_progress_bar: bool) -> Any:
        self.calls.append({"n": len(sentences), "batch_size": batch_size, "normalize": normalize_embeddings})
        out = np.zeros((len(sentences), self.DIM), dtype=np.float32)
        for row, text in enumerate(sentences):
            for word in tokenise(text):
                out[row, zlib.crc32(word.encode()) % self.DIM] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms) if normalize_embeddings else out


def tiny_kb() -> KnowledgeBase:
    cite = [Citation(doc="nato-ims-2012", section="test")]

    def entry(ident: str, title: str, questions: list[str]) -> Entry:
        return Entry(id=ident, kind="body", title=title, short=f"{title} short.", answer=f"{title} answer.",
                     sources=cite, questions=questions)

    entries = [
        entry("alpha", "Alpha Board", ["who chairs the alpha board"]),
        # Several passages: only the last resembles the question below, and it must still win.
        entry("beta", "Beta Cell", ["what is the beta cell", "when was it created",
                                    "where do the harbour pilots meet"]),
    ]
    return KnowledgeBase(documents={}, entries={e.id: e for e in entries}, intents=[])


def test_embedding_scores_an_entry_by_its_best_passage() -> None:
    encoder = HashEncoder()
    baseline = EmbeddingBaseline(encoder)
    baseline.build(tiny_kb())
    hits = baseline.query("where do the harbour pilots meet")
    assert [h.entry for h in hits] == ["beta", "alpha"]
    assert hits[0].score == pytest.approx(1.0)
    assert hits[1].score < hits[0].score


def test_embedding_encodes_each_question_alone_and_normalised() -> None:
    encoder = HashEncoder()
    baseline = EmbeddingBaseline(encoder)
    baseline.build(tiny_kb())
    encoder.calls.clear()
    baseline.query("who chairs the alpha board")
    assert encoder.calls == [{"n": 1, "batch_size": 1, "normalize": True}]


def test_embedding_on_the_real_knowledge_base(kb: KnowledgeBase) -> None:
    baseline = EmbeddingBaseline(HashEncoder())
    baseline.build(kb)
    assert top(baseline.query("Where is JFC Brunssum?")).entry == "jfc-brunssum"


# -- the report ------------------------------------------------------------------------------------

def _row(key: str, overall_right: int, median_ms: float, **extra: Any) -> Row:
    # 10 in-scope questions, no out-of-scope ones: overall accuracy = overall_right / 10.
    metrics = summarise([IN] * 10, ["right"] * overall_right + ["missed"] * (10 - overall_right))
    return Row(key, key, "entry-level", metrics, [median_ms] * 3, extra=extra)


@pytest.mark.parametrize(
    ("nato_ms", "emb_ms", "nato_right", "best_right", "speed", "accuracy"),
    [
        (0.1, 0.1 * SPEED_TARGET, 10, 9, "PASS", "PASS"),
        (0.1, 0.1 * SPEED_TARGET * 0.99, 10, 9, "FAIL", "PASS"),
        (0.1, 50.0, 9, 9, "PASS", "FAIL"),  # equal accuracy is not 5 points better
    ],
)
def test_targets(nato_ms: float, emb_ms: float, nato_right: int, best_right: int, speed: str,
                 accuracy: str) -> None:
    rows = [
        _row("natobot", nato_right, nato_ms, rank_median_ms=nato_ms / 2),
        _row("natobot-entry", nato_right, nato_ms, rank_median_ms=nato_ms / 2),
        _row("embedding", best_right, emb_ms),
        _row("naive", best_right - 2, 1.0),
    ]
    checks = {c["target"]: c["status"] for c in targets(rows)}
    assert checks == {"speed": speed, "accuracy": accuracy}
    table = format_table(rows)
    assert len({len(line) for line in table.splitlines()}) == 1, "columns line up"


def test_baselines_import_without_heavy_dependencies() -> None:
    """`import benchmarks.baselines` and the bench script must not pull in torch & co. at import time."""
    code = (
        "import sys, benchmarks.baselines, benchmarks.baselines.bm25, benchmarks.baselines.embedding, "
        "benchmarks.baselines.naive, "
        "benchmarks.baselines.passages, benchmarks.baselines.blind_compare, benchmarks.compare; "
        "print(sorted({'torch', 'sentence_transformers', 'rank_bm25', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the blind-set comparison: passages judged by the facts in their text ----------------------------

def blind_item(facts: Sequence[str] = ("Northwood",), decline: bool = False) -> BlindItem:
    return BlindItem(id="x", q="q", facts=list(facts), decline=decline)


@pytest.mark.parametrize(
    ("item", "chosen", "threshold", "verdict"),
    [
        (blind_item(), Pick(5.0, True), 4.0, "right"),
        (blind_item(), Pick(5.0, False), 4.0, "wrong"),
        (blind_item(), Pick(3.0, True), 4.0, "missed"),
        (blind_item(decline=True), Pick(3.0, False), 4.0, "declined-ok"),
        (blind_item(decline=True), Pick(5.0, False), 4.0, "false-answer"),
        (blind_item(), Pick(-math.inf, False), -1e9, "missed"),
    ],
)
def test_passage_verdicts(item: BlindItem, chosen: Pick, threshold: float, verdict: str) -> None:
    assert verdict_at(item, chosen, threshold) == verdict


@pytest.mark.parametrize(
    ("best", "text", "holds_facts"),
    [
        ((0, 2.0), "MARCOM is at Northwood, UK.", True),
        ((0, 2.0), "MARCOM is in the UK.", False),
        (None, "", False),
    ],
)
def test_pick_judges_the_passage_text(best: tuple[int, float] | None, text: str, holds_facts: bool) -> None:
    chosen = pick(blind_item(["Northwood | Eastbury"]), best, [Passage("marcom", text)])
    assert chosen.holds_facts is holds_facts
    assert chosen.score == (best[1] if best else -math.inf)


def test_best_threshold_cuts_between_right_answers_and_declines() -> None:
    items = [blind_item(), blind_item(), blind_item(decline=True), blind_item(decline=True)]
    picks = [Pick(0.9, True), Pick(0.8, False), Pick(0.5, False), Pick(0.85, False)]
    best = best_threshold(items, picks)
    assert best.threshold == 0.9
    assert (best.right, best.declined_ok, best.confidently_wrong) == (1, 2, 0)
    assert best.overall_accuracy == pytest.approx(0.75)
    assert best_threshold([blind_item(decline=True)], [Pick(0.5, False)]).threshold == math.inf


def test_unit_and_entry_passages_cover_the_knowledge_base(engine: Engine) -> None:
    units = unit_passages(engine)
    assert len(units) == len(engine.units)
    assert {p.entry for p in units} <= set(engine.kb.entries)
    entries = entry_passages(engine)
    assert [p.entry for p in entries] == list(engine.kb.entries)
    fact = engine.kb.facts[0]
    assert fact.text in next(p.text for p in entries if p.entry == fact.about)


@pytest.mark.parametrize("grain", ["units", "entries"])
def test_bm25_ranker_finds_the_passage_that_holds_the_fact(engine: Engine, grain: str) -> None:
    corpus = passages(engine, grain)
    ranker = BM25Ranker()
    ranker.build(corpus)
    best = ranker.best("Allied Maritime Command MARCOM headquarters location Northwood")
    assert best is not None
    assert "Northwood" in corpus[best[0]].text
    assert ranker.best("the of and") is None, "nothing but stop words scores nothing"


def test_embedding_ranker_with_a_fake_encoder() -> None:
    corpus = [Passage("alpha", "who chairs the alpha board"), Passage("beta", "where do the harbour pilots meet")]
    ranker = EmbeddingRanker(HashEncoder())
    ranker.build(corpus)
    assert ranker.best("where do the harbour pilots meet") == (1, pytest.approx(1.0))


def _figures(right: int, declined: int, wrong: int = 0) -> BlindFigures:
    return BlindFigures(questions=10, in_scope=8, right=right, declined_ok=declined, confidently_wrong=wrong)


@pytest.mark.parametrize(
    ("nato", "bm25", "status"),
    [((7, 2), (5, 1), "PASS"), ((6, 2), (6, 1), "PASS"), ((6, 2), (6, 2), "FAIL"), ((5, 2), (7, 2), "FAIL")],
)
def test_blind_targets_are_ten_points_over_each_baseline(nato: tuple[int, int], bm25: tuple[int, int],
                                                         status: str) -> None:
    rows = [BlindRow("natobot", "natobot", None, _figures(*nato), [0.1]),
            BlindRow("bm25", "bm25 (units)", "units", _figures(*bm25), [0.2]),
            BlindRow("bm25", "bm25 (entries)", "entries", _figures(bm25[0] - 1, bm25[1]), [0.2])]
    checks = blind_compare.targets(rows)
    assert [c["status"] for c in checks] == [status]
    assert checks[0]["baseline"] == "bm25 (units)", "against the baseline's better grain"
    assert checks[0]["points"] == pytest.approx((sum(nato) - sum(bm25)) * 10)


def test_blind_comparison_end_to_end(engine: Engine, tmp_path: Path) -> None:
    questions = [
        {"id": "a", "q": "where is MARCOM?", "kind": "direct", "facts": ["Northwood"]},
        {"id": "b", "q": "which year did finland join the alliance", "kind": "direct", "facts": ["2023"]},
        {"id": "c", "q": "who won the world cup in 1998", "kind": "decline-adversarial", "decline": True},
    ]
    conversations = [{"id": "c1", "turns": [{"q": "where is JFC Brunssum?", "facts": ["Netherlands"]},
                                            {"q": "and JFC Naples?", "facts": ["Italy"]}]}]
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump({"questions": questions, "conversations": conversations}), encoding="utf-8")
    results, skipped = blind_compare.run([path], rounds=1, rankers=("bm25",), grains=("units",))
    assert skipped == {}
    [result] = results
    rows = result["rows"]
    assert [r.label for r in rows] == ["natobot", "bm25 (units)"]
    mine = blind.score(blind.load(path), lambda qs: [to_dict(engine.ask(q)) for q in qs], None).summary()
    assert rows[0].figures.in_scope_right == pytest.approx(mine["in_scope_right"])
    assert rows[0].figures.correct_fallback == pytest.approx(mine["correct_fallback"])
    assert result["conversation_turns"] == 2
    text = blind_compare.format_result(result)
    assert len({len(line) for line in text.splitlines()[1:4]}) == 1, "columns line up"
    json.dumps(blind_compare.as_json(results))


@pytest.mark.parametrize(("nato_ok", "bm25_ok", "status"), [
    (131, 116, "PASS"),  # exactly ten points: 131/150 - 116/150 is 9.999999999999998 in floats
    (131, 117, "FAIL"),
    (150, 0, "PASS"),
])
def test_blind_target_counts_whole_questions(nato_ok: int, bm25_ok: int, status: str) -> None:
    def row(key: str, ok: int) -> BlindRow:
        declined = min(ok, 40)  # of 40 questions to decline; the rest of `ok` are right answers
        return BlindRow(key, key, "entries", BlindFigures(150, 110, ok - declined, declined, 0), [])

    (check,) = blind_compare.targets([row("natobot", nato_ok), row("bm25", bm25_ok)])
    assert check["status"] == status
