"""Which part of a message asks, once asides.py has cut it where an aside may begin.

"before I forget, where is MARCOM?", "risk under 3.2? (EOD is fine)", "follow-up from the meeting: what
forums do nations use?": read whole, the aside's words sink a question that is answered with confidence on
its own. The engine asks the part found here alone, and only when the whole message was declined
(engine._without_asides), so an aside can only add an answer, never change one.
"""

from __future__ import annotations

from bot.answering import asides
from bot.answering.analysis import Analyser
from bot.answering.question import Question
from bot.answering.words import PRONOUNS, STOPWORDS

# At most this many words before a comma are an acknowledgement, not a scene the question needs.
ACKNOWLEDGEMENT_WORDS = 2
# Words by which a part points to something said elsewhere ("is that in the article?"); not the possessives,
# which mostly point within their own part ("what forums do nations use to align their policies").
_POINTING = PRONOUNS - {"their", "theirs", "its", "his", "her"}


def framing_only(q: Question) -> bool:
    """Nothing named, no number, and every content word framing ("before I forget", "hello there")."""
    return not q.names and not q.numbers and all(w.framing for w in q.content)


class QuestionPart:
    def __init__(self, analyser: Analyser) -> None:
        self.analyser = analyser
        # Words by which an aside says what is asked ("need a name"), as concepts so that plurals count.
        self._asks = frozenset(map(analyser.concept, [*analyser.lex.asks, *asides.NAMING]))

    def find(self, cut: asides.Cut, *, conversation: bool) -> str | None:
        """The part that asks, when every other part only frames it; else the parts that are not framing
        through and through, asked together ("FC and LO - what do they cover? (sorry for the basic q)");
        None when nothing can be left out."""
        read = [self.analyser.analyse(part) for part in cut.parts]
        one = self._one(cut, read, conversation=conversation)
        if one is not None:
            return one
        kept = [part for part, q in zip(cut.parts, read, strict=True) if not framing_only(q)]
        return " - ".join(kept) if 0 < len(kept) < len(read) else None

    def _one(self, cut: asides.Cut, read: list[Question], *, conversation: bool) -> str | None:
        """The one part that asks; a part that points elsewhere ("is that in the article?") does not stand
        alone outside a conversation."""
        asking = self._asking(read)
        if len(asking) != 1:
            return None
        k = asking[0]
        # A comma before the question often sets the scene it needs ("in the org chart, what tier ..."), but
        # not a word or two of acknowledgement ("awesome, where is it?", "ok great, who leads it?").
        if cut.leading and k != 0 and not all(self.acknowledges(q) for q in read[:k]):
            return None
        if not all(self.only_frames(q) for i, q in enumerate(read) if i != k):
            return None
        if not conversation and not _POINTING.isdisjoint(read[k].words):
            return None
        return cut.parts[k]

    def _asking(self, read: list[Question]) -> list[int]:
        """The parts that may be the question."""
        asking = [i for i, q in enumerate(read) if self.opens_with_question(q)]
        if len(asking) > 1:  # "(EOD is fine)" opens like a question and asks nothing
            asking = [i for i in asking if not framing_only(read[i])]
        if not asking and all(self.acknowledges(q) for q in read[:-1]):
            asking = [len(read) - 1]  # "wonderful, risks?": what follows an acknowledgement asks, in any form
        return asking

    def opens_with_question(self, q: Question) -> bool:
        """A question word as read ("waht", "whos" included) comes first, after any framing and small words:
        "hey what ...", "my boss wants to know what ..."."""
        framing = self.analyser.lex.framing
        first = next((w for w in q.words if w not in framing and (w not in STOPWORDS or w in asides.QUESTION_WORDS)),
                     "")
        return first in asides.QUESTION_WORDS

    def acknowledges(self, q: Question) -> bool:
        """A word or two that say nothing the knowledge base knows ("awesome", "right-o", "ok noted"): an
        acknowledgement, not a subject ("IRM") or a scene ("beyond advising")."""
        known = self.analyser.concepts_known
        return (len(q.words) <= ACKNOWLEDGEMENT_WORDS and not q.names and not q.numbers
                and all(w.framing or w.concept not in known for w in q.content))

    def only_frames(self, q: Question) -> bool:
        """The part names nothing, holds no number and does not say what is asked ("need a name")."""
        return not q.names and not q.numbers and self._asks.isdisjoint(map(self.analyser.concept, q.words))
