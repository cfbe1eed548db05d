"""Build the `Answer`: the sentence that answers first, then its context, caveat and sources.

Also the honest replies: "the sources do not say" for a known entity whose asked fact is missing, and
a fallback whose suggestions come from the question's own words and are themselves answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.answering.answer import Answer, AnswerField, Part, Source, Status, new_answer, new_field, new_part, new_source
from bot.answering.index import UnitIndex
from bot.answering.question import Question
from bot.answering.ranking import Scored
from bot.answering.units import Unit, plain_name
from knowledge.models import Citation, Entry

MAX_SUGGESTIONS = 3
MAX_RELATED = 3

ASPECT_LABEL = {
    "head": "who heads it", "role": "what it does", "location": "where it is", "size": "size and staff",
    "parent": "what it is part of", "components": "what it consists of", "members": "members",
    "founded": "when it was set up", "motto": "motto", "description": "description",
    "justification": "justification", "linkages": "linkages", "risks": "risks", "name": "what it stands for",
}

# What "the sources do not say ..." names, per facet asked.
_MISSING = {
    "head": "who heads the {t}", "role": "what the {t} does", "location": "where the {t} is",
    "size": "how big the {t} is", "parent": "what the {t} is part of", "components": "what the {t} consists of",
    "members": "who the members of the {t} are", "founded": "when the {t} was set up",
    "motto": "the {t}'s motto", "description": "more about the {t}", "justification": "why the {t} matters",
    "linkages": "what the {t} links to", "risks": "the risks of the {t}",
}
# Which of an entry's fields bear on which facet; an overview shows them all.
_FIELDS_FOR = {
    "location": ("Location",), "head": ("Head", "Commander", "Director General", "Chairman"),
    "size": ("Staff", "Size", "Personnel", "Divisions"), "founded": ("Active", "Founded", "Established"),
    "parent": ("Part of", "Level"),
}
MAX_OVERVIEW_FIELDS = 6

class Composer:
    def __init__(
        self, index: UnitIndex, suggestion: Callable[[str], str | None], *, defaults: Sequence[str],
    ) -> None:
        self.index = index
        # Offered when nothing in the question points anywhere (knowledge/data/presentation.yaml).
        self.defaults = list(defaults)
        self.kb = index.cat.kb
        # Entry id -> a question about it that is itself answered confidently (checked by the engine).
        self.suggestion = suggestion

    def sources(self, citations: list[Citation]) -> list[Source]:
        out: list[Source] = []
        for c in dict.fromkeys(citations):
            doc = self.kb.documents[c.doc]
            out.append(new_source(doc=c.doc, title=doc.title, date=doc.date, section=c.section,
                              short=doc.short, url=doc.url))
        return out

    def part(self, unit: Unit) -> Part:
        entry = self.kb.entries[unit.entry]
        return new_part(
            entry=entry.id, title=entry.title, text=unit.reply(), fields=self._fields(entry, unit.aspect),
            caveat=unit.caveat, answered=unit.answers,
        )

    @staticmethod
    def _fields(entry: Entry, aspect: str) -> list[AnswerField]:
        if aspect == "overview":
            items = list(entry.fields.items())[:MAX_OVERVIEW_FIELDS]
        else:
            wanted = _FIELDS_FOR.get(aspect, ())
            items = [(k, v) for k, v in entry.fields.items() if k in wanted]
        return [new_field(label=k, value=v) for k, v in items]

    def _units(self, scored: list[Scored]) -> list[Unit]:
        return [self.index.units[s.index].unit for s in scored]

    def answer(
        self, q: Question, picks: list[Scored], confidence: float, support: list[Scored] | None = None,
    ) -> Answer:
        units = self._units(picks)
        extra = self._units(support or [])
        parts = [self.part(u) for u in units]
        citations = [c for u in [*units, *extra] for c in u.citations]
        # Several entities asked: a reply that gives one's fact but says the sources omit another's does not
        # give the fact asked, so it is not flagged answered (as a message of two questions is not, clauses.py).
        answered = all(p.answered for p in parts)
        first = units[0]
        entry = self.kb.entries[first.entry]
        if len(parts) == 1:
            title, text = _one(entry, first, parts[0], extra)
        else:
            title = " / ".join(p.title for p in parts)
            text = "\n\n".join(f"{p.title}: {p.text}{_note(p.caveat)}" for p in parts)
        return new_answer(
            question=q.text, status="answer" if answered else "no-data", answered=answered, title=title,
            text=text, parts=parts, sources=self.sources(citations), related=self.related(entry, q.text),
            suggestions=[] if answered else self._suggest([first.entry], q.text),
            confidence=confidence, intent=q.intent,
            facet=first.aspect if first.aspect in ASPECT_LABEL else None, entry=entry.id,
            entities=[u.entry for u in units],
        )

    def no_data(self, q: Question, entry_id: str, confidence: float) -> Answer:
        """A known entity, but nothing in the sources answers what was asked about it."""
        entry = self.kb.entries[entry_id]
        name = plain_name(entry)
        asked = _MISSING.get(q.facet or "", "that").format(t=name)
        overview = next((iu.unit for iu in (self.index.units[i] for i in self.index.about.get(entry_id, []))
                         if iu.unit.aspect == "overview"), None)
        said = overview.text if overview else entry.short
        text = f"The sources do not say {asked}. What they do say about the {name}: {said}"
        return new_answer(
            question=q.text, status="no-data", answered=False, title=entry.title, text=text,
            parts=[new_part(entry=entry.id, title=entry.title, text=text, answered=False)],
            sources=self.sources(list(overview.citations) if overview else list(entry.sources)),
            related=self.related(entry, q.text), suggestions=self._suggest([entry_id], q.text),
            confidence=confidence, intent=q.intent, facet=q.facet, entry=entry.id, entities=[entry.id],
        )

    def fallback(self, q: Question, ranked: list[Scored], confidence: float) -> Answer:
        if q.unknown_number:
            goals = sorted(n for (k, n) in self.index.cat.numbered if k == "goal")
            objectives = sorted(n for (k, n) in self.index.cat.numbered if k == "objective")
            management = sorted(n for (k, n) in self.index.cat.numbered if k == "management")
            text = (
                f"There is no {q.unknown_number} in the Integrated Mission Strategy: it has Mission Goals "
                f"{', '.join(goals)}, Mission Objectives {', '.join(objectives)} and Management Objectives "
                f"{', '.join(management)}."
            )
            return self._declined(q, "fallback", "I don't know that one", text, confidence,
                                  self._suggest(["mission-objectives", "management-objectives", "mission-goals"], ""))
        if q.ambiguous and not q.names:
            titles = [self.kb.entries[e].title for e in q.ambiguous]
            text = "That could mean several things: " + "; ".join(titles) + ". Which one do you mean?"
            return self._declined(q, "ambiguous", "Which one do you mean?", text, confidence,
                                  self._suggest(list(q.ambiguous), "", limit=len(q.ambiguous)))
        text = (
            "I don't know that one: the four documents I answer from (NATO's page on the IMS, an encyclopedia "
            "article on the IMS and the NATO command structure, an article on defence policy alignment, and "
            "the U.S. Mission to NATO's Integrated Mission Strategy) do not answer it with confidence."
        )
        near = [u.entry for u in self._units(ranked)]
        return self._declined(q, "fallback", "I don't know that one", text, confidence, self._suggest(near, q.text))

    def _declined(
        self, q: Question, status: Status, title: str, text: str, confidence: float, suggestions: list[str],
    ) -> Answer:
        return new_answer(
            question=q.text, status=status,
            answered=False, title=title, text=text, suggestions=suggestions, confidence=round(confidence, 4),
            intent=q.intent, facet=q.facet, entry=None, entities=q.entries,
        )

    def _suggest(self, entry_ids: list[str], asked: str, *, limit: int = MAX_SUGGESTIONS) -> list[str]:
        out: list[str] = []
        asked_key = " ".join(asked.lower().split())
        for e in dict.fromkeys(entry_ids):
            s = self.suggestion(e) if e in self.kb.entries else None
            if s and " ".join(s.lower().split()) != asked_key and s not in out:
                out.append(s)
            if len(out) == limit:
                break
        return out or list(self.defaults)

    def related(self, entry: Entry, asked: str) -> list[str]:
        near = [t for kind in ("part_of", "related", "headed_by") for t in entry.relations.get(kind, [])]
        found = self._suggest(near, asked, limit=MAX_RELATED)
        return [] if found == self.defaults and not near else found


def _one(entry: Entry, unit: Unit, part: Part, extra: list[Unit]) -> tuple[str, str]:
    """The title and text of a reply from one unit, followed by the runners-up that support it."""
    label = ASPECT_LABEL.get(unit.aspect)
    title = f"{entry.title}: {label}" if label and unit.aspect != "overview" else entry.title
    text = part.text + _note(part.caveat)
    if extra:
        # The ranking could not tell these apart from the answer: they follow it, marked as such.
        text += "\n\nAlso: " + " ".join(u.text for u in extra)
        notes = [u.caveat for u in extra if u.caveat and u.caveat != part.caveat]
        text += "".join(f"\nNote: {n}" for n in dict.fromkeys(notes))
    return title, text


def _note(caveat: str | None) -> str:
    return f"\nNote: {caveat}" if caveat else ""
