"""A question wrapped in asides: "when was ACT set up? fyi im writing a history thing", "fyi im new
here - who in the DG's office handles legal stuff?", "how many troops can the EU MPCC run, ballpark".

Read whole, the aside's words count as content the reply lacks ("writing", "history", "thing") and
sink a question that is answered with confidence on its own. The engine reads such a message again as
its question alone when, and only when, the whole reading is declined (engine._without_asides), so an
aside can only add an answer, never change one. Which segment is the question and which are asides
needs the analyser (a question word as read, "waht" and "whos" included; names; what is asked), so this
module only cuts the message; the engine decides.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.answering import asked

# Where a chat message breaks between a question and an aside: a question mark with more after it, a
# dash between spaces ("fyi im new - who ..."), a double dash, or a full stop after a word (not the
# "U.S." of "U.S. Mission").
_BREAK = re.compile(r"[?!]+\s+|\s+[-\u2013\u2014]+\s+|\s*--\s*|(?<![\s.][A-Za-z])(?<!^[A-Za-z])\.\s+|:\s+")
# Without such a break, a comma may end the question before a trailing aside ("..., ballpark",
# "..., need it rn"); a comma before the question ("in the org chart, what tier ...") often sets the
# scene the question needs, so only trailing ones count.
_COMMA = re.compile(r",\s+")
# Whatever _BREAK or _COMMA could cut at, and more: a cheap first look.
_MAYBE = re.compile(r"[?.,!:]\s|\s[-\u2013\u2014]|--")
_STRIP = " ?!.,;:-\u2013\u2014"
# A part asks when it opens with a question word (asked.QUESTION_WORDS) or the verb of a yes/no question,
# as the analyser reads it ("whos" -> "who is").
QUESTION_WORDS = asked.QUESTION_WORDS | frozenset("is are does do did can was were".split())
# Words besides the lexicon's `asks` by which an aside says what kind of answer is wanted.
NAMING = frozenset({"name", "number"})
# More segments than this is a paragraph, not a question with asides.
MAX_SEGMENTS = 3


class Cut(NamedTuple):
    parts: list[str]
    leading: bool  # cut at commas: only the first part may be the question


def cut(text: str) -> Cut | None:
    """The message cut where an aside may begin, or None when it is one piece (or a paragraph)."""
    if _MAYBE.search(text) is None:
        return None  # most questions: one search instead of two splits
    parts = _pieces(_BREAK.split(text))
    leading = len(parts) == 1
    if leading:
        parts = _pieces(_COMMA.split(text))
    return Cut(parts, leading) if 1 < len(parts) <= MAX_SEGMENTS else None


def _pieces(parts: list[str]) -> list[str]:
    return [p for p in (part.strip(_STRIP) for part in parts) if p]
