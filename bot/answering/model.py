"""The scorer's model: the evidence features by name, and the weights and trees fitted on them.

FEATURES are what scoring.py measures of each (question, unit) pair; the ranking model weighs them
linearly. CONFIDENCE_FEATURES are what the confidence model sees of the best candidate. `natobot eval
--fit` (fit.py) fits both into knowledge/data/model.yaml; a model fitted on other features is not used.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.answering.confidence import QUESTION_FEATURES, REPLY_FEATURES

FEATURES = (
    "about",  # the question names the unit's entity (the name's sureness)
    "outranked",  # ... but also names something more specific ("NATO's SACEUR" is about SACEUR, not NATO)
    "mention",  # the question names an entity the unit's statement names (sureness times specificity)
    "name_miss",  # the question names entities, the unit neither is about nor names any of them
    "context",  # the unit's entity is the conversation's subject, carried over
    "lex",  # share of the question's content (by rarity) the unit has
    "lex_mass",  # how much rare content the unit shares with the question
    "bm25",  # Okapi BM25 of the question's content words against the unit (scaled)
    "bm25_best",  # the unit's BM25 as a share of the best candidate's
    "miss",  # rare content words the question carries that the unit lacks but its entity has elsewhere
    "miss_entity",  # ... that the unit's entity never uses, though the knowledge base does
    "unknown",  # content words the knowledge base has never seen ("budget", "Sweden")
    "bare",  # the question carries nothing beyond names, intent cues and framing ("where is SHAPE?")
    "facet",  # the unit is of the facet asked (or the overview when nothing specific is asked)
    "facet_other",  # the unit is of another facet than the one asked
    "facet_generic",  # a facet is asked and the unit is a general statement (overview, detail, fact)
    "facet_absent",  # a facet is asked and the unit's entity has no statement of that facet at all
    "wants",  # the unit holds the kind of answer wanted (a place for "where", a year for "when")
    "wants_miss",  # a kind of answer is wanted and the unit holds none
    "overview",  # the unit opens its entity's overview
    "size",  # how long the statement is (long statements share a little with everything)
    "focus_miss",  # the word the question turns on ("how many *divisions*") is not in the unit
    "defines",  # "what does X stand for": the unit spells X out
    "defines_miss",  # ... and it does not
    "unnamed_topic",  # "what is X" where X names no entry (a phrase some statement happens to use)
    # Evidence counts most together: the right subject and the facet asked, the right subject and the
    # kind of answer wanted, the right subject and the content words.
    "about_facet",
    "about_wants",
    "about_lex",
    "counts",  # a "how many" asks to count something and the unit gives a count of it ("500 staff")
    "count_miss",  # ... and the unit gives no count of it ("multiple OIG reports" for "how many reports")
)

# Before any fit: weights that make names, shared content and the facet count and missing content
# cost. `natobot eval --fit` replaces them; kept so that a knowledge directory without a model works.
_PRIOR = {
    "about": 3.0, "outranked": -2.0, "mention": 1.0, "name_miss": -1.5, "context": 0.0, "lex": 2.0,
    "lex_mass": 2.0, "bm25": 1.0, "bm25_best": 1.0, "miss": -1.0, "miss_entity": -2.0, "unknown": -2.0,
    "bare": 0.0, "facet": 1.5, "facet_other": -1.0,
    "facet_generic": -0.5, "facet_absent": -1.0,
    "wants": 1.0, "wants_miss": -1.0, "overview": 0.5, "size": -0.5,
    "about_facet": 0.0, "about_wants": 0.0, "about_lex": 0.0,
    "focus_miss": -1.0, "defines": 1.0, "defines_miss": -1.0, "unnamed_topic": 0.0,
    "counts": 1.0, "count_miss": -1.0,
}

# The confidence model sees how clearly the best candidate won, the reply's coverage of the question,
# the kind of question (confidence.py) and the best candidate's features.
CONFIDENCE_FEATURES = ("share", "margin", "margin_other", "agreement", *REPLY_FEATURES, *QUESTION_FEATURES, *FEATURES)


class Model(BaseModel):
    # Built on the first validation, not at import: a cached `natobot ask` unpickles its model (cache.py)
    # and never validates one, so it skips building the validator (and pydantic's plugin lookup with it).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    # Ranking: which unit answers best.
    bias: float = -3.0
    weights: dict[str, float] = Field(default_factory=lambda: dict(_PRIOR))
    # Confidence: the probability that the reply is right. Gradient-boosted trees over
    # CONFIDENCE_FEATURES (boost.py) once fitted; before any fit, a logistic prior on the same features.
    confidence_bias: float = -1.0
    confidence_weights: dict[str, float] = Field(default_factory=lambda: {"share": 2.0, "margin": 1.0})
    confidence_base: float = 0.0
    confidence_trees: list[list[list[float]]] = Field(default_factory=list)
    # The trees' probability -> the share of such replies right: [raw breakpoints, calibrated values],
    # isotonic, fitted on the cross-validation folds (calibrate.py). Empty: the trees' own probability.
    calibration: list[list[float]] = Field(default_factory=list)
    # Words of questions to decline and their weight (outside.py), counted on the training questions.
    outside_words: dict[str, float] = Field(default_factory=dict)
    # The features it was fitted on; a model fitted on other features is not used (the prior is).
    features: list[str] = Field(default_factory=lambda: list(FEATURES))
    confidence_features: list[str] = Field(default_factory=lambda: list(CONFIDENCE_FEATURES))
    # Below this probability natobot says it does not know (chosen by the fit; see fit.py).
    threshold: float = 0.5
    fitted: str | None = None  # how and on what it was fitted

    def fits_code(self) -> bool:
        return self.features == list(FEATURES) and self.confidence_features == list(CONFIDENCE_FEATURES)

    @classmethod
    def load(cls, path: Path) -> Model:
        """The fitted model, or the prior when there is none or it was fitted on other features."""
        if not path.exists():
            return cls()
        from knowledge.loader import read_yaml  # only to build: a cached start takes the model from the cache

        model = cls.model_validate(read_yaml(path) or {})
        return model if model.fits_code() else cls()

    def vector(self) -> list[float]:
        return [self.weights.get(f, 0.0) for f in FEATURES]

    def confidence_vector(self) -> list[float]:
        return [self.confidence_weights.get(f, 0.0) for f in CONFIDENCE_FEATURES]
