"""The digest's prose tools: abbreviations spelled out where they first appear, text cut into short pieces.

Every abbreviation is explained with the definition the knowledge base itself gives (GLOSSARY, checked against
it by a test); the few the sources use without spelling out are marked as such. Pure text; no knowledge base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A piece's text: two or three sentences, which with its headline and the strategy line fits the 3-5 line
# short form. Chosen so every objective yields several "why" and "risk" pieces and the cycle passes 90 days.
PIECE_CHARS = 200


@dataclass(frozen=True)
class Term:
    acronym: str
    expansion: str
    in_sources: bool  # False: the sources use it without spelling it out; the expansion is general knowledge


# Every abbreviation the digest's texts use. `in_sources=True` ones are checked against the knowledge base
# ("Full Name (ACR)" must appear in it); NATO and U.S. need no explaining.
GLOSSARY: tuple[Term, ...] = (
    Term("USNATO", "U.S. Mission to NATO", True),
    Term("JSP", "Joint Strategic Plan", True),
    Term("EUR JRS", "EUR Joint Regional Strategy", True),
    Term("ADN", "Arms Control, Disarmament, and Non-Proliferation", True),
    Term("EDT", "emerging and disruptive technologies", True),
    Term("PRC", "People's Republic of China", True),
    Term("EU", "European Union", True),
    Term("OIG", "Office of Inspector General", False),
    Term("USG", "U.S. Government", False),
    Term("NCIA", "NATO Communications and Information Agency", True),
    Term("IRM", "information resource management", False),
    Term("USMILDEL", "U.S. Military Delegation to NATO", False),
    Term("IMS", "International Military Staff", True),
    Term("NCSA", "NATO Communication and Information Systems Services Agency", True),
    Term("CIS", "communication and information systems", True),
    Term("EAPC", "Euro-Atlantic Partnership Council", True),
    Term("CSDP", "Common Security and Defence Policy", True),
    Term("AI", "artificial intelligence", False),
    Term("GDP", "gross domestic product", True),
    Term("R&D", "research and development", False),
    Term("ADA", "Americans with Disabilities Act", False),
    Term("DOD", "Department of Defense", False),
    Term("HR", "human resources", False),
    Term("EEO", "Equal Employment Opportunity", False),
    Term("EO", "Executive Order", False),
    Term("USAG", "U.S. Army Garrison", False),
    Term("CT", "counter-terrorism", False),
    Term("IT", "information technology", False),
    Term("EUR", "the State Department's Bureau of European and Eurasian Affairs", False),
)
NO_EXPLANATION_NEEDED = frozenset({"NATO", "U.S."})
# Upper-case words of two letters or more (and R&D), the shape of an abbreviation.
_ACRONYM = re.compile(r"(?<![\w&])(?:EUR JRS|[A-Z][A-Z&]*[A-Z])(?![\w&])")
_WITH_POSSESSIVE = re.compile(r"(" + _ACRONYM.pattern + r")('s|’s)?")
_OBJ = re.compile(r"\bObj\.\s")
_SENTENCE_END = re.compile(r"[.!?][\"”')]?\s+(?=[A-Z\"“(])")
_NOT_AN_END = ("U.S.", "Obj.", "No.", "e.g.", "i.e.", "St.", "Dr.", "Mr.", "Ms.", "vs.", "E.O.", "Gen.")


def acronyms(text: str) -> list[str]:
    return [a for a in _ACRONYM.findall(text) if a not in NO_EXPLANATION_NEEDED]


def explain(text: str) -> str:
    """`text` with each abbreviation spelled out where it first appears (unless the text already does).

    "JSP Obj. 1.4" reads "JSP (Joint Strategic Plan) Objective 1.4"; "the Joint Strategic Plan (JSP)" stays;
    "USNATO's staff" reads "USNATO's (U.S. Mission to NATO) staff".
    """
    text = _OBJ.sub("Objective ", text)
    terms = {t.acronym: t for t in GLOSSARY}
    done: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        acronym, possessive = m.group(1), m.group(2) or ""
        term = terms.get(acronym)
        if term is None or acronym in done:
            return m.group(0)
        done.add(acronym)
        before = text[max(0, m.start() - 80):m.start()].lower()
        if before.endswith("(") or f"{term.expansion} ({acronym})".lower() in text.lower() or \
                term.expansion.lower() in before:
            return m.group(0)
        return f"{acronym}{possessive} ({term.expansion})"

    return _WITH_POSSESSIVE.sub(replace, text)


def sentences(text: str) -> list[str]:
    text = " ".join(text.split())
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if text[: m.start() + 1].endswith(_NOT_AN_END):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _clauses(sentence: str, limit: int) -> list[str]:
    """A sentence much longer than a piece, split at its semicolons into sentences of their own."""
    if len(sentence) <= limit * 1.3 or "; " not in sentence:
        return [sentence]
    parts = [p.strip() for p in sentence.split("; ") if p.strip()]
    out = [p[0].upper() + p[1:] for p in parts]
    return [p if p.endswith((".", "!", "?")) else p + "." for p in out]


def pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """Whole sentences packed into pieces of about `limit` characters (a long sentence is a piece alone)."""
    out: list[str] = []
    for sentence in (c for s in sentences(text) for c in _clauses(s, limit)):
        if out and len(out[-1]) + 1 + len(sentence) <= limit:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out
