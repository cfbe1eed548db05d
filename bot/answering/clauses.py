"""Two questions in one message ("who heads the IMS and where is it based?"): where to split it, and the
one answer that holds both replies.

The engine answers each clause as a turn of its own, the second with the first's subject (so "it" is the
IMS), and uses the split only when every clause is answered; otherwise it reads the message whole, as
before. Read whole, such a message got the reply to one of its questions: the fact asked by the other was
missing from a confident answer.
"""

from __future__ import annotations

import re

from bot.answering.answer import Answer, Source

# A clause starts with a question word after "and", a semicolon or a question mark: "... and where is it
# based?", "...; who leads it?", "... ? when was it set up". "and" before anything else joins names or
# nouns ("MARCOM and LANDCOM"), which the engine reads as one question about several entries.
_BOUNDARY = re.compile(
    r"(?:,?\s+and\s+|\s*;\s*|\?\s+)(?=(?:who|whos|what|whats|where|wheres|when|which|how|why)\b)", re.I
)
# More clauses than this is not two questions in one but a paragraph: read it whole.
MAX_CLAUSES = 3
# A clause needs this many words to stand alone: "when and where was it signed?" is one question, and
# "... right? what exactly" or "... and what else?" only ask the first again.
MIN_CLAUSE_WORDS = 3


def split(text: str) -> list[str]:
    """The clauses of a message that asks several questions, or [] when it asks one."""
    parts = [p.strip(" ,;?") for p in _BOUNDARY.split(text)]
    if len(parts) < 2 or len(parts) > MAX_CLAUSES or any(len(p.split()) < MIN_CLAUSE_WORDS for p in parts):
        return []
    return parts


def combine(question: str, answers: list[Answer]) -> Answer:
    """One answer holding each clause's reply in turn, as sure as its least sure part."""
    first = answers[0]
    sources: dict[str, Source] = {}
    for a in answers:
        for s in a.sources:
            sources.setdefault(s.label(), s)
    return Answer(
        question=question, status="answer", answered=True,
        title=" / ".join(dict.fromkeys(a.title for a in answers)),
        # Two clauses can find the same statements ("how many civilians ... and how big is the staff"): once.
        text="\n\n".join(dict.fromkeys(para for a in answers for para in a.text.split("\n\n"))),
        parts=list({(p.entry, p.text): p for a in answers for p in a.parts}.values()),
        sources=list(sources.values()), related=first.related,
        confidence=min(a.confidence for a in answers), intent=first.intent, facet=first.facet,
        entry=first.entry, entities=list(dict.fromkeys(e for a in answers for e in a.entities)),
    )
