"""What the digest says: short pieces about the Integrated Mission Strategy's objectives, from many angles.

The old digest posted the same eleven texts in turn, so a subscriber saw each again every eleven days. Here
every objective is cut into pieces, each a few sentences from one angle: what it aims at, the goal behind it,
why it matters, the risk it addresses, what it links to, related facts from the same strategy, and related facts
from natobot's other sources. The pieces of all objectives are interleaved into one cycle (longer than 90 days,
so no subscriber sees the same text twice in 90 days, whatever the cadence), and the day picks the piece from
the date alone, so every replica and cron run agrees. The three management objectives (how the U.S. Mission runs
itself) share one slot in the cycle instead of taking three, and a subscription can leave them out.

Every abbreviation is explained where it first appears (bot.digest.text).
Pure functions of the knowledge base and the date; nothing here knows Slack.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.answering.answer import Source
from bot.answering.engine import Engine
from bot.answering.words import STOPWORDS
from bot.digest.text import explain, pieces
from knowledge.loader import KnowledgeBase
from knowledge.models import Entry
from knowledge.text import tokens

Angle = Literal["aim", "goal", "why", "risks", "links", "related", "elsewhere", "strategy"]

def _numbered(kb: KnowledgeBase, kind: str) -> tuple[str, ...]:
    """The entries of a kind in number order ("1.1" < "1.2" < "2.1"): the knowledge base, not code, says
    which objectives exist."""
    found = [e for e in kb.entries.values() if e.kind == kind and e.number]
    return tuple(e.id for e in sorted(found, key=lambda e: tuple(int(p) for p in (e.number or "0").split("."))))


def mission(kb: KnowledgeBase) -> tuple[str, ...]:
    return _numbered(kb, "objective")


def management(kb: KnowledgeBase) -> tuple[str, ...]:
    return _numbered(kb, "management-objective")


def strategy_entry(kb: KnowledgeBase) -> str:
    shown = kb.presentation
    return (shown.digest_strategy if shown and shown.digest_strategy else None) or "mission-strategy"


def strategy_doc(kb: KnowledgeBase) -> str:
    """The document the strategy entry cites first: the one the digest is about."""
    return kb.entries[strategy_entry(kb)].sources[0].doc
# Day 0 of the cycle. Any fixed date works; changing it would shift every later digest.
EPOCH = date(2024, 1, 1)
# No subscriber may see the same piece twice within this many days (the promise); the cycle is
# checked to be longer (test_digest_content).
NO_REPEAT_DAYS = 90
# Related entries that every objective links to say nothing about any one of them.
_GENERIC_RELATED = frozenset({"mission-objectives", "management-objectives", "jsp", "mission-strategy"})
# Facts from the other sources are matched on shared rare words (idf above this, at least this many words);
# set by reading the matches for all eleven objectives: lower thresholds pulled in unrelated entries.
ELSEWHERE_MIN_IDF = 2.0
ELSEWHERE_MIN_WORDS = 3
ELSEWHERE_MAX = 2
# Words common enough in this knowledge base's prose to carry no topic.
_NOT_TOPICAL = frozenset("""related based ability means personnel better giving keeping sees issues office effective
measures central political threat changing help keep works work including within create using""".split())

HEADLINES: dict[Angle, str] = {
    "aim": "What it aims at",
    "goal": "The goal behind it",
    "why": "Why it matters",
    "risks": "The risk it addresses",
    "links": "What it links to",
    "related": "Related",
    "elsewhere": "Elsewhere in natobot's sources",
    "strategy": "About the strategy",
}
# The strategy as a whole, in its own lane: its priorities, framework and goals, then the themes of the strategy
# no objective links to.
STRATEGY_THEMES = ("theme", "fact", "document")


@dataclass(frozen=True)
class Piece:
    """One digest: one objective, one angle, a few sentences."""

    entry: str  # the objective's knowledge-base id
    label: str  # "Mission Objective 2.1" / "Management Objective 3"
    management: bool
    objective: str  # the objective's own wording
    goal: str  # "Mission Goal 2: Reinforcing Deterrence and Defense" / "Management Objectives ..."
    angle: Angle
    headline: str  # "Why it matters", "Related: the Wales pledge"
    text: str  # explained; what the short form shows
    sources: tuple[Source, ...]
    questions: tuple[str, ...]  # for the "ask" buttons

    @property
    def key(self) -> str:
        """What makes two pieces the same text for a reader: headline and words."""
        return f"{self.headline}\n{self.text}"


@dataclass(frozen=True)
class _Lane:
    """What every piece about one objective shares; piece() adds the angle and text."""

    entry: str
    label: str
    management: bool
    objective: str
    goal: str
    sources: tuple[Source, ...]
    questions: tuple[str, ...]

    def piece(self, angle: Angle, text: str, *, headline: str | None = None, src: tuple[Source, ...] | None = None,
              asks: tuple[str, ...] | None = None) -> Piece:
        return Piece(entry=self.entry, label=self.label, management=self.management, objective=self.objective,
                     goal=self.goal, angle=angle, headline=headline or HEADLINES[angle], text=explain(text),
                     sources=self.sources if src is None else src,
                     questions=self.questions if asks is None else asks)


@dataclass(frozen=True)
class Strategy:
    """What the strategy is, for the line every digest carries."""

    title: str  # "Integrated Mission Strategy"
    issuer: str  # "U.S. Mission to NATO"
    approved: str  # "15 July 2022"
    month: str  # "July 2022"

    def line(self) -> str:
        return (f"From the {self.issuer}'s {self.title}, its plan for what it wants to achieve at NATO, "
                f"approved {self.approved}.")

    def short_line(self) -> str:
        """The same in a few words, for the short digest's grey line."""
        return f"From the {self.issuer}'s {self.title} (its goals at NATO), {self.month}"


