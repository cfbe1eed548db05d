"""Related questions worth a button: none that would repeat the answer just given.

The composer lists an entry's example questions and its neighbours' first questions; a third of the time one of
them is the very question asked, and half the time one gets the same answer (same entries, intent and facet).
`distinct_related` asks each candidate (an answer takes about 0.1 ms), keeps the ones that lead somewhere new and
tops the list up from the catalogue's other questions for the same entries and their neighbours.
Works over Engine and Answer only; nothing here knows Slack.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.answering.answer import Answer
from bot.answering.engine import Engine
from knowledge.text import normalise

# Buttons under an answer: three keep a card short and still offer a next step.
MAX_RELATED = 3
# Candidates tried before giving up on filling all the buttons (each costs one engine.ask).
MAX_TRIED = 12

Key = tuple[tuple[str, ...], str | None, str | None, str]
# A button is only worth offering if clicking it gets an answer (or an honest "the sources do not say").
_LEADS_SOMEWHERE = frozenset({"answer", "no-data"})


def _key(answer: Answer) -> Key:
    return tuple(sorted(answer.entities)), answer.intent, answer.facet, answer.status


class Related:
    """Per-engine memo of what each candidate question leads to (the catalogue is fixed once loaded)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._keys: dict[str, Key] = {}

    def key(self, question: str) -> Key:
        found = self._keys.get(question)
        if found is None:
            found = self._keys[question] = _key(self.engine.ask(question))
        return found

    def _candidates(self, answer: Answer) -> Iterator[str]:
        yield from answer.suggestions or answer.related
        if answer.status != "answer":
            return
        entries = self.engine.kb.entries
        for entry_id in answer.entities:
            entry = entries.get(entry_id)
            if entry is None:
                continue
            yield from entry.questions
            for kind in ("part_of", "related", "headed_by"):
                for other in entry.relations.get(kind, []):
                    if other in entries and entries[other].questions:
                        yield entries[other].questions[0]

    def distinct(self, answer: Answer, limit: int = MAX_RELATED) -> list[str]:
        """Up to `limit` questions, each leading to an answer other than `answer` and other than each other."""
        asked = normalise(answer.question)
        seen_keys = {_key(answer)} if answer.status == "answer" else set()
        seen_text = {asked}
        out: list[str] = []
        tried = 0
        for question in self._candidates(answer):
            text = normalise(question)
            if not text or text in seen_text:
                continue
            seen_text.add(text)
            if tried >= MAX_TRIED:
                break
            tried += 1
            key = self.key(question)
            if key[3] not in _LEADS_SOMEWHERE or key in seen_keys:
                continue
            seen_keys.add(key)
            out.append(question)
            if len(out) >= limit:
                break
        return out

    def apply(self, answer: Answer, limit: int = MAX_RELATED) -> Answer:
        """`answer` with its buttons' questions replaced by `distinct(answer)`."""
        questions = self.distinct(answer, limit)
        if answer.suggestions:
            return answer.model_copy(update={"suggestions": questions})
        return answer.model_copy(update={"related": questions})
