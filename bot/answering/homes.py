"""A theme's home: the objective under which the strategy treats it.

The U.S. Mission's strategy treats themes (climate change, emerging technologies, disinformation, the PRC)
inside its objectives, and what a conversation asks next about a theme is often the objective's: after "what
does USNATO say about climate change?", "which objective is it?", "risks?" and "linkages" ask about Objective
3.3 when the theme has no statement of that kind (the linkages) or does not say it (which objective). For such
a follow-up the home objective leads the subject, the theme stays beside it.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.answering.context import Context
from bot.answering.question import Question
from knowledge.loader import KnowledgeBase

# The kind of entry that is a home, as the knowledge base names its kinds.
HOME_KIND = "objective"


def homes(kb: KnowledgeBase) -> dict[str, str]:
    """Theme -> its home: the first related entry of HOME_KIND (the knowledge base lists it first)."""
    out = {}
    for entry_id, entry in kb.entries.items():
        if entry.kind == "theme":
            home = next((r for r in entry.relations.get("related", [])
                         if r in kb.entries and kb.entries[r].kind == HOME_KIND), None)
            if home is not None:
                out[entry_id] = home
    return out


def asks_home(
    q: Question, context: Context, home_of: Mapping[str, str], aspects: Mapping[str, frozenset[str]],
) -> str | None:
    """The home of the conversation's subject when the follow-up `q` asks the home's part: a facet the theme has
    no statement of and its home has ("linkages"), or the home's kind itself ("which objective is it?")."""
    if not q.follow_up or not context.entities:
        return None
    home = home_of.get(context.entities[0])
    if home is None:
        return None
    theme = context.entities[0]
    lacking = q.facet is not None and q.facet not in aspects.get(theme, ()) and q.facet in aspects.get(home, ())
    return home if lacking or (HOME_KIND in q.words and not q.numbers) else None
