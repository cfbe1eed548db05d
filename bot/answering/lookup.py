"""Find catalogue entries by a few typed letters, for the lookup modal's suggestions (an external select).

Ranks, best first: a name that starts with what was typed, a word of a name that starts with it, then fuzzy
matches (RapidFuzz WRatio over titles and aliases) for typos. Works over the knowledge base alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.answering.engine import Engine

# Slack shows at most 100 options; 20 fit on screen without scrolling far.
MAX_OPTIONS = 20
# WRatio of 70 keeps one- and two-letter typos in names ("SHAP", "brunsum") and drops unrelated names;
# picked by typing the catalogue's acronyms with a letter missing or swapped and reading the lists.
FUZZY_CUTOFF = 70
# Once a name starts with what was typed, fuzzy matches only add noise ("naples" also matched "Plans and
# Policy"); then only near-identical ones join.
FUZZY_CUTOFF_WITH_HITS = 88
OPTION_TEXT = 75  # Slack's limit for an option's text


@dataclass(frozen=True)
class Choice:
    entry: str
    label: str


def label(engine: Engine, entry_id: str) -> str:
    entry = engine.kb.entries[entry_id]
    if entry.kind == "objective" and entry.number:
        text = f"Mission Objective {entry.number}: {entry.title}"
    elif entry.kind == "management-objective" and entry.number:
        text = f"Management Objective {entry.number}: {entry.title}"
    elif entry.kind == "goal" and entry.number:
        text = f"Mission Goal {entry.number}: {entry.title}"
    else:
        text = entry.title
    text = " ".join(text.split())
    return text if len(text) <= OPTION_TEXT else text[: OPTION_TEXT - 1].rstrip() + "…"


class LookupIndex:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        names: list[str] = []
        owners: list[str] = []
        for entry in engine.kb.entries.values():
            for name in dict.fromkeys([label(engine, entry.id), entry.title, *entry.aliases]):
                names.append(name)
                owners.append(entry.id)
        self._names = names
        self._processed = [utils.default_process(n) for n in names]
        self._owners = owners
        self._order = {e: i for i, e in enumerate(engine.kb.entries)}

    def search(self, typed: str, limit: int = MAX_OPTIONS) -> list[Choice]:
        query = utils.default_process(typed[:100])
        if not query:
            return []
        ranked: dict[str, tuple[int, float]] = {}

        def offer(entry: str, tier: int, score: float) -> None:
            best = ranked.get(entry)
            if best is None or (tier, -score) < (best[0], -best[1]):
                ranked[entry] = (tier, score)

        for name, owner in zip(self._processed, self._owners, strict=True):
            if name.startswith(query):
                offer(owner, 0, 100.0 - len(name) / 100)
            elif f" {query}" in f" {name}":
                offer(owner, 1, 100.0 - len(name) / 100)
        cutoff = FUZZY_CUTOFF_WITH_HITS if ranked else FUZZY_CUTOFF
        for _, score, index in process.extract(query, self._processed, scorer=fuzz.WRatio, processor=None,
                                               score_cutoff=cutoff, limit=60):
            offer(self._owners[index], 2, score)
        best = sorted(ranked.items(), key=lambda kv: (kv[1][0], -kv[1][1], self._order.get(kv[0], 0)))
        return [Choice(entry, label(self.engine, entry)) for entry, _ in best[:limit]]
