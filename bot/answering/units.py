"""The knowledge base at the grain of a fact: one `Unit` per statement that can answer a question."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.loader import KnowledgeBase
from knowledge.models import Citation, Entry

# A sentence ends at . ! or ? followed by a space and a capital, quote or bracket, unless the word
# before the dot is one of these abbreviations (or a single letter, as in "U.S." or "J. Smith").
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs no nos st mr mrs ms dr lt gen col adm maj capt sgt approx ca cf fig art para obj objs".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])")
_PARENTHETICAL = re.compile(r"\s*\(([^()]*)\)\s*$")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z&/-]*[A-Z0-9]$")
# "Joint Strategic Plan (JSP)": the words before a bracketed acronym (back to the previous bracket).
_TITLE_ACRONYM = re.compile(r"([^()]+?)\s*\(([A-Z][A-Za-z&/ -]*[A-Z0-9])\)")
# A sentence that refers back ("It ...", "These steps ...", "Second, ...") cannot open a reply alone: it
# is shown after the sentence it refers to. (Replacing "it" with the entry's name was tried and is
# wrong too often: in a theme's text "it" is as often the strategy or the article as the subject.)
_REFERS_BACK = re.compile(
    r"^(?:It|Its|It's|They|Their|Them|This|These|That|Those|He|His|She|Her|Such|Together|Both|Here|There|"
    r"Both|Also|Likewise|Similarly|However|Still|Yet|Instead|Meanwhile|Further|Furthermore|Moreover|"
    r"First|Second|Third|Fourth|Fifth|Finally|Lastly|As (?:they|it|these)|In (?:turn|short|addition))\b"
)
# The context shown after the answering sentence stops once it is this long (whole sentences).
CONTEXT_CHARS = 600

ASPECTS = ("overview", "detail", "name", "field", "fact")


@dataclass(frozen=True)
class Unit:
    uid: int
    entry: str  # the entity the statement is about
    also: tuple[str, ...]  # other entities it is equally about
    text: str  # the statement, answer-first
    context: str  # shown after it: the rest of its paragraph, trimmed
    # A facet of the entry ("head", "location", ...), or "overview" (the first sentence of the entry's
    # overview), "detail" (another overview sentence), "name" (what an acronym stands for), "field".
    aspect: str
    citations: tuple[Citation, ...]
    caveat: str | None
    answers: bool
    origin: str  # where it was written, for `kb check` and the eval's misses
    # A known gap: what the sources do not give about the entry ("no date for its founding"), so that a
    # question after it is told so rather than answered from a neighbouring statement.
    gap: str | None = None

    def reply(self) -> str:
        return f"{self.text} {self.context}".strip()


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        pending = f"{pending} {piece}".strip() if pending else piece
        last = pending.rsplit(" ", 1)[-1].rstrip(".!?").lower()
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or "." in last:
            continue  # "Lt. Gen." or "U.S." is not the end of a sentence
        out.append(pending)
        pending = ""
    if pending:
        out.append(pending)
    return out


def plain_name(entry: Entry) -> str:
    """The title without its "(ACRONYM)": "Allied Maritime Command"."""
    return _PARENTHETICAL.sub("", entry.title).strip() or entry.title


def acronyms(entry: Entry) -> list[str]:
    """The acronyms that really abbreviate the entry's name: "CHOD" is an alias of the MilReps entry,
    but it does not stand for "Military Representatives"."""
    return [acr for acr, _ in expansions(entry)]


def expansions(entry: Entry) -> list[tuple[str, str]]:
    """(acronym, what it stands for): from each "Full Name (ACR)" of the title, then from aliases."""
    found: dict[str, str] = {}
    for m in _TITLE_ACRONYM.finditer(entry.title):
        words = m.group(1).split()
        acr = m.group(2)
        for k in range(len(words), 0, -1):  # the shortest tail of the words before it that it abbreviates
            name = " ".join(words[-k:])
            if _abbreviates(acr, name) and (k == 1 or not _abbreviates(acr, " ".join(words[-k + 1:]))):
                found.setdefault(acr, name)
                break
    name = plain_name(entry)
    for a in entry.aliases:
        if _ACRONYM.match(a) and len(a) <= 10 and _abbreviates(a, name):
            found.setdefault(a, name)
    return list(found.items())


def _subject(entry: Entry) -> str:
    name = plain_name(entry)
    return name if name.split()[0] in ("NATO", "NATO's") or entry.kind == "person" else f"The {name}"


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _abbreviates(acronym: str, name: str) -> bool:
    """True when the acronym's letters are, in order, the initials of most of the name's words."""
    initials = [w[0].upper() for w in re.findall(r"[A-Za-z][\w'’-]*", name)
                if w.lower() not in ("of", "and", "the", "for", "on", "in", "to", "de")]
    letters = [c for c in acronym.upper() if c.isalpha()]
    if not letters or not initials or len(letters) * 2 < len(initials) or letters[0] != initials[0]:
        return False
    pos = 0
    for c in letters:
        while pos < len(initials) and initials[pos] != c:
            pos += 1
        if pos == len(initials):
            return False
        pos += 1
    return True


# A sentence that only says what the sources lack ("The source does not name the holder.") answers
# nothing on its own, even inside a paragraph that does.
_SAYS_MISSING = re.compile(
    r"^(?:The |Neither |No )?(?:[A-Z]\w* ){0,2}(?:sources?|strategy|article|documents?|page|encyclopedia)[^.]{0,40}\b"
    r"(?:do(?:es)? not|gives? no|names? no|says? nothing|is silent|gives? no further)\b",
    re.I,
)
# A sentence shorter than this many words ("Both are in Brussels.") is kept with the one before it.
MIN_SENTENCE_WORDS = 7


def _merge_short(sentences: list[str]) -> list[str]:
    out: list[str] = []
    for s in sentences:
        if out and len(s.split()) < MIN_SENTENCE_WORDS:
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
    return out


def _context(sentences: list[str], skip: set[int]) -> str:
    out: list[str] = []
    size = 0
    for i, s in enumerate(sentences):
        if i in skip:
            continue
        if size and size + len(s) > CONTEXT_CHARS:
            break
        out.append(s)
        size += len(s) + 1
    return " ".join(out)


class _Builder:
    def __init__(self) -> None:
        self.units: list[Unit] = []
        self._seen: set[tuple[str, str]] = set()

    def add(
        self, entry: Entry, text: str, *, aspect: str, citations: list[Citation], origin: str,
        context: str = "", caveat: str | None = None, answers: bool = True, also: tuple[str, ...] = (),
        gap: str | None = None,
    ) -> None:
        key = (entry.id, " ".join(text.lower().split()))
        if key in self._seen:
            return
        self._seen.add(key)
        self.units.append(Unit(
            uid=len(self.units), entry=entry.id, also=also, text=text, context=context, aspect=aspect,
            citations=tuple(dict.fromkeys(citations)), caveat=caveat, answers=answers, origin=origin, gap=gap,
        ))

    def paragraph(
        self, entry: Entry, text: str, *, aspect: str, first_aspect: str | None = None,
        citations: list[Citation], origin: str, caveat: str | None = None, answers: bool = True,
    ) -> None:
        if not answers:
            # "The sources do not name the holder" means nothing cut from its paragraph: keep it whole.
            self.add(entry, " ".join(text.split()), aspect=first_aspect or aspect, citations=citations,
                     origin=origin, caveat=caveat, answers=False)
            return
        sentences = _merge_short(split_sentences(text))
        for i, sentence in enumerate(sentences):
            shown, skip = sentence, {i}
            j = i
            while j > 0 and _REFERS_BACK.match(sentences[j]):
                j -= 1  # lead with what the sentence refers back to
                shown = f"{sentences[j]} {shown}"
                skip.add(j)
            self.add(
                entry, shown, aspect=(first_aspect or aspect) if i == 0 else aspect,
                citations=citations, origin=f"{origin} sentence {i + 1}", context=_context(sentences, skip),
                caveat=caveat, answers=answers and not _SAYS_MISSING.search(sentence),
            )


def _field_sentence(entry: Entry, label: str, value: str) -> tuple[str, str]:
    subject = _subject(entry)
    if label == "Location":
        return f"{subject} is located in {value}.", "location"
    if label in ("Head", "Commander", "Director General", "Chairman", "Secretary General"):
        return f"{label} of the {plain_name(entry)}: {value}.", "head"
    if label in ("Staff", "Size", "Personnel"):
        return f"{plain_name(entry)} staff: {value}.", "size"
    if label in ("Active", "Founded", "Established", "Formed"):
        return f"{plain_name(entry)}, {label.lower()}: {value}.", "founded"
    if label in ("Part of", "Parent"):
        return f"{subject} is part of the {value}.", "parent"
    return f"{plain_name(entry)}, {label.lower()}: {value}.", "field"


def build_units(kb: KnowledgeBase) -> list[Unit]:
    b = _Builder()
    for entry in kb.entries.values():
        cites = list(entry.sources)
        where = f"{kb.origin.get(entry.id, '?')}: entry {entry.id!r}"
        b.paragraph(entry, entry.answer, aspect="detail", first_aspect="overview", citations=cites,
                    origin=f"{where}, answer", caveat=entry.caveat)
        for facet, ft in entry.facets.items():
            b.paragraph(entry, ft.text, aspect=facet, citations=list(ft.sources) or cites,
                        origin=f"{where}, facets.{facet}", caveat=ft.caveat or entry.caveat, answers=ft.answers)
        for acr, full in expansions(entry):
            b.add(entry, f"{acr} stands for {full}.", aspect="name", citations=cites, origin=f"{where}, title")
        for label, value in entry.fields.items():
            text, aspect = _field_sentence(entry, label, value)
            b.add(entry, text, aspect=aspect, citations=cites, origin=f"{where}, fields.{label}",
                  caveat=entry.caveat if aspect in ("size", "field") else None)
        _derived(kb, entry, b, cites, where)
    for fact, where in zip(kb.facts, kb.fact_origin, strict=True):
        entry = kb.entries[fact.about]
        # A fact of a facet is followed by that facet's paragraph: "objective 1.1 links to JSP Obj. 1.4"
        # then every linkage, so a question after all of them gets all of them.
        facet_text = entry.facets[fact.facet].text if fact.facet and fact.facet in entry.facets else ""
        context = _context(split_sentences(facet_text), set()) if facet_text else ""
        b.add(entry, fact.text, aspect=fact.facet or "fact", citations=[fact.source], origin=where,
              caveat=fact.caveat, answers=fact.answers, also=tuple(fact.also), context=context)
    _gaps(kb, b)
    return b.units


# What people ask about an organisation or a post that the sources may not give: (the kind of answer
# it needs, the facet, how the gap is said). A gap unit is made for every entry of these kinds whose
# statements hold no answer of that kind for that facet, and it says so (answers: false).
_GAP_KINDS = frozenset({"body", "command", "office", "division", "position"})
_GAPS: tuple[tuple[str, str, str], ...] = (
    ("named", "head", "The sources do not name the person who currently {holds} the {name}."),
    ("time", "founded", "The sources give no date for when the {name} was set up."),
    ("number", "size", "The sources give no figure for how many people work at the {name}."),
    ("place", "location", "The sources do not say where the {name} is based."),
    ("number", "budget", "The sources give no budget or cost figures for the {name}."),
)
_PERSON_NAME = re.compile(r"\b(?:Stoltenberg|Adamczak)\b")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_LOCATED = re.compile(r"\b(?:located|based|headquartered|sits at|seat)\b", re.I)


def _gaps(kb: KnowledgeBase, b: _Builder) -> None:
    by_entry: dict[str, list[Unit]] = {}
    for u in b.units:
        for e in (u.entry, *u.also):
            by_entry.setdefault(e, []).append(u)
    for entry in kb.entries.values():
        if entry.kind not in _GAP_KINDS:
            continue
        have = _kinds_given(by_entry.get(entry.id, []))
        holds = "holds the post of" if entry.kind == "position" else "heads"
        for kind, aspect, template in _GAPS:
            if aspect == "budget" or not have[kind]:
                text = template.format(name=plain_name(entry), holds=holds)
                b.add(entry, text, aspect=aspect, citations=list(entry.sources), answers=False,
                      origin=f"{kb.origin.get(entry.id, '?')}: entry {entry.id!r}, known gap ({aspect})", gap=kind)


def _kinds_given(own: list[Unit]) -> dict[str, bool]:
    """Which kinds of answer an entry's statements give: a named person, a date, a figure, a place."""
    texts = " ".join(u.text for u in own)
    return {
        "named": bool(_PERSON_NAME.search(texts)),
        "time": any(u.aspect == "founded" and u.answers for u in own) or bool(_YEAR.search(texts)),
        "number": any(u.aspect == "size" and u.answers for u in own),
        "place": any(u.aspect == "location" and u.answers for u in own) or bool(_LOCATED.search(texts)),
    }


