"""One scoring model on evidence: features of (question, unit), weights fitted on training questions.

Candidates are the units that share a name or a rare word with the question. Each gets a handful of
evidence features (model.FEATURES): what it shares with the question (names, content words weighted by
how rare they are, the facet asked, the kind of answer wanted) and what the question carries that it
lacks.
A linear ranking model orders them; the confidence, the probability that the reply built on the best
one is right, comes from gradient-boosted trees over the best candidate's features and how clearly it
won (model.CONFIDENCE_FEATURES). Nothing here is set by hand: `natobot eval --fit` fits both
(bot/evaluation/fit.py says how) and writes them to knowledge/data/model.yaml.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering import outside
from bot.answering.boost import Forest
from bot.answering.calibrate import Calibration
from bot.answering.confidence import RANK_DEPTH, Terms, confidence_row, question_row, reply_features
from bot.answering.index import FacetTable, IndexedUnit, UnitIndex, facet_table
from bot.answering.lexicon import RARITY_FLOOR
from bot.answering.model import Model
from bot.answering.question import Question, Word
from bot.answering.ranking import Scored, rank_rows, subject_of, supporting

# Okapi BM25's usual parameters: term saturation and length normalisation.
BM25_K1 = 1.2
BM25_B = 0.75
# Concepts in more than this share of units are too common to find candidates by (they still score).
POSTING_SHARE = 0.2
# At most this many candidates get the full feature set, the rest are cut by a cheap pre-score (names
# and rare shared words). Chosen on the training questions' cross-validation: 40 and 30 did equally
# well (overall 73.6% and 73.3% at the chosen threshold), 20 a little worse (72.5%), and time grows
# with the number.
MAX_CANDIDATES = 30
# Specificity (UnitIndex.specificity, 1.0 for a name few statements mention) under which a name is one
# everyone uses: NATO (0.31) is, the IMS (0.53) is not. Such a name finds the statements about it but not
# every statement that mentions it, and its known gaps are not said unasked (engine._several). A hand-set
# cut, not fitted, that falls between those two.
SHARED_NAME = 0.5



@dataclass(frozen=True)
class _View:
    names: tuple[tuple[str, float, float, bool], ...]  # (entry, sureness, specificity, from the context)
    most_specific: float
    words: tuple[tuple[str, float, float, int], ...]  # (concept, weight for, weight against, kind)
    unnamed: bool
    carrying: bool  # any word that says what is asked beyond names, cues and framing


def _weight(rarity: float) -> float:
    """How much a word counts for a statement: everyday words ("work", "people") count, but less than
    rare ones, whatever their rarity in the knowledge base (idf) says."""
    return 0.3 + 0.7 * rarity


def _word_kind(w: Word) -> int:
    """How a content word counts against a unit that lacks it: 0 never (framing, intent cues), 1 as a
    word the knowledge base never uses, 2 as such a word that is everyday filler, 3 as a known word."""
    if not w.carries:
        return 0
    if not w.known or w.quality < 1.0:
        return 1 if w.rarity > RARITY_FLOOR else 2  # unknown (a corrected typo never was known)
    return 3


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


_Five = tuple[float, float, float, float, float]
_ZEROS: _Five = (0.0, 0.0, 0.0, 0.0, 0.0)


def _name_rows(view: _View, units: list[IndexedUnit]) -> list[_Five]:
    """Per unit, (about, outranked, mention, name_miss, context): how the question's names bear on it."""
    if not view.names:
        return [_ZEROS] * len(units)
    out = []
    for iu in units:
        about = mention = outranked = context = 0.0
        entities, mentions = iu.entities, iu.mentions
        for entry, score, spec, from_context in view.names:
            if entry in entities:
                if score > about:
                    about = score
                    outranked = view.most_specific - spec
                    context = 1.0 if from_context else 0.0
            elif entry in mentions and score * spec > mention:
                mention = score * spec
        out.append((about, outranked, mention, 1.0 if about == 0.0 and mention == 0.0 else 0.0, context))
    return out


