"""Making text safe for Slack: escaping its control characters and cutting to its limits.

Slack reads `&`, `<` and `>` as control characters: `<!channel>`, `<!here>`, `<!everyone>` and `<@U123>`
ping people, `<https://x|label>` hides a link. Everything natobot sends back (the user's own words and
the knowledge base's text alike) goes through `escape` first, then `truncate`, in that order, so a cut
can never break an escape and the escaped text can never grow past the limit again.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# An entity left open at the end of a cut: "&", "&a", "&am", "&amp" (no ";" yet).
_OPEN_ENTITY = re.compile(r"&[#0-9A-Za-z]{0,8}\Z")
# Where a long text may be split, best first: paragraph, line, sentence, word.
_BREAKS = ("\n\n", "\n", ". ", " ")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` as Slack asks, so no user text can ever mention or link anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut; never halves an `&xx;`."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = _OPEN_ENTITY.sub("", text[: limit - len(ELLIPSIS)]).rstrip()
    return cut + ELLIPSIS


def split(text: str, limit: int, *, max_chunks: int) -> list[str]:
    """Split already-escaped text into at most `max_chunks` pieces of at most `limit` characters.

    Breaks at the best boundary in the last half of each window (paragraph, line, sentence, word)
    so each Slack section reads as whole sentences; the last chunk is truncated if text remains.
    Empty and whitespace-only pieces are dropped because Slack rejects empty text objects.
    """
    chunks: list[str] = []
    rest = text.strip()
    while rest and len(chunks) < max_chunks:
        if len(rest) <= limit:
            chunks.append(rest)
            rest = ""
            break
        if len(chunks) == max_chunks - 1:
            chunks.append(truncate(rest, limit))
            rest = ""
            break
        window = rest[:limit]
        at = -1
        for brk in _BREAKS:
            pos = window.rfind(brk, limit // 2)
            if pos > 0:
                at = pos + len(brk.rstrip())
                break
        if at <= 0:
            # No boundary: a hard cut, stepped back so no entity is halved.
            at = len(_OPEN_ENTITY.sub("", window)) or limit
        piece, rest = window[:at].strip(), rest[at:].strip()
        if piece:
            chunks.append(piece)
    return chunks


def plain(text: str, limit: int) -> str:
    """Escaped, single-line and bounded: for headers, buttons and other one-line spots."""
    return truncate(escape(" ".join(text.split())), limit)