def _derived(kb: KnowledgeBase, entry: Entry, b: _Builder, cites: list[Citation], where: str) -> None:
    """Statements the relations already hold, so no entry has to repeat them in prose."""
    if entry.kind in ("list", "theme", "document", "fact"):
        return  # "The Divisions of the IMS is part of ..." says nothing a reader needs
    for text, aspect, relation in _relation_statements(kb, entry):
        b.add(entry, text, aspect=aspect, citations=cites, origin=f"{where}, {relation}")


def _relation_statements(kb: KnowledgeBase, entry: Entry) -> Iterator[tuple[str, str, str]]:
    """(statement, facet, the relation it says) for each facet the entry's prose leaves to its relations."""
    rel = entry.relations
    if "head" not in entry.facets and rel.get("headed_by"):
        heads = " and the ".join(plain_name(kb.entries[h]) for h in rel["headed_by"] if h in kb.entries)
        yield f"{_subject(entry)} is headed by the {heads}.", "head", "relations.headed_by"
    if "parent" not in entry.facets and rel.get("part_of"):
        parents = _parents(kb, rel["part_of"])
        if parents:
            names = " and the ".join(plain_name(p) for p in parents)
            yield f"{_subject(entry)} is part of the {names}.", "parent", "relations.part_of"
    if "components" not in entry.facets:
        children = kb.children(entry.id)
        if children:
            names = "; ".join(c.title for c in children)
            yield f"{_subject(entry)} comprises: {names}.", "components", "relations (children)"


def _parents(kb: KnowledgeBase, ids: list[str]) -> list[Entry]:
    """The entries an entry is part of, leaving out lists ("the Divisions of the IMS")."""
    return [kb.entries[p] for p in ids if p in kb.entries and kb.entries[p].kind != "list"]
