"""The Python API: `Engine.load()` once, then `engine.ask(question, context)`.

The engine itself lives in `bot.answering` (units, analysis, scoring, composing); this module wires it
together and handles what needs no matching: empty, oversized and purely social messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.answering import asides, asked, cache, clauses, homes, markup
from bot.answering import catalogue as catalogue_mod
from bot.answering.analysis import Analyser
from bot.answering.answer import Answer, Status, new_answer
from bot.answering.compose import Composer
from bot.answering.context import Context, remember
from bot.answering.index import UnitIndex
from bot.answering.memory import Memory, build_memory
from bot.answering.model import Model
from bot.answering.question import Question
from bot.answering.question_part import QuestionPart
from bot.answering.ranking import Scored, best_first, supporting
from bot.answering.scoring import SHARED_NAME, Scorer
from bot.answering.units import build_units
from bot.answering.words import STOPWORDS
from knowledge import loader
from knowledge.models import Presentation
from knowledge.text import clean, tokens_with_case

# Longer input is not a question; it gets a short answer instead of a slow match.
MAX_QUESTION_CHARS = 1000
# At most this many entities are answered in one reply ("where are AIRCOM, LANDCOM and MARCOM?").
MAX_ENTITIES = 4

_GREETINGS = frozenset({"hello", "hi", "hey", "hiya", "yo", "morning", "afternoon", "evening", "good"})
_THANKS = frozenset({"thanks", "thank", "thx", "ty", "cheers"})
# Question words that ask for a fact even among greetings and thanks ("thanks! where is it?").
_ASKS_FACT = asked.QUESTION_WORDS - {"what", "how"}
# Who a question about the bot itself is about ("what can you do?").
_YOU = frozenset({"you", "your", "u", "ur"})
_HELP = frozenset({"help", "usage", "commands", "how", "use", "what", "can", "do", "you", "who", "are"})

# A word the engine can read has a Latin letter or a digit ("İzmir" and "2014" do; "北约" and "НАТО" do not).
_LATIN = re.compile(r"[a-z0-9]")
# How a name must be found for a declined question to set the conversation's subject (question.Name.how).
_SURE_NAMES = frozenset({"alias", "stem", "number"})
# Only when a knowledge directory has no presentation.yaml (a bare test directory); a pydantic object made
# at import would build its validator and pydantic's plugin lookup on every start.
_PLAIN_HELP = "I answer questions from these sources: {documents}."
_PLAIN_SUGGESTIONS = ["What is the International Military Staff?"]


@dataclass
class Decision:
    picks: list[Scored] = field(default_factory=list)  # the units that answer, one per entity asked
    support: list[Scored] = field(default_factory=list)  # close runners-up shown after the answer
    ranked: list[Scored] = field(default_factory=list)
    confidence: float = 0.0


def _only_chat(words: list[str], framing: frozenset[str]) -> bool:
    """A short message of greetings, thanks, help and framing alone."""
    only_chat = all(w in STOPWORDS or w in framing or w in _GREETINGS or w in _HELP for w in words)
    chatty = any(w in _GREETINGS or w in _THANKS or w in {"help", "usage"} for w in words)
    return only_chat and chatty and len(words) <= 8


def _asks_again(words: list[str]) -> bool:
    """A question word that asks for a fact, not about the bot itself: "thank you! where is it?" asks; "hi,
    what can you do?" asks for help, and "what" and "how" are greetings too ("hey, what's up?", "how's it
    going?")."""
    about_bot = any(w in _YOU and not (i and words[i - 1] == "thank") for i, w in enumerate(words))
    return not about_bot and any(w in _ASKS_FACT for w in words)


def _named(q: Question) -> list[str]:
    """What a declined question names outright, which is still what the conversation is about: after "who
    is SACEUR now?" (not in the sources), "where is he based?" asks about SACEUR. The training
    conversations are read the same way (fit._conversation). Names only guessed (fuzzy, an ordinary word)
    or carried over from before do not set a subject, but when the analyser kept the subject beside a name
    of the setting ("and when did it open its mission to NATO?"), the subject stays first."""
    sure = [n.entry for n in q.names if n.how in _SURE_NAMES]
    carried = [n.entry for n in q.names if n.how == "context"] if sure else []
    return list(dict.fromkeys([*carried, *sure]))


def _asked_under(q: Question, previous: list[str], subject: list[str]) -> str | None:
    """The subject a follow-up that named nothing was asked under, when its answer was about something
    else: after "what does the NOGP do?" and "which UN resolutions?" (answered by the resolutions),
    "who does it liaise with?" still means the NOGP, so the NOGP stays beside the new subject."""
    if not (q.follow_up and previous and q.names) or any(n.how != "context" for n in q.names):
        return None
    return previous[0] if previous[0] not in subject else None


