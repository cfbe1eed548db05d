"""Text normalisation shared by the catalogue builder and the matcher.

Aliases and questions go through the same function, so matching never has to
care about case, punctuation, "&" versus "and", or possessives.
"""

from __future__ import annotations

import re
import unicodedata

# Objective numbers such as "2.1" survive as one token; everything else that is
# not a letter or digit separates tokens.
_TOKEN = re.compile(r"[^\W\d_]{0,4}\d+(?:\.\d+)+|[^\W_]+", re.UNICODE)
_POSSESSIVE = re.compile(r"(\w)['’]s\b")
# "who's in charge" is "who is in charge", not a possessive.
_CONTRACTION = re.compile(r"\b(who|what|where|when|how|it|that|there|here)['’]s\b", re.IGNORECASE)
# A bare "&": the spaces around it need no pattern of their own (tokens split on them anyway), and
# r"\s*&\s*" retried its leading \s* from every blank of a long run: quadratic in the run's length.
_AMP = re.compile(r"&")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# "U.S." and "e.g." are one word each.
_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")
# "mo3", "obj2.2": a keyword run into its number.
_GLUED = re.compile(r"^([a-z]{1,4})(\d+(?:\.\d+)?)$")

# Chat spellings people type in a busy channel, read as the words they stand for.
SLANG = {
    "ppl": "people", "wat": "what", "wut": "what", "whats": "what", "abt": "about", "u": "you",
    "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks", "govt": "government",
    "defense": "defence", "center": "centre", "centers": "centres", "program": "programme",
    "organization": "organisation", "organizations": "organisations", "cooperation": "co-operation",
}

_SUFFIXES = (
    ("isations", ""), ("izations", ""), ("isation", ""), ("ization", ""), ("ising", ""), ("izing", ""),
    ("ised", ""), ("ized", ""), ("ises", ""), ("izes", ""), ("ise", ""), ("ize", ""),
    ("ations", ""), ("ation", ""), ("ating", ""), ("ated", ""), ("ates", ""), ("ate", ""),
    ("ments", ""), ("ment", ""), ("ities", "ity"), ("ies", "y"), ("ing", ""), ("ed", ""), ("s", ""),
)


def printable(text: str) -> str:
    """Bytes that were not UTF-8 arrive as lone surrogates; they cannot be printed or sent."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def clean(text: str) -> str:
    """Drop control characters, undecodable bytes and normalise Unicode compatibility forms."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFKC", printable(text)))


def tokens_with_case(text: str) -> list[tuple[str, str]]:
    """Pairs of (lower-case token, token as typed), in order."""
    text = _AMP.sub(" and ", _POSSESSIVE.sub(r"\1", _CONTRACTION.sub(r"\1 is", clean(text))))
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", "") + " ", text)
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        raw = m.group(0)
        low = _fold(raw.lower())
        glued = _GLUED.match(low) if not low.isalpha() else None
        if glued:
            out += [(glued.group(1), raw), (glued.group(2), raw)]
            continue
        out.append((SLANG.get(low, low), raw))
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


def stem(word: str) -> str:
    """A light suffix stripper: enough for "organised"/"organisation" or "divisions"/"division" to meet."""
    if len(word) <= 4 or not word.isalpha() or word.endswith(("ss", "us", "is")):
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    # "achieve" and "achieved" must meet: a final silent "e" goes, whether or not a suffix did.
    return word[:-1] if word.endswith("e") and len(word) > 4 else word