def _count_evidence(q: Question, iu: IndexedUnit) -> tuple[float, float]:
    """(counts, count_miss): whether the unit gives a count of what a "how many" asks to count."""
    if not q.counted:
        return 0.0, 0.0
    return (1.0, 0.0) if any(c in iu.counted for c in q.counted) else (0.0, 1.0)


def _wants_evidence(q: Question, iu: IndexedUnit) -> tuple[float, float]:
    """(wants, wants_miss): whether the unit holds the kind of answer wanted."""
    if q.wants is None:
        return 0.0, 0.0
    # A number or a year answers only when it is not one the question already states.
    adds = q.wants not in ("time", "number", "duration") or bool(iu.numbers - q.numbers)
    return (1.0, 0.0) if q.wants in iu.kinds and adds else (0.0, 1.0)


_NO_ASKED = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _add(found: dict[int, float], ids: Sequence[int], gain: float) -> None:
    """Add `gain` to the pre-score of each unit in `ids` (each listed once): the same sums as
    found.get(i, 0.0) + gain, with the loop in C when no unit of `ids` has a score yet."""
    if found.keys().isdisjoint(ids):
        found.update(dict.fromkeys(ids, gain))
        return
    get = found.get
    for i in ids:
        found[i] = get(i, 0.0) + gain


