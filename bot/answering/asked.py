"""What a question asks for, beyond its subject: the kind of answer (a person, a named holder, a year, a
count, a place ...), what a "how many" counts, whether it asks about the present or for an exact figure, and
whether it asks about several of the names it gives.

These are read from the question's words alone; the scorer checks them against each unit (does it name
a person, does it count what is asked) and the confidence model against the whole reply.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from bot.answering.question import Name
from bot.answering.words import CONJUNCTIONS, STOPWORDS

# The answer a question wants, from its question words. Facet cues refine it (scoring.py).
_WANTS_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("how", "often"), "frequency"), (("how", "frequently"), "frequency"), (("how", "many", "times"), "frequency"),
    (("right", "now"), "named"), (("at", "the", "moment"), "named"), (("these", "days"), "named"),
    (("at", "present"), "named"), (("how", "long"), "duration"), (("do", "you", "think"), "opinion"),
    (("in", "your", "opinion"), "opinion"), (("your", "view"), "opinion"), (("should", "nato"), "opinion"),
    (("how", "many"), "number"), (("how", "much"), "number"), (("number", "of"), "number"),
    (("how", "big"), "number"), (("how", "large"), "number"), (("what", "percentage"), "number"),
    (("what", "percent"), "number"), (("how", "old"), "time"),
    (("what", "year"), "time"), (("which", "year"), "time"), (("what", "date"), "time"),
    (("since", "when"), "time"), (("stand", "for"), "name"), (("stands", "for"), "name"),
    (("short", "for"), "name"), (("full", "name"), "name"), (("what", "city"), "place"),
    (("which", "city"), "place"), (("what", "country"), "place"), (("which", "country"), "place"),
)
_WANTS_WORDS = {"when": "time", "where": "place", "who": "person", "whom": "person"}
QUESTION_WORDS = frozenset({"what", "which", "who", "whom", "whose", "where", "when", "why", "how"})
# With "who", these ask for the person holding a post today, whom the sources may not name. Without
# "who" they still ask about the present ("which allies meet the target now"), which dated sources
# may not answer.
_NOW = frozenset({"current", "currently", "now", "today", "presently", "incumbent", "nowadays", "rn", "yet",
                  "latest", "recently", "recent"})
_NOW_PHRASES = (("this", "year"), ("last", "year"), ("next", "year"), ("right", "now"), ("at", "the", "moment"),
                ("these", "days"), ("at", "present"), ("so", "far"))
# Words that ask for a precise figure or name rather than what a statement gives in general terms.
_EXACT = frozenset({"exact", "exactly", "precise", "precisely"})
# Nouns naming a post: "who is the commander of MARCOM" asks for the person in it, not for the post
# (which "who heads MARCOM" is answered by).
_POST_NOUNS = frozenset({
    "commander", "chief", "chair", "chairman", "chairwoman", "chairperson", "director", "head", "leader", "boss",
    "ambassador", "secretary", "coordinator", "controller", "officer", "representative", "spokesperson",
    "spokesman", "deputy", "president", "minister", "dg", "author",
})
# Between "who is" and the post: "who is the current US ...".
_BEFORE_POST = frozenset({"the", "a", "an", "current", "currently", "present", "acting", "incumbent", "new",
                          "now", "actual", "real"})
# What comes before the post in a question asking who holds it.
_ASKS_HOLDER = frozenset({("who", "is"), ("who", "was"), ("name", "of")})
# How far after "who is" / "name of" the post may come ("who is the IMS DG", "name of the LANDCOM commander").
_POST_WINDOW = 3
# How many words after "how many" name what is counted ("how many general or flag officers").
_COUNTED_WINDOW = 3


def wants(words: Sequence[str], facet: str | None, asks: dict[str, str], *, holder: bool = False) -> str | None:
    """The kind of answer asked for, read from the question's first question word ("when SACEUR
    directs it, what does LANDCOM do?" asks a what, not a when), its phrases and its nouns."""
    if holder:
        return "named"  # "who is the commander of MARCOM?" wants a name the sources may not give
    phrased = _phrase_wants(words)
    if phrased is not None:
        return phrased
    first = next((w for w in words if w in QUESTION_WORDS), None)
    if first == "who" and any(w in _NOW for w in words):
        return "named"  # "who's the chair of the MC now?" wants a name the sources may not give
    asked = [asks[w] for w in words if w in asks]
    if "contact" in asked:
        return "contact"  # "what's their email?": whatever the question word, it asks for a way to reach someone
    if first in _WANTS_WORDS:
        return _WANTS_WORDS[first]
    if first is None and asked:
        return asked[0]
    return {"location": "place", "size": "number", "founded": "time"}.get(facet or "")