class Engine:
    def __init__(
        self, kb: loader.KnowledgeBase, model: Model | None = None, *, built: tuple[Any, ...] | None = None,
    ) -> None:
        self.kb = kb
        if built is None:
            self.units = build_units(kb)
            self.catalogue = catalogue_mod.build(kb, [u.text for u in self.units])
            self.index = UnitIndex(self.units, self.catalogue)
            forest_bytecode, memory = None, None
        else:
            self.units, self.catalogue, self.index, forest_bytecode, memory = built
        self.analyser = Analyser(self.catalogue, self.index.concepts_known, self.index.specificity,
                                 aspects=self.index.aspects)
        self.memory: Memory = memory or build_memory(kb.asked, self.units, self.analyse)
        self.question_part = QuestionPart(self.analyser)
        self._homes = homes.homes(kb)
        data_dir = kb.data_dir or loader.DATA_DIR
        self.model = model or Model.load(data_dir / loader.MODEL_FILE)
        self.scorer = Scorer(self.index, self.model, forest_bytecode=forest_bytecode)
        self._suggestion = lru_cache(maxsize=None)(self._suggestion_uncached)
        self._threshold = self.model.threshold
        self.composer = Composer(self.index, self.suggestion, defaults=self.default_suggestions)

    @classmethod
    def load(cls, data_dir: Path | None = None, *, use_cache: bool = True) -> Engine:
        """Load and check the knowledge base (a problem raises KnowledgeError), or reuse a build of the same
        knowledge files by the same code from the cache (cache.py)."""
        key = cache.key(data_dir or loader.DATA_DIR) if use_cache else None
        if use_cache:
            state = cache.load(key)
            if state is not None:
                kb, units, catalogue, index, model, forest_bytecode, memory = state
                return cls(kb, model, built=(units, catalogue, index, forest_bytecode, memory))
        kb = loader.load(data_dir)
        first = next(iter(loader.problems(kb)), None)
        if first is not None:
            raise loader.KnowledgeError(first)
        engine = cls(kb)
        if use_cache:
            # The memory is built: its 4,000 questions need not be unpickled at every start.
            cache.save(key, (replace(kb, asked=[]), engine.units, engine.catalogue, engine.index, engine.model,
                             engine.scorer.forest_bytecode, engine.memory))
        return engine

    # -- answering ---------------------------------------------------------------------
    def ask(self, question: str, context: Context | None = None) -> Answer:
        """Answer one question; updates `context` in place when the answer is about something."""
        if len(question) > MAX_QUESTION_CHARS * 4:
            return self._too_long(question, len(question))  # bounded before any pattern touches it
        text = markup.strip(clean(question), self.catalogue.aliases)
        pairs = tokens_with_case(text) if len(text.strip()) <= MAX_QUESTION_CHARS else []
        special = self._special(question, text, pairs)
        if special is not None:
            return special
        parts = clauses.split(text) or (clauses.distribute(text, self.analyse) if pairs else [])
        several = self._several_questions(question, parts, context)
        if several is not None:
            return several
        cut = asides.cut(text) if pairs else None
        before = context.copy() if cut is not None and context is not None else None
        answer = self._ask_one(question, text, pairs, context)
        if cut is None or answer.confidence >= self.model.threshold:
            return answer
        return self._without_asides(question, cut, before, context) or answer

    def _without_asides(
        self, question: str, cut: asides.Cut, before: Context | None, context: Context | None,
    ) -> Answer | None:
        """The message's question asked alone, when what surrounds it only frames it (asides.py): its
        answer if that is as sure as the fitted threshold, else None. `before` is the conversation as it
        was before the whole message was read, which the question alone is asked in. Both readings are
        judged against the fitted threshold, not the one in force (as clauses are), so which one counts
        does not depend on the threshold and `natobot eval`'s one-pass sweep still predicts a real run."""
        core = self.question_part.find(cut, conversation=before is not None and bool(before.entities))
        if core is None:
            return None
        text = clean(core)
        again = self._ask_one(question, text, tokens_with_case(text), before)
        if again.confidence < self.model.threshold:
            return None
        if context is not None and before is not None:
            context.entities, context.intent, context.facet = before.entities, before.intent, before.facet
        return again

    def _several_questions(self, question: str, parts: list[str], context: Context | None) -> Answer | None:
        """Each clause asked as a turn of its own, the next with the subject the last one left (clauses.py
        says how the replies combine); None (read the message whole) when it asks one question, or when a
        clause is less sure than the fitted threshold: "is there a gender office? what does it do" is one
        question read whole. The fitted threshold, not the one in force, so that the choice is the same
        whatever threshold `natobot eval` sweeps: the reply's confidence is then its least sure clause's."""
        if not parts:
            return None
        turn = context.copy() if context else Context()
        answers = []
        for part in parts:
            text = clean(part)
            pairs = tokens_with_case(text)
            answers.append(self._special(part, text, pairs) or self._ask_one(part, text, pairs, turn))
        if any(a.confidence < self.model.threshold for a in answers):
            return None
        if context is not None:
            context.entities, context.intent, context.facet = turn.entities, turn.intent, turn.facet
        return clauses.combine(question, answers)

    def _ask_one(self, question: str, text: str, pairs: list[tuple[str, str]], context: Context | None) -> Answer:
        q = self.analyser.analyse(text, context, pairs=pairs)
        if context is not None:
            home = homes.asks_home(q, context, self._homes, self.index.aspects)
            if home is not None:
                context.entities = [home, *context.entities]
                q = self.analyser.analyse(text, context, pairs=pairs)
        answer = self._answer(q)
        answer.question = question  # as typed, not as cleaned
        if context is not None:
            subject = answer.entities if answer.status in ("answer", "no-data") else _named(q)
            whole = self.analyser.whole_of(context.entities, subject)
            if subject:
                remember(context, q, subject, self.analyser.specificity, whole=whole,
                         earlier=_asked_under(q, context.entities, subject))
        return answer

    def analyse(self, question: str, context: Context | None = None) -> Question:
        return self.analyser.analyse(clean(question), context)

    def rank(self, question: str, context: Context | None = None, *, limit: int = 8) -> list[Scored]:
        return self.scorer.rank(self.analyse(question, context), limit=limit)

    def _answer(self, q: Question) -> Answer:
        decision = self._decide(q)
        if decision.picks:
            return self.composer.answer(q, decision.picks, decision.confidence, decision.support)
        return self.composer.fallback(q, decision.ranked, decision.confidence)

    def _decide(self, q: Question) -> Decision:
        """Which units answer (one per entity asked), with the close runners-up that support them."""
        if q.unknown_number or (q.ambiguous and not q.names):
            return Decision()
        ranked = self.scorer.rank(q)
        if q.listed and len(q.entries) > 1:
            several = self._several(q, ranked)
            if several is not None:
                return several
        confidence = self._confidence(q, ranked)
        if not ranked:
            return Decision(confidence=confidence)
        return self._best(q, ranked, confidence)

    def _several(self, q: Question, ranked: list[Scored]) -> Decision | None:
        """One pick per listed entity when more than one of them is answered with confidence, else None."""
        sure: list[tuple[Scored, float]] = []
        for e in q.entries[:MAX_ENTITIES]:
            own = self.scorer.rank(q, only=e)
            if not own:
                continue
            top, own_confidence = own[0], self._confidence(q, own)
            # As in _best, a known gap of the entity asked about is said without confidence: "where are
            # the NCIA and MARCOM based?" must not become an answer about MARCOM alone. Not for a name
            # everyone uses ("what does NATO say vs the encyclopedia" names a source, not a subject).
            gap = (not self.index.units[top.index].unit.answers and top.entry == e
                   and self.index.specificity.get(e, 1.0) >= SHARED_NAME)
            if own_confidence >= self.threshold or gap:
                sure.append((top, own_confidence))
        if len(sure) > 1:
            # As sure as its least sure part.
            return Decision(picks=[s for s, _ in sure], ranked=ranked, confidence=min(c for _, c in sure))
        return None

    def _best(self, q: Question, ranked: list[Scored], confidence: float) -> Decision:
        top = ranked[0]
        unit = self.index.units[top.index].unit
        if not unit.answers and (confidence >= self.threshold or unit.entry in q.entries):
            # "The sources do not name ..." about the entity asked after: a decline, so no confidence
            # is needed to say it; it tells the asker more than "I don't know".
            return Decision(picks=[top], ranked=ranked, confidence=confidence)
        if confidence >= self.threshold:
            pick, support = best_first(q, top, self._support(top, ranked))
            return Decision(picks=[pick], support=support, ranked=ranked, confidence=confidence)
        return Decision(ranked=ranked, confidence=confidence)

    def _confidence(self, q: Question, ranked: list[Scored]) -> float:
        # Rounded once, here, so that the figure shown is the figure the threshold was compared with.
        return round(self.memory.lift(q, ranked, self.scorer.confidence(q, ranked)), 4)

    @property
    def threshold(self) -> float:
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        """Settable so `natobot eval` can sweep it; which suggestions answer depends on it."""
        self._threshold = value
        self._suggestion.cache_clear()

    def _support(self, top: Scored, ranked: list[Scored]) -> list[Scored]:
        """Close runners-up that give a fact and say something the best one does not (ranking.supporting)."""
        shown = {self.index.units[top.index].unit.reply()}
        out = []
        for s in supporting(ranked):
            unit = self.index.units[s.index].unit
            if unit.answers and unit.text not in " ".join(shown) and unit.reply() not in shown:
                out.append(s)
                shown.add(unit.reply())
        return out

    # -- what the app says about itself (knowledge/data/presentation.yaml) -----------------
    @property
    def presentation(self) -> Presentation:
        return self.kb.presentation or Presentation(help=_PLAIN_HELP, default_suggestions=_PLAIN_SUGGESTIONS)

    @property
    def help_text(self) -> str:
        """The help, naming every source document: a document added to documents.yaml shows up here."""
        names = [d.short or d.title for d in self.kb.documents.values()]
        return self.presentation.help.format(documents="; ".join(names))

    @property
    def default_suggestions(self) -> list[str]:
        return list(self.presentation.default_suggestions)

    # -- lookups -----------------------------------------------------------------------
    def entry_answer(self, entry_id: str, question: str | None = None) -> Answer:
        """The card for one entry, as `/nato lookup` shows it: its overview."""
        entry = self.kb.entries[entry_id]
        q = self.analyse(question or entry.title)
        overview = [i for i in self.index.about.get(entry_id, []) if self.index.units[i].unit.aspect == "overview"]
        if not overview:
            return self.composer.no_data(q, entry_id, 1.0)
        return self.composer.answer(q, [Scored(overview[0], 1.0, ())], 1.0)

    def lookup(self, term: str) -> Answer:
        """Resolve a term to one entry card, or a fallback with suggestions."""
        term = term[:MAX_QUESTION_CHARS]
        q = self.analyse(term)
        if q.names:
            return self.entry_answer(q.names[0].entry, term)
        return self.ask(term)

    # -- suggestions -------------------------------------------------------------------
    def suggestion(self, entry_id: str) -> str | None:
        return self._suggestion(entry_id)

    def forget_suggestions(self) -> None:
        """Empty the per-entry suggestion memo (the benchmark starts each round without it)."""
        self._suggestion.cache_clear()

    def _suggestion_uncached(self, entry_id: str) -> str | None:
        """A question about the entry that the engine answers confidently, with that entry."""
        entry = self.kb.entries[entry_id]
        title = entry.title.split(" (")[0]
        for candidate in [*entry.questions, f"What is the {title}?", f"What is {title}?"]:
            decision = self._decide(self.analyser.analyse(clean(candidate)))
            if len(decision.picks) == 1:
                unit = self.index.units[decision.picks[0].index].unit
                if unit.entry == entry_id and unit.answers:
                    return candidate
        return None

    # -- what needs no matching ----------------------------------------------------------
    def _special(self, question: str, text: str, pairs: list[tuple[str, str]]) -> Answer | None:
        text = text.strip()
        if not text:
            return self._social(question, "invalid", "Ask me something", "That message was empty. " + self.help_text)
        if len(text) > MAX_QUESTION_CHARS:
            return self._too_long(question, len(text))
        words = [low for low, _ in pairs]
        if not words:
            return self._social(question, "invalid", "Ask me something",
                                "I could not find any words in that message. " + self.help_text)
        if not any(_LATIN.search(w) for w in words):
            # Nothing in it can match an English source; in a conversation the model would otherwise read
            # it as a bare follow-up about the subject ("北约是什么？" after "what is the IMS?" scored 0.83).
            return self._social(question, "invalid", "English, please",
                                "I can only read questions in English, the language of my sources. " + self.help_text)
        # A word typed in capitals names something ("how will the US help?" is about the United States,
        # not a call for help), as the lexicon's ordinary-word names are read.
        reply = None if any(len(raw) > 1 and raw.isupper() for _, raw in pairs) else self._chat_reply(words)
        if reply is not None:
            return self._social(question, "greeting", "natobot", reply)
        return None

    def _chat_reply(self, words: list[str]) -> str | None:
        """The reply to a short message that is only greeting, thanks or a call for help; None otherwise."""
        if not _only_chat(words, self.catalogue.lexicon.framing) or _asks_again(words):
            return None
        if any(w in _THANKS for w in words):
            return "You're welcome."
        if any(w in _GREETINGS for w in words):
            return "Hello! " + self.help_text
        return self.help_text

    def _too_long(self, question: str, length: int) -> Answer:
        return self._social(question[:200], "invalid", "That is too long", f"That message is {length:,} characters "
                            f"long; please ask one question of at most {MAX_QUESTION_CHARS:,} characters.")

    def _social(self, question: str, status: Status, title: str, text: str) -> Answer:
        return new_answer(question=question, status=status,
                      answered=False, title=title, text=text, suggestions=self.default_suggestions)
