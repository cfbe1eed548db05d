"""Find the names a plain-text document defines ("Full Name (ACR)") and whether the catalogue knows them.

Curators run `natobot kb extract FILE...` on a new document to see which bodies
and acronyms it introduces that the knowledge base does not cover yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from knowledge.text import tokens

# "(NAC)", "(PA&SCA)", "(HR/VP)", "(JFC-NF)", "(PfP)", "(C3)", "(JFC Naples)"
_PAREN = re.compile(r"\(([A-Z][A-Za-z0-9&/\-]{1,14}(?: [A-Z][a-z]+)?)\)")
# "the Supreme Allied Commander Europe – SACEUR -"
_DASHED = re.compile(r"\s[–-]\s([A-Z]{3,12})\s*[–\-)]")
_CONNECTORS = frozenset({"of", "and", "the", "for", "on", "in", "&", "-", "–", "de"})
_NAME_WORD = re.compile(r"^[A-Z][\w\-’'.]*$|^[A-Z]{2,}$")
_MAX_WORDS = 9


@dataclass(frozen=True)
class Defined:
    acronym: str
    name: str
    file: str
    entry: str | None


def _strip_possessive(word: str) -> tuple[str, bool]:
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            return word[: -len(suffix)], True
    return word, False


def _words_before(text: str, end: int) -> list[str]:
    line_start = text.rfind("\n", 0, end) + 1
    before = text[line_start:end]
    if not before.strip() and line_start > 0:
        # The acronym opens its own line (a table cell): the name is the line above.
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        before = text[prev_start:line_start - 1]
    return [w.strip("\"“”‘") for w in before.replace(",", " , ").split() if w.strip("\"“”‘")]


def _capitalised_run(words: list[str]) -> list[str]:
    """The capitalised words just before an acronym, with the connectors between them ("Partnership
    for Peace"), stopping at a possessive, a dot, a bracket or a bullet."""
    run: list[str] = []
    for i, raw in enumerate(reversed(words)):
        word, possessive = _strip_possessive(raw)
        if (possessive and i > 0) or not _continues_run(word, run):
            break
        run.append(word)
        if len(run) >= _MAX_WORDS:
            break
    while run and _is_connector(run[-1]):
        run.pop()
    return list(reversed(run))


def _continues_run(word: str, run: list[str]) -> bool:
    if "." in word or "(" in word or ")" in word or "•" in word:
        return False
    return bool(_NAME_WORD.match(word)) or (bool(run) and _is_connector(word))


def _is_connector(word: str) -> bool:
    return word.lower() in _CONNECTORS or word == ","


def _trim_to_initials(run: list[str], acronym: str) -> list[str]:
    """"NATO and Partnership for Peace (PfP)" -> "Partnership for Peace": drop words the acronym skips."""
    if any(c.isdigit() for c in acronym):
        return run  # "C3": the letters alone do not spell the name
    letters = "".join(c for c in acronym.lower() if c.isalpha())
    for start in range(len(run)):
        rest = [w for w in run[start:] if w != ","]
        if rest[0].lower() in _CONNECTORS:
            continue
        if letters in (_initials(rest), _initials(rest, connectors=True)):
            return run[start:]
    return run


def _by_initials(words: list[str], acronym: str) -> list[str]:
    letters = "".join(c for c in acronym.lower() if c.isalpha())
    clean = [_strip_possessive(w)[0] for w in words if w != ","]
    for k in range(1, min(len(clean), 8) + 1):
        cand = clean[-k:]
        if cand[0].lower() in _CONNECTORS:
            continue
        if _initials(cand) == letters:
            return cand
        if k == 1 and cand[0].lower().startswith(letters[0]) and _subsequence(letters, cand[0].lower()):
            return cand
    return []


def _initials(words: list[str], *, connectors: bool = False) -> str:
    """The words' first letters, lower case; those of "of", "and", ... only with `connectors`."""
    return "".join(w[0].lower() for w in words if w[0].isalpha() and (connectors or w.lower() not in _CONNECTORS))


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(c in it for c in needle)


def _is_acronym(candidate: str) -> bool:
    return sum(c.isupper() or c.isdigit() for c in candidate.split(" ")[0]) >= 2


def extract_text(text: str, file: str, aliases: Mapping[tuple[str, ...], str]) -> list[Defined]:
    found: dict[tuple[str, str], Defined] = {}
    matches = [(m.group(1), m.start()) for m in _PAREN.finditer(text)]
    matches += [(m.group(1), m.start()) for m in _DASHED.finditer(text)]
    for acronym, start in sorted(matches, key=lambda m: m[1]):
        if not _is_acronym(acronym):
            continue
        words = _words_before(text, start)
        run = _capitalised_run(words)
        name_words = _trim_to_initials(run, acronym) if run else _by_initials(words, acronym)
        if not name_words:
            continue
        name = " ".join(name_words).replace(" , ", ", ")
        entry = aliases.get(tuple(tokens(acronym))) or aliases.get(tuple(tokens(name)))
        found.setdefault((acronym, name.lower()), Defined(acronym, name, file, entry))
    return list(found.values())


def extract_files(paths: list[Path], aliases: Mapping[tuple[str, ...], str]) -> list[Defined]:
    """`aliases` is the catalogue's normalised-name index (Catalogue.aliases)."""
    rows: list[Defined] = []
    for path in paths:
        if path.is_dir():
            rows += extract_files(sorted(p for p in path.glob("*.txt")), aliases)
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rows += extract_text(text, path.name, aliases)
    return rows