class Scorer:
    def __init__(self, index: UnitIndex, model: Model, *, forest_bytecode: bytes | None = None) -> None:
        """`forest_bytecode`: the confidence forest's compiled code, as `self.forest_bytecode` was for this
        model (the engine's cache keeps it)."""
        self.index = index
        self.model = model
        self.weights = model.vector()
        forest = Forest(model.confidence_base, tuple(model.confidence_trees)) if model.confidence_trees else None
        if forest is not None and forest_bytecode is None:
            forest_bytecode = forest.bytecode()
        self.forest_bytecode = forest_bytecode
        self._forest = forest.compiled(forest_bytecode) if forest is not None else None
        self._calibration = Calibration.of(model.calibration)
        self._confidence_prior = model.confidence_vector()
        n = len(index.units)
        self._posting_cap = max(10, int(n * POSTING_SHARE))
        # Per unit, what every question's walk over it needs: BM25's length normalisation and the
        # concepts of its entity's statements.
        self._walks = [(iu.tf, iu.own, index.entity_concepts.get(iu.unit.entry, frozenset()),
                        BM25_K1 * (1 - BM25_B + BM25_B * iu.length / index.average_length)) for iu in index.units]
        self._facets = self._facet_tables()
        self._entries = [iu.unit.entry for iu in index.units]
        self._statics = [(iu.unit.aspect, iu.unit.entry, 1.0 if iu.unit.aspect == "overview" else 0.0, iu.log_size,
                          iu.concepts) for iu in index.units]

    def candidates(self, q: Question, only: str | None = None) -> list[int]:
        ix = self.index
        if only is not None:
            return list(ix.about.get(only, []))
        found: dict[int, float] = {}
        for name in q.names:
            # A name everyone uses (NATO) must not crowd out the statements the other words point to.
            spec = ix.specificity.get(name.entry, 1.0)
            _add(found, ix.about.get(name.entry, ()), 2.0 * spec)
            if spec >= SHARED_NAME:
                _add(found, ix.mentioned.get(name.entry, ()), spec)
        for w in q.content:
            posting = ix.postings.get(w.concept, ())
            if not posting or len(posting) > self._posting_cap:
                continue
            _add(found, posting, ix.idf[w.concept] / ix.max_idf)
        if len(found) > MAX_CANDIDATES:
            # Best first, ties in the order found (a stable sort, which reverse=True keeps).
            return sorted(found, key=found.__getitem__, reverse=True)[:MAX_CANDIDATES]
        return list(found)

    def view(self, q: Question, only: str | None = None) -> _View:
        """What every candidate's features need from the question, computed once per question."""
        ix = self.index
        names = tuple((n.entry, n.score, ix.specificity.get(n.entry, 1.0), n.how == "context")
                      for n in q.names if only is None or n.entry == only)
        words = []
        for w in q.content:
            if w.framing:
                continue  # "fyi I'm new" says nothing about any statement, for or against
            idf = ix.idf.get(w.concept, ix.max_idf)
            words.append((w.concept, idf * w.quality * _weight(w.rarity), idf * w.rarity, _word_kind(w)))
        return _View(
            names=names, most_specific=max((n[2] for n in names), default=0.0), words=tuple(words),
            unnamed=not q.names and q.intent in (None, "what_is", "who_is") and q.facet is None,
            carrying=any(kind != 0 for *_, kind in words),
        )

    def rows(self, q: Question, only: str | None = None) -> tuple[list[int], list[tuple[float, ...]]]:
        """The candidates and their features, as rank() scores them and fit.py trains on them."""
        found = self.candidates(q, only)
        view = self.view(q, only)
        units = [self.index.units[i] for i in found]
        # A candidate's BM25 feature is relative to the best candidate's: the evidence that needs a walk
        # over the question's names and words comes first, for all candidates, then the rows.
        names = _name_rows(view, units)
        scores, words = self._word_rows(view, found, names)
        best = max(scores, default=0.0)
        return found, self._assemble(q, view, found, units, names, scores, words, best)

    def _assemble(
        self, q: Question, view: _View, found: list[int], units: list[IndexedUnit], names: list[_Five],
        scores: list[float], words: list[_Five], best: float,
    ) -> list[tuple[float, ...]]:
        """Each candidate's evidence in FEATURES order."""
        uncarried = 0.0 if view.carrying else 1.0
        unnamed = 1.0 if view.unnamed else 0.0
        focus = q.focus
        key = (q.facet, q.intent == "stands_for")
        by_aspect, absent, no_units = self._facets.get(key) or facet_table(
            *key, {iu.unit.aspect for iu in units}, self.index.aspects)
        asks = q.wants is not None or bool(q.counted) or bool(q.acronyms)
        statics = self._statics
        out: list[tuple[float, ...]] = []
        for i, iu, name, bm25, word in zip(found, units, names, scores, words, strict=True):
            about, outranked, mention, name_miss, context = name
            lex, lex_mass, miss, miss_entity, unknown = word
            aspect, entry, overview, log_size, concepts = statics[i]
            facet, facet_other, facet_generic = by_aspect[aspect]
            # Most questions want no kind, count nothing and spell nothing out: no call for those.
            wants, wants_miss, counts, count_miss, defines, defines_miss = (
                self._asked_evidence(q, iu) if asks else _NO_ASKED)
            out.append((
                about, outranked, mention, name_miss, context, lex, lex_mass,
                min(bm25, 20.0) / 10.0, bm25 / best if best > 0 else 0.0,
                miss, miss_entity, unknown,
                uncarried, facet, facet_other, facet_generic, absent.get(entry, no_units), wants, wants_miss,
                overview, log_size,
                1.0 if focus is not None and focus not in concepts else 0.0, defines, defines_miss,
                unnamed, about * facet, about * wants, about * lex, counts, count_miss,
            ))
        return out

    def _asked_evidence(self, q: Question, iu: IndexedUnit) -> tuple[float, float, float, float, float, float]:
        """(wants, wants_miss, counts, count_miss, defines, defines_miss)."""
        wants, wants_miss = _wants_evidence(q, iu) if q.wants is not None else (0.0, 0.0)
        counts, count_miss = _count_evidence(q, iu) if q.counted else (0.0, 0.0)
        defines, defines_miss = self._defines(q, iu) if q.acronyms else (0.0, 0.0)
        return wants, wants_miss, counts, count_miss, defines, defines_miss

    def _word_rows(self, view: _View, found: list[int], names: list[_Five]) -> tuple[list[float], list[_Five]]:
        """Per candidate: BM25, and (lex, lex_mass, miss, miss_entity, unknown), what it shares of the
        question's content words and what the question carries that it lacks. One walk over the words
        for both."""
        if not view.words:
            return [0.0] * len(found), [_ZEROS] * len(found)
        statics, words, max_idf = self._walks, view.words, self.index.max_idf
        total = 0.0
        for _, weight, _, _ in words:
            total += weight
        scores, out = [], []
        for i, name in zip(found, names, strict=True):
            tf_of, own, entity_concepts, norm = statics[i]
            # When the question names the unit's entity, its name's words are spent: "who commands JFC
            # Naples" must not find "command" in the name "Joint Force Command Naples".
            named = name[0] > 0.0
            score = matched = missing = foreign = unknown = 0.0
            for concept, weight, against, kind in words:
                tf = tf_of.get(concept, 0)  # non-zero exactly for the unit's concepts
                if tf:
                    score += weight * tf * (BM25_K1 + 1) / (tf + norm)
                    if not named or concept in own:
                        matched += weight
                        continue
                if kind == 3:
                    if concept in entity_concepts:
                        missing += against
                    else:
                        foreign += against
                elif kind:
                    # A word the knowledge base never uses ("Sweden", "salary"), unless everyday filler.
                    unknown += 1.0 if kind == 1 else RARITY_FLOOR
            scores.append(score)
            out.append((
                matched / total if total else 0.0, min(matched / max_idf, 3.0) / 3.0,
                min(missing / max_idf, 3.0) / 3.0, min(foreign / max_idf, 3.0) / 3.0, min(unknown, 2.0) / 2.0,
            ))
        return scores, out

    def _facet_tables(self) -> dict[tuple[str | None, bool], FacetTable]:
        """The facet features of every unit's aspect and entry, for every facet a question can ask
        (intents.yaml's) and whether it asks what a name stands for: a question looks them up."""
        ix = self.index
        asked = {i.facet for i in ix.cat.intents.by_id.values()} | {None}
        aspects = {iu.unit.aspect for iu in ix.units}
        return {(f, spells): facet_table(f, spells, aspects, ix.aspects) for f in asked for spells in (False, True)}

    @staticmethod
    def _defines(q: Question, iu: IndexedUnit) -> tuple[float, float]:
        if q.intent != "stands_for" or not q.acronyms:
            return 0.0, 0.0
        text = iu.unit.text.lower()
        spelled = any(f"{a} stands for" in text or f"({a})" in text for a in q.acronyms)
        return (1.0, 0.0) if spelled else (0.0, 1.0)

    def rank(self, q: Question, *, only: str | None = None, limit: int = RANK_DEPTH) -> list[Scored]:
        found, rows = self.rows(q, only)
        return rank_rows(rows, list(map(self._entries.__getitem__, found)), self.model.bias, self.weights,
                         depth=limit, ids=found, subject=subject_of(q))

    def terms(self, q: Question) -> Terms:
        ix = self.index
        return tuple(
            (w.concept, ix.idf.get(w.concept, ix.max_idf) * w.quality * _weight(w.rarity),
             ix.idf.get(w.concept, ix.max_idf) * w.rarity, w.carries)
            for w in q.content
            if not w.framing
        )

    def confidence(self, q: Question, ranked: list[Scored]) -> float:
        """The probability that the reply built on the best candidate (and its support) is right."""
        if not ranked:
            return 0.0
        units = self.index.units
        shown = [units[s.index].reply_concepts for s in [ranked[0], *supporting(ranked)]]
        near = [units[s.index].reply_concepts for s in ranked[:RANK_DEPTH]]
        answers = units[ranked[0].index].unit.answers
        reply = reply_features(self.terms(q), shown, near, self.index.max_idf, answers=answers)
        telling = outside.score(outside.telling(q), self.model.outside_words)
        row = confidence_row(ranked, reply, question_row(q, telling))
        if self._forest is not None:
            return self._calibration(sigmoid(self._forest(row)))
        return sigmoid(self.model.confidence_bias + sum(map(operator.mul, self._confidence_prior, row)))
