"""The confidence's isotonic calibration (bot/answering/calibrate.py) and its use by the shipped model."""

from __future__ import annotations

import random

import pytest

from bot.answering import calibrate, outside
from bot.answering.calibrate import Calibration
from bot.answering.engine import Engine


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0, 0.1), (0.2, 0.1), (0.35, 0.3), (0.5, 0.5), (0.65, 0.7), (0.8, 0.9), (1.0, 0.9)],
)
def test_calibration_interpolates_between_breakpoints(p: float, expected: float) -> None:
    cal = Calibration((0.2, 0.5, 0.8), (0.1, 0.5, 0.9))
    assert cal(p) == pytest.approx(expected)


def test_no_calibration_is_the_identity() -> None:
    assert Calibration.of([])(0.37) == 0.37


def test_fit_learns_the_rate_right_and_is_monotone() -> None:
    """Raw scores that overstate the truth (a reply scored p is right with probability p*p) come back near p*p."""
    rng = random.Random(7)
    scores = [rng.random() for _ in range(20000)]
    right = [rng.random() < s * s for s in scores]
    cal = calibrate.fit(scores, right)
    assert list(cal.ys) == sorted(cal.ys)
    for p in (0.3, 0.6, 0.9):
        assert cal(p) == pytest.approx(p * p, abs=0.05)


def test_fit_pools_violators_into_blocks_of_at_least_min_block() -> None:
    # Falling rates must pool into one flat block at the overall rate.
    scores = [i / 100 for i in range(100)]
    right = [i < 50 for i in range(100)]
    cal = calibrate.fit(scores, right, min_block=10)
    assert cal.ys == (0.5,)


def test_shipped_model_is_calibrated_and_monotone(engine: Engine) -> None:
    stored = engine.model.calibration
    assert len(stored) == 2 and len(stored[0]) == len(stored[1]) >= 3
    assert stored[0] == sorted(stored[0]) and stored[1] == sorted(stored[1])
    assert all(0.0 <= v <= 1.0 for v in stored[1])


# -- the "outside" words (bot/answering/outside.py) --------------------------------------------------------

def _asked(text: str, decline: bool) -> outside.Asked:
    return frozenset(text.split()), decline


TRAINING = [
    _asked("what is the salary of the dg", True), _asked("what is the salary of a colonel", True),
    _asked("what is the ims", False), _asked("who heads the ims", False), _asked("what is shape", False),
    _asked("where is shape", False),
]


def test_outside_words_rank_words_of_questions_to_decline_first() -> None:
    vocab = outside.Vocabulary.count(TRAINING)
    assert vocab.weight("salary") > vocab.weight("what") > vocab.weight("ims")
    assert vocab.weight("unseen") == pytest.approx(0.0)


def test_outside_score_leaves_the_question_itself_out() -> None:
    """A training row must not see its own label: "salary" in its own question counts once less."""
    vocab = outside.Vocabulary.count(TRAINING)
    own = TRAINING[0]
    left_out = outside.Vocabulary.count(TRAINING[1:])
    assert vocab.score(own[0], own) == pytest.approx(left_out.score(own[0]), abs=1e-3)
    assert vocab.score(own[0], own) < vocab.score(own[0])


@pytest.mark.parametrize("question", ["what is the salary of the dg", "where is shape", "anything else entirely"])
def test_stored_table_scores_as_the_fit_does(question: str) -> None:
    vocab = outside.Vocabulary.count(TRAINING)
    assert outside.score(question.split(), vocab.table()) == vocab.score(question.split())


def test_shipped_model_has_outside_words(engine: Engine) -> None:
    table = engine.model.outside_words
    assert len(table) >= 50 and all(v > 0 for v in table.values())


@pytest.mark.parametrize(("question", "telling"), [
    ("tell me about SITCEN", []),  # "tell me about" cues the intent; "me" and the name say nothing either
    ("tell me the SITCEN wifi password", ["wifi", "password"]),
    ("what is the salary of the SACEUR", ["salary"]),
    ("who is the next SACEUR", ["next"]),
    ("what is the IMS email address", ["email"]),  # "address" cues the location asked, which the scorer weighs
])
def test_outside_words_are_content_words_not_names_or_function_words(
    engine: Engine, question: str, telling: list[str],
) -> None:
    assert list(outside.telling(engine.analyse(question))) == telling


@pytest.mark.parametrize("word", ["sitcen", "saceur", "marcom", "me", "you", "tell"])
def test_the_shipped_outside_table_holds_no_name_or_function_word(engine: Engine, word: str) -> None:
    assert word not in engine.model.outside_words


def test_tell_me_about_an_entity_is_answered(engine: Engine) -> None:
    """"tell me about X" for every entry's own name: the outside words once held "me", "tell" and "sitcen"
    (from questions to decline like "tell me the SITCEN wifi password"); refits declined 12 to 109 of these,
    "tell me about the IMS" among them."""
    entries = list(engine.kb.entries.values())
    answered = [engine.ask(f"tell me about {e.title}").answered for e in entries]
    assert sum(answered) >= 0.95 * len(entries)
