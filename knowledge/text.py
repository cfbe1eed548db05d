"""Text normalisation shared by the catalogue builder and the matcher.

Aliases and questions go through the same function, so matching never has to
care about case, punctuation, "&" versus "and", or possessives.
"""

from __future__ import annotations

import re
import unicodedata

# Objective numbers such as "2.1" survive as one token; everything else that is
# not a letter or digit separates tokens.
_TOKEN = re.compile(r"\d+(?:\.\d+)+|[^\W_]+", re.UNICODE)
_POSSESSIVE = re.compile(r"(\w)['’]s\b")
_AMP = re.compile(r"\s*&\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Drop control characters and normalise Unicode compatibility forms."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))


def tokens_with_case(text: str) -> list[tuple[str, str]]:
    """Pairs of (lower-case token, token as typed), in order."""
    text = _AMP.sub(" and ", _POSSESSIVE.sub(r"\1", clean(text)))
    out = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        out.append((_fold(raw.lower()), raw))
    return out


def tokens(text: str) -> list[str]:
    return [low for low, _ in tokens_with_case(text)]


def normalise(text: str) -> str:
    return " ".join(tokens(text))


def _fold(word: str) -> str:
    # "İzmir" and "Izmir" must meet: strip accents from Latin letters only.
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or word
