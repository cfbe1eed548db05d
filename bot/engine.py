"""The Python API: load once, then `ask` questions with an optional conversation context."""

from __future__ import annotations

from pathlib import Path

from bot import catalogue as catalogue_mod
from bot.answer import Answer
from bot.compose import DEFAULT_SUGGESTIONS, Composer
from bot.matcher import Context, Match, Matcher
from bot.words import FILLER, PRONOUNS, STOPWORDS
from knowledge import loader
from knowledge.text import clean, printable, tokens_with_case

# Longer input is not a question; it gets a short answer instead of a slow match.
MAX_QUESTION_CHARS = 1000

_GREETINGS = frozenset({"hello", "hi", "hey", "hiya", "yo", "morning", "afternoon", "evening", "good"})
_THANKS = frozenset({"thanks", "thank", "thx", "ty", "cheers"})
_HELP = frozenset({"help", "usage", "commands", "how", "use", "what", "can", "do", "you", "who", "are"})

HELP_TEXT = (
    "I answer questions about NATO's International Military Staff, the NATO command structure, "
    "defence policy alignment across NATO commands, and the U.S. Mission to NATO's Integrated Mission "
    "Strategy. Ask things like \"who heads the IMS?\", \"where is JFC Brunssum?\" or \"objective 2.2\"."
)


class Engine:
    def __init__(self, kb: loader.KnowledgeBase) -> None:
        self.kb = kb
        self.catalogue = catalogue_mod.build(kb)
        self.matcher = Matcher(self.catalogue)
        self.composer = Composer(self.catalogue)

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Engine:
        """Load and check the knowledge base; any problem stops start-up with a KnowledgeError."""
        kb = loader.load(data_dir)
        first = next(iter(loader.problems(kb)), None)
        if first is not None:
            raise loader.KnowledgeError(first)
        return cls(kb)

    def ask(self, question: str, context: Context | None = None) -> Answer:
        """Answer one question; updates `context` in place when it names a subject."""
        question = printable(question)
        special, pairs = self._special(question, context)
        if special is not None:
            return special
        match = self.matcher.match(question, context, pairs=pairs)
        answer = self.composer.answer(question, match)
        if context is not None and match.entries and answer.status in ("answer", "no-data"):
            context.entities = list(match.entries)
            context.intent = match.intent
            context.facet = match.facet
        return answer

    def match(self, question: str, context: Context | None = None) -> Match:
        return self.matcher.match(question, context)

    def entry_answer(self, entry_id: str, question: str | None = None) -> Answer:
        """The card for one entry, as `/nato lookup` shows it."""
        entry = self.kb.entries[entry_id]
        match = Match(entries=(entry_id,), intent="what_is", facet=None, confidence=1.0, entities=(entry_id,))
        return self.composer.answer(question or entry.title, match)

    def lookup(self, term: str) -> Answer:
        """Resolve a term to one entry card (no facet), or a fallback with suggestions."""
        match = self.matcher.match(term)
        if match.entries and match.confidence >= self.composer.threshold:
            return self.entry_answer(match.entries[0], term)
        return self.composer.answer(term, match)

    def _special(
        self, question: str, context: Context | None = None,
    ) -> tuple[Answer | None, list[tuple[str, str]] | None]:
        """An answer that needs no matching (empty, too long, greeting), else the question's tokens
        for the matcher: tokenising is a third of the time of an answer, so it is done once."""
        text = clean(question).strip()
        if not text:
            return Answer(question=question, status="invalid", answered=False, title="Ask me something",
                          text="That message was empty. " + HELP_TEXT, suggestions=list(DEFAULT_SUGGESTIONS)), None
        if len(text) > MAX_QUESTION_CHARS:
            return Answer(
                question=question[:200], status="invalid", answered=False, title="That is too long",
                text=f"That message is {len(text):,} characters long; please ask one question of at most "
                f"{MAX_QUESTION_CHARS:,} characters.",
                suggestions=list(DEFAULT_SUGGESTIONS),
            ), None
        pairs = tokens_with_case(text)
        words = [low for low, _ in pairs]
        if not words:
            return Answer(question=question, status="invalid", answered=False, title="Ask me something",
                          text="I could not find any words in that message. " + HELP_TEXT,
                          suggestions=list(DEFAULT_SUGGESTIONS)), None
        if context is not None and context.entities and any(w in PRONOUNS for w in words):
            return None, pairs
        only_chat = all(w in FILLER or w in STOPWORDS or w in _GREETINGS or w in _HELP for w in words)
        chatty = any(w in _GREETINGS or w in _THANKS or w in {"help", "usage"} for w in words)
        if only_chat and chatty and len(words) <= 8:
            if any(w in _THANKS for w in words):
                reply = "You're welcome."
            elif any(w in _GREETINGS for w in words):
                reply = "Hello! " + HELP_TEXT
            else:
                reply = HELP_TEXT
            return Answer(question=question, status="greeting", answered=False, title="natobot",
                          text=reply, suggestions=list(DEFAULT_SUGGESTIONS)), None
        return None, pairs
