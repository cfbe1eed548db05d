"""Two questions in one message ("who heads the IMS and where is it based?"): where to split it, and the
one answer that holds both replies.

The engine answers each clause as a turn of its own, the second with the first's subject (so "it" is the
IMS), and keeps the split when every clause is at least as sure as the fitted threshold; otherwise it reads
the message whole, as before (engine._several_questions). Read whole, such a message got the reply to one
of its questions: the fact asked by the other was missing from a confident answer. The combined reply is
as sure as its least sure clause; under a stricter threshold than the fitted one (`natobot eval` sweeps
them) it gives what it can, says which question it could not answer, and is not counted as answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.answering.answer import Answer, Source, new_answer
from bot.answering.question import Question

# A clause starts with a question word, or the verb that opens a yes/no question, after "and", a semicolon
# or a question mark: "... and where is it based?", "...; who leads it?", "... ? when was it set up", "...
# and does it run around the clock?". "and" before anything else joins names or nouns ("MARCOM and
# LANDCOM"), which the engine reads as one question about several entries; so does "and" before such a
# verb unless a subject follows it ("the IMS and IS staff" is one question).
_BOUNDARY = re.compile(
    r"(?:,?\s+and\s+|\s*;\s*|\?\s+)"
    r"(?=(?:who|whos|what|whats|where|wheres|when|which|how|why)\b"
    r"|(?:does|do|did|is|are|was|were|can|has)\s+(?:it|they|there|the|that|this|he|she)\b)",
    re.I,
)
# More clauses than this is not two questions in one but a paragraph: read it whole.
MAX_CLAUSES = 3
# A clause needs this many words to stand alone: "when and where was it signed?" is one question, and
# "... right? what exactly" or "... and what else?" only ask the first again.
MIN_CLAUSE_WORDS = 3
# A question word fused with "is" is two words: "where's MARCOM" (or "wheres MARCOM") stands alone as
# "where is MARCOM" does.
_FUSED = re.compile(r"(?:who|what|wat|where|when|how)['’]?s", re.I)


def split(text: str) -> list[str]:
    """The clauses of a message that asks several questions, or [] when it asks one."""
    parts = [p.strip(" ,;?") for p in _BOUNDARY.split(text)]
    if len(parts) < 2 or len(parts) > MAX_CLAUSES or any(_words(p) < MIN_CLAUSE_WORDS for p in parts):
        return []
    return parts


# "what are the principles and the challenges of X?" asks two things of X: "the principles of X" and "the
# challenges of X". Read whole, it got the one whose words weigh more, confidently, and the other was
# missing. Only right after the question word (and its verb and article), each side one or two words, and
# only before "of", "in" or "for" and what it applies to; the engine keeps the split only when neither side
# is part of a name ("the Plans and Policy Division of the IMS") and each part is answered with confidence.
# (Case-blind only where it must be: compiled with re.I this costs a millisecond more of `natobot ask`.)
_COORDINATED = re.compile(
    r"^(?P<head>(?:.*?\b)?(?i:what|whats|what's|wat|which)(?:\s+(?i:are|is|were|was))?(?:\s+(?i:the|its|their))?\s+)"
    r"(?P<a>[a-zA-Z][\w-]*(?:\s+[a-zA-Z][\w-]*)?)\s+(?i:and|&)\s+(?:(?i:the|its|their)\s+)?"
    r"(?P<b>[a-zA-Z][\w-]*(?:\s+[a-zA-Z][\w-]*)?)\s+(?P<rest>(?i:of|in|for)\s+.+?)[\s?.!]*$",
)
# Words that relate the two sides instead of asking for each ("the difference between A and B of X"), and an
# "and" before them, where the message already joins two questions ("who heads it and what are the A and B").
_RELATING = frozenset({"between", "both", "either", "difference", "diff", "relationship", "link", "and"})


def distribute(text: str, read: Callable[[str], Question] | None = None) -> list[str]:
    """The two questions a coordinated "the A and the B of X" asks, or []. With `read` (the analyser), not
    when the message has a name with "and" in it: "what is the Plans and Policy Division of the IMS for?"
    asks one thing."""
    m = _COORDINATED.match(text)
    if m is None:
        return []
    head, a, b, rest = m["head"], m["a"], m["b"], m["rest"]
    if not _RELATING.isdisjoint(w.lower() for w in (*a.split(), *b.split(), *head.split())):
        return []
    if read is not None and any("and" in q.words[n.start:n.end] for q in [read(text)] for n in q.names):
        return []
    return [f"{head}{a} {rest}", f"{head}{b} {rest}"]


def _words(clause: str) -> int:
    words = clause.split()
    return len(words) + sum(1 for w in words if _FUSED.fullmatch(w))


_ORDINALS = ("first", "second", "third")


def combine(question: str, answers: list[Answer]) -> Answer:
    """One answer holding each clause's reply in turn, as sure as its least sure part."""
    confidence = min(a.confidence for a in answers)
    declined = [i for i, a in enumerate(answers) if not a.answered]
    if len(declined) == len(answers):
        return answers[0].model_copy(update={"question": question, "confidence": confidence})
    if declined:
        return _partly(question, answers, declined, confidence)
    first = answers[0]
    sources: dict[str, Source] = {}
    for a in answers:
        for s in a.sources:
            sources.setdefault(s.label(), s)
    return new_answer(
        question=question, status="answer", answered=True,
        title=" / ".join(dict.fromkeys(a.title for a in answers)),
        # Two clauses can find the same statements ("how many civilians ... and how big is the staff"): once.
        text="\n\n".join(dict.fromkeys(para for a in answers for para in a.text.split("\n\n"))),
        parts=list({(p.entry, p.text): p for a in answers for p in a.parts}.values()),
        sources=list(sources.values()), related=first.related,
        confidence=confidence, intent=first.intent, facet=first.facet,
        entry=first.entry, entities=list(dict.fromkeys(e for a in answers for e in a.entities)),
    )


def _partly(question: str, answers: list[Answer], declined: list[int], confidence: float) -> Answer:
    """Some clauses answered, some not: what is known, then which question is not answered. Declined
    (answered false) because the reply does not give every fact asked; suggestions from the unanswered."""
    done = [a for a in answers if a.answered]
    missing = " and the ".join(_ORDINALS[i] for i in declined)
    whole = combine(question, done)
    text = f"{whole.text}\n\nI could not answer the {missing} question with confidence from the sources."
    return whole.model_copy(update={
        "status": "no-data", "answered": False, "text": text, "confidence": confidence,
        "parts": [p.model_copy(update={"answered": False}) for p in whole.parts],
        "suggestions": answers[declined[0]].suggestions,
    })
