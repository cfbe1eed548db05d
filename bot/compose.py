"""Turn a Match into an Answer: pick the facet text, or say honestly what the sources lack."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.answer import Answer, AnswerField, Part, Source
from bot.catalogue import Catalogue, name_key
from bot.matcher import Match
from knowledge.models import Citation, Entry, Facet

# Below this confidence natobot says it does not know instead of answering. Chosen from the
# threshold sweep in the `natobot eval` report (docs/benchmarks.md): the best overall accuracy on
# the dev set (94.5%, reached from 0.56 to 0.64); among those, the fewest confidently wrong answers
# (1.9%), then the lowest value. Below 0.56 out-of-scope questions start to get answers.
CONFIDENCE_THRESHOLD = 0.6
# Suggestions offered on a fallback: at most this many, each at least this similar (WRatio).
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 50.0
MAX_RELATED = 3

_FACET_LABEL: dict[Facet, str] = {
    "head": "who heads it", "role": "what it does", "location": "where it is", "size": "size and staff",
    "parent": "what it is part of", "components": "what it consists of", "members": "members",
    "founded": "when it was set up", "motto": "motto", "description": "description",
    "justification": "justification", "linkages": "linkages", "risks": "risks",
}

_TOPIC_KINDS = frozenset({"list", "fact", "theme", "document"})

DEFAULT_SUGGESTIONS = (
    "What is the International Military Staff?",
    "What is the NATO command structure?",
    "What are the U.S. Mission to NATO's mission goals?",
)

_FACET_PHRASE: dict[Facet, str] = {
    "head": "who heads the {t}",
    "role": "what the {t} does",
    "location": "where the {t} is located",
    "size": "how big the {t} is or how many staff it has",
    "parent": "what the {t} is part of",
    "components": "what the {t} consists of",
    "members": "who the members of the {t} are",
    "founded": "when the {t} was set up",
    "motto": "what the motto of the {t} is",
    "description": "more about the {t}",
    "justification": "what the justification of the {t} is",
    "linkages": "what the {t} links to",
    "risks": "what risks the {t} faces",
}


class Composer:
    def __init__(self, catalogue: Catalogue, *, threshold: float = CONFIDENCE_THRESHOLD) -> None:
        self.cat = catalogue
        self.kb = catalogue.kb
        # An attribute, not only the constant, so `natobot eval` can sweep it for its report.
        self.threshold = threshold
        # Names processed once: letting rapidfuzz process every name on each fallback made
        # out-of-scope questions 20 times dearer than answered ones under load.
        self._name_keys = [name_key(item) for item in catalogue.names]
        self._name_ids = [entry_id for _, entry_id in catalogue.names]

    # -- sources -------------------------------------------------------------------
    def sources(self, citations: list[Citation]) -> list[Source]:
        out: list[Source] = []
        for c in dict.fromkeys(citations):
            doc = self.kb.documents[c.doc]
            out.append(Source(doc=c.doc, title=doc.title, date=doc.date, section=c.section))
        return out

    # -- one entry -------------------------------------------------------------------
    def part(self, entry: Entry, facet: Facet | None, intent: str | None) -> tuple[Part, list[Citation]]:
        fields = [AnswerField(label=k, value=v) for k, v in entry.fields.items()]
        if intent == "stands_for":
            text = f"{entry.title}. {entry.short}"
            return Part(entry=entry.id, title=entry.title, text=text, fields=fields), list(entry.sources)
        ft = entry.facets.get(facet) if facet else None
        soft = intent == "who_is" and (entry.kind != "position" or ft is None or not ft.answers)
        if facet is None or soft:
            # "who is the HR/VP?" is answered by what the post is when no holder is named.
            return self._whole(entry, fields), list(entry.sources)
        if ft is not None:
            part = Part(entry=entry.id, title=entry.title, text=ft.text, fields=fields, caveat=ft.caveat,
                        answered=ft.answers)
            return part, entry.facet_sources(facet)
        derived = self._derived(entry, facet)
        if derived is not None:
            return Part(entry=entry.id, title=entry.title, text=derived, fields=fields,
                        caveat=entry.caveat), list(entry.sources)
        if facet == "role" or (entry.kind in _TOPIC_KINDS and facet not in ("head", "size", "location")):
            # A body's overview says what it does; a topic's overview (a list, a fact, a theme) is
            # the answer to "when", "which" or "what" about it.
            return self._whole(entry, fields), list(entry.sources)
        phrase = _FACET_PHRASE[facet]
        if facet == "head" and entry.kind == "position":
            phrase = "who holds the post of {t}"
        text = (
            f"The sources do not say {phrase.format(t=entry.title)}. "
            f"What they do say: {entry.short}"
        )
        return Part(entry=entry.id, title=entry.title, text=text, fields=fields, answered=False), list(entry.sources)

    def _whole(self, entry: Entry, fields: list[AnswerField]) -> Part:
        return Part(entry=entry.id, title=entry.title, text=entry.answer, fields=fields, caveat=entry.caveat)

    def _derived(self, entry: Entry, facet: Facet) -> str | None:
        """Answers the relations and fields already hold, so no entry has to repeat them."""
        rel = entry.relations
        if facet == "head" and rel.get("headed_by"):
            heads = ", ".join(self.kb.entries[h].title for h in rel["headed_by"])
            return f"The {entry.title} is headed by the {heads}."
        if facet == "location" and "Location" in entry.fields:
            return f"The {entry.title} is located in {entry.fields['Location']}."
        if facet == "parent" and rel.get("part_of"):
            parents = ", ".join(self.kb.entries[p].title for p in rel["part_of"])
            return f"The {entry.title} is part of the {parents}."
        if facet == "components":
            children = self.kb.children(entry.id)
            if children:
                names = "; ".join(c.title for c in children)
                return f"The {entry.title} comprises: {names}."
        return None

    # -- whole answers ---------------------------------------------------------------
    def answer(self, question: str, match: Match) -> Answer:
        if not match.entries:
            return self.fallback(question, match)
        parts: list[Part] = []
        citations: list[Citation] = []
        for entry_id in match.entries:
            part, cites = self.part(self.kb.entries[entry_id], match.facet, match.intent)
            parts.append(part)
            citations += cites
        if match.confidence < self.threshold:
            return self.fallback(question, match, guess=parts[0].entry)
        answered = any(p.answered for p in parts)
        first = self.kb.entries[match.entries[0]]
        if len(parts) == 1:
            title = first.title if match.facet is None else f"{first.title}: {_FACET_LABEL[match.facet]}"
            text = parts[0].text + (f"\nNote: {parts[0].caveat}" if parts[0].caveat else "")
        else:
            title = " / ".join(p.title for p in parts)
            text = "\n\n".join(
                f"{p.title}: {p.text}" + (f"\nNote: {p.caveat}" if p.caveat else "") for p in parts
            )
        return Answer(
            question=question,
            status="answer" if answered else "no-data",
            answered=answered,
            title=title,
            text=text,
            parts=parts,
            sources=self.sources(citations),
            related=self.related(first, match.facet),
            suggestions=[] if answered else self.related(first, None),
            confidence=match.confidence,
            intent=match.intent,
            facet=match.facet,
            entry=first.id,
            entities=list(match.entities or match.entries),
        )

    def fallback(self, question: str, match: Match, guess: str | None = None) -> Answer:
        if match.unknown_number:
            text = (
                f"There is no {match.unknown_number} in the Integrated Mission Strategy: it has Mission Goals "
                "1 to 4, Mission Objectives 1.1, 1.2, 2.1, 2.2, 3.1, 3.2, 3.3 and 4.1, and Management "
                "Objectives 1 to 3."
            )
            suggestions = ["What are the mission objectives?", "What are the management objectives?",
                           "What are the mission goals?"]
            status = "fallback"
        elif match.ambiguous:
            titles = [self.kb.entries[e].title for e in match.ambiguous]
            text = "That could mean several things: " + "; ".join(titles) + ". Which one do you mean?"
            suggestions = [self.ask_about(self.kb.entries[e]) for e in match.ambiguous][:MAX_SUGGESTIONS + 1]
            status = "ambiguous"
        else:
            text = (
                "I don't know that one: my sources (NATO's IMS page, an encyclopedia article on the IMS, "
                "an article on defence policy alignment and the U.S. Mission to NATO's Integrated Mission "
                "Strategy) do not answer it with confidence."
            )
            suggestions = self.suggest(question, guess)
            status = "fallback"
        return Answer(
            question=question, status=status, answered=False, title="I don't know that one",
            text=text, suggestions=suggestions, confidence=match.confidence, intent=match.intent,
            facet=match.facet, entry=None, entities=list(match.entities),
        )

    def suggest(self, question: str, guess: str | None = None) -> list[str]:
        picks: list[str] = [guess] if guess else []
        if question.strip():
            hits = process.extract(
                name_key(question[:300]), self._name_keys, scorer=fuzz.WRatio,
                processor=None,
                score_cutoff=SUGGESTION_CUTOFF, limit=12,
            )
            picks += [self._name_ids[index] for _, _, index in hits]
        ids = list(dict.fromkeys(picks))[:MAX_SUGGESTIONS]
        return [self.ask_about(self.kb.entries[e]) for e in ids] or list(DEFAULT_SUGGESTIONS)

    def related(self, entry: Entry, facet: Facet | None) -> list[str]:
        own = [q for q in entry.questions]
        # The first example question is usually the overview; skip it when that was just asked.
        if facet is None and own:
            own = own[1:]
        others = [
            self.ask_about(self.kb.entries[r])
            for kind in ("part_of", "related", "headed_by")
            for r in entry.relations.get(kind, [])
            if r in self.kb.entries
        ]
        return list(dict.fromkeys(own + others))[:MAX_RELATED]

    @staticmethod
    def ask_about(entry: Entry) -> str:
        return entry.questions[0] if entry.questions else f"What is the {entry.title}?"