def _phrase_wants(words: Sequence[str]) -> str | None:
    """The kind of answer the first of _WANTS_PHRASES the question holds asks for."""
    present = set(words)
    for phrase, kind in _WANTS_PHRASES:
        if phrase[0] not in present or phrase[-1] not in present:
            continue
        if _has(words, phrase) and (kind != "named" or "who" in present):
            return kind
    return None


def _has(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1))


def asks_holder(
    words: Sequence[str], names: Sequence[Name], posts: frozenset[str], framing: frozenset[str] = frozenset(),
) -> bool:
    """Whether the question asks who holds a post: "who is the commander of MARCOM", "who's the IMS DG",
    "name of the current SACEUR". A post followed by more of its own words ("who is SACEUR's main
    adviser") asks about something else."""
    return any(
        (a, b) in _ASKS_HOLDER and _post_at(words, names, posts, i + 2, framing)
        for i, (a, b) in enumerate(itertools.pairwise(words))
    )


def _post_at(
    words: Sequence[str], names: Sequence[Name], posts: frozenset[str], start: int, framing: frozenset[str],
) -> bool:
    j = start
    while j < len(words) and words[j] in _BEFORE_POST:
        j += 1
    by_start = {n.start: n for n in names}
    end = min(len(words), j + _POST_WINDOW)
    while j < end:
        name = by_start.get(j)
        if name is not None and name.entry in posts:
            return _ends_post(words, name.end, framing)
        if name is None and words[j] in _POST_NOUNS:
            return _ends_post(words, j + 1, framing)
        j = name.end if name is not None and name.end > j else j + 1
    return False


def _ends_post(words: Sequence[str], k: int, framing: frozenset[str]) -> bool:
    """The post is the end of what is asked: nothing follows, or a preposition, a time word, framing."""
    return k >= len(words) or any(words[k] in s for s in (STOPWORDS, _NOW, _POST_NOUNS, framing))


def counted(words: Sequence[str]) -> tuple[int, ...]:
    """The positions of the words a "how many" / "number of" counts ("how many *OIG reports*")."""
    for i in range(len(words) - 1):
        if (words[i], words[i + 1]) in (("how", "many"), ("number", "of")):
            after = [k for k in range(i + 2, min(len(words), i + 2 + _COUNTED_WINDOW + 2))
                     if words[k] not in STOPWORDS]
            return tuple(after[:_COUNTED_WINDOW])
    return ()


def asks_now(words: Sequence[str]) -> bool:
    """The question asks about the present ("currently", "this year", "right now")."""
    present = set(words)
    return bool(present & _NOW) or any(p[0] in present and p[1] in present and _has(words, p) for p in _NOW_PHRASES)


def asks_exact(words: Sequence[str]) -> bool:
    return any(w in _EXACT for w in words)


# Words that ask about several names at once, however they are placed ("the difference between ...").
_COMPARE = frozenset({"difference", "differences", "differ", "compare", "comparing", "comparison", "versus",
                      "vs", "distinguish", "between", "both", "each"})


def listed(names: list[Name], words: list[str], wholes: dict[str, frozenset[str]]) -> bool:
    """Two or more names asked side by side ("JFC Naples and JFC Brunssum", "compare X and Y"). A name
    right before or after something it is part of only qualifies it: "the IMS NOGP" asks about the NOGP
    alone, and its reply must not open with the IMS."""
    ids = list(dict.fromkeys(n.entry for n in names))
    if len(ids) < 2:
        return False
    if any(w in _COMPARE for w in words):
        return True
    return any(_side_by_side(a, b, words, wholes) for a, b in itertools.pairwise(names))


def _side_by_side(a: Name, b: Name, words: list[str], wholes: dict[str, frozenset[str]]) -> bool:
    """Whether two neighbouring names are both asked: only a conjunction (and stopwords) between them,
    or nothing between two names neither of which is part of the other."""
    if a.entry == b.entry:
        return False
    between = words[a.end:b.start]
    if not between:
        return a.entry not in wholes.get(b.entry, ()) and b.entry not in wholes.get(a.entry, ())
    return (all(w in CONJUNCTIONS or w in STOPWORDS for w in between)
            and any(w in CONJUNCTIONS for w in between))