def strategy(engine: Engine) -> Strategy:
    doc = engine.kb.documents[strategy_doc(engine.kb)]
    approved = doc.date.removeprefix("approved ").strip()
    month = " ".join(approved.split()[-2:])
    # "Integrated Mission Strategy, U.S. Mission to NATO (for public release)": the title, then its issuer.
    title, _, issuer = doc.title.partition(",")
    return Strategy(title=title.strip(), issuer=(issuer.split("(")[0].strip() or doc.publisher), approved=approved,
                    month=month)


class Content:
    """The cycle of pieces for one knowledge base, with and without the management objectives."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.strategy = strategy(engine)
        self.strategy_doc = strategy_doc(engine.kb)
        shown = engine.kb.presentation
        self.strategy_parts = tuple(shown.digest_strategy_parts) if shown else ()
        self._idf = self._rare_words()
        self._cycles: dict[bool, tuple[Piece, ...]] = {}

    # -- building ----------------------------------------------------------------------------------------
    def _source(self, entry: Entry) -> tuple[Source, ...]:
        out = []
        for citation in entry.sources:
            doc = self.engine.kb.documents.get(citation.doc)
            if doc is not None:
                out.append(Source(doc=doc.id, title=doc.title, date=doc.date, section=citation.section,
                                  short=doc.short, url=doc.url))
        return tuple(out)

    def _goal(self, entry: Entry) -> tuple[str, Entry | None]:
        for parent_id in entry.relations.get("part_of", []):
            parent = self.engine.kb.entries.get(parent_id)
            if parent is not None and parent.kind == "goal":
                return (f"Mission Goal {parent.number}: {parent.title}" if parent.number else parent.title), parent
            if parent is not None:
                return f"{parent.title}: how the U.S. Mission runs itself, not under a Mission Goal", None
        return "", None

    def _rare_words(self) -> dict[str, float]:
        counts: Counter[str] = Counter()
        entries = self.engine.kb.entries.values()
        for e in entries:
            text = " ".join([e.title, e.short, e.answer, *(f.text for f in e.facets.values())])
            counts.update(set(self._words(text)))
        return {w: math.log(len(entries) / n) for w, n in counts.items()}

    @staticmethod
    def _words(text: str) -> set[str]:
        return {w for w in tokens(text) if len(w) > 3 and w not in STOPWORDS and w not in _NOT_TOPICAL}

    def _elsewhere(self, entry: Entry, taken: set[str]) -> list[Entry]:
        """Entries from natobot's other sources that share rare words with the objective."""
        facets = [entry.facets[f].text for f in ("justification", "risks") if f in entry.facets]
        mine = self._words(" ".join([entry.title, entry.short, *facets]))
        scored = []
        for other in self.engine.kb.entries.values():
            if other.id in taken or any(c.doc == self.strategy_doc for c in other.sources):
                continue
            shared = [w for w in mine & self._words(" ".join([other.title, other.short, *other.aliases]))
                      if self._idf.get(w, 0.0) > ELSEWHERE_MIN_IDF]
            if len(shared) >= ELSEWHERE_MIN_WORDS:
                scored.append((sum(self._idf[w] for w in shared), other.id))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [self.engine.kb.entries[e] for _, e in scored[:ELSEWHERE_MAX]]

    def _pieces(self, entry_id: str, taken: set[str], goals_done: set[str]) -> list[Piece]:
        entry = self.engine.kb.entries[entry_id]
        management = entry.kind == "management-objective"
        goal, goal_entry = self._goal(entry)
        lane = _Lane(entry=entry_id, label=f"{'Management' if management else 'Mission'} Objective {entry.number}",
                     management=management, objective=entry.title, goal=goal, sources=self._source(entry),
                     questions=tuple(q for q in entry.questions[1:] if q.strip())[:3] or tuple(entry.questions[:1]))
        out = [lane.piece("aim", entry.short + (f" It serves {goal}." if goal_entry is not None else
                                               " It is about running the U.S. Mission itself."))]
        if goal_entry is not None:
            out += self._goal_pieces(lane, goal_entry, goals_done)
        facets = entry.facets
        why = pieces(facets["justification"].text) if "justification" in facets else []
        risks = pieces(facets["risks"].text) if "risks" in facets else []
        out += self._first_angles(lane, entry, why, risks)
        out += self._neighbours(lane, entry, taken)
        # The rest of the justification and risks, after every other angle has had its turn.
        rest: list[tuple[Angle, str]] = [("why", t) for t in why[1:]]
        rest += [("risks", t) for t in risks[1:]]
        for angle, text in rest:
            out.append(lane.piece(angle, text))
        return out

    @staticmethod
    def _goal_pieces(lane: _Lane, goal: Entry, goals_done: set[str]) -> list[Piece]:
        """The goal's own description, told once, with the first of its objectives."""
        if goal.id in goals_done or "description" not in goal.facets:
            return []
        goals_done.add(goal.id)
        return [lane.piece("goal", text, asks=tuple(goal.questions[:2]) or lane.questions)
                for text in pieces(goal.facets["description"].text)[:2]]

    @staticmethod
    def _first_angles(lane: _Lane, entry: Entry, why: list[str], risks: list[str]) -> list[Piece]:
        out = []
        if why:
            out.append(lane.piece("why", why[0]))
        if risks:
            out.append(lane.piece("risks", risks[0]))
        if "linkages" in entry.facets:
            links = entry.facets["linkages"].text
            if "JSP" in links or "JRS" in links:
                links += " These are higher-level U.S. plans; the strategy cites them by code only."
            out.append(lane.piece("links", links))
        return out

    def _neighbours(self, lane: _Lane, entry: Entry, taken: set[str]) -> list[Piece]:
        """Related entries of the same strategy, then entries from the other sources; each taken once."""
        out = []
        for other_id in entry.relations.get("related", []):
            other = self.engine.kb.entries.get(other_id)
            if other is None or other_id in _GENERIC_RELATED or other_id in taken or other.kind in (
                    "objective", "management-objective", "goal"):
                continue
            taken.add(other_id)
            out.append(lane.piece("related", other.short, headline=f"Related: {other.title}",
                                  src=self._source(other), asks=tuple(other.questions[:2]) or lane.questions))
        for other in self._elsewhere(entry, taken):
            taken.add(other.id)
            out.append(lane.piece("elsewhere", other.short, headline=f"{HEADLINES['elsewhere']}: {other.title}",
                                  src=self._source(other), asks=tuple(other.questions[:2]) or lane.questions))
        return out

    def _strategy_lane(self, taken: set[str]) -> list[Piece]:
        kb = self.engine.kb
        label = f"The {self.strategy.title}"
        out: list[Piece] = []
        extra = [e.id for e in kb.entries.values() if e.kind in STRATEGY_THEMES and e.id not in taken
                 and e.id not in _GENERIC_RELATED and e.id not in self.strategy_parts
                 and all(c.doc == self.strategy_doc for c in e.sources)]
        for entry_id in (*self.strategy_parts, *extra):
            entry = kb.entries.get(entry_id)
            if entry is None:
                continue
            taken.add(entry_id)
            for text in pieces(entry.answer):
                out.append(Piece(entry=entry_id, label=label, management=False, objective="", goal="",
                                 angle="strategy", headline=f"{HEADLINES['strategy']}: {entry.title}",
                                 text=explain(text), sources=self._source(entry),
                                 questions=tuple(entry.questions[:2])))
        return out

    def cycle(self, *, include_management: bool = True) -> tuple[Piece, ...]:
        """Every piece once, interleaved so consecutive days feature different objectives and angles."""
        cached = self._cycles.get(include_management)
        if cached is not None:
            return cached
        taken: set[str] = set()
        goals_done: set[str] = set()
        lanes = [self._pieces(e, taken, goals_done) for e in mission(self.engine.kb)]
        lanes.append(self._strategy_lane(taken))
        if include_management:
            # The three management objectives share one lane, taking turns, no longer than a mission objective's:
            # internal matters get about a ninth of the digests, not three elevenths.
            own = [self._pieces(e, taken, goals_done) for e in management(self.engine.kb)]
            width = max(len(lane) for lane in lanes[:-1]) if len(lanes) > 1 else 0
            lanes.append([p for group in _zip_longest(own) for p in group][:width])
        # Spread each lane evenly over the cycle (piece k of a lane of n sits at (k + 0.5) / n), each lane starting
        # at a different angle so neighbouring days differ in angle as well as objective.
        placed = sorted(((k + 0.5) / len(lane), i, p) for i, lane in enumerate(lanes)
                        for k, p in enumerate(lane[i % len(lane):] + lane[:i % len(lane)]))
        seen: set[str] = set()
        out = []
        for _, _, p in placed:
            if p.key not in seen:
                seen.add(p.key)
                out.append(p)
        self._cycles[include_management] = tuple(out)
        return self._cycles[include_management]

    def for_day(self, day: date, *, include_management: bool = True) -> Piece:
        pieces_ = self.cycle(include_management=include_management)
        return pieces_[(day - EPOCH).days % len(pieces_)]

    def objective_pieces(self, entry_id: str) -> list[Piece]:
        """All of one objective's own angles (aim, goal, why, risks, links), for the long form behind "More"."""
        full = self.cycle(include_management=True)
        return [p for p in full if p.entry == entry_id and p.angle in ("aim", "goal", "why", "risks", "links")]


def _zip_longest(groups: list[list[Piece]]) -> list[list[Piece]]:
    width = max((len(g) for g in groups), default=0)
    return [[g[i] for g in groups if i < len(g)] for i in range(width)]


_CONTENT: weakref.WeakKeyDictionary[Engine, Content] = weakref.WeakKeyDictionary()


def content(engine: Engine) -> Content:
    """The Content for `engine`, built once (about 20 ms) and kept while the engine lives."""
    found = _CONTENT.get(engine)
    if found is None:
        found = _CONTENT[engine] = Content(engine)
    return found
