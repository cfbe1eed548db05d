"""Sources in Slack: a short name for each document, a link where it has a public address, and the full
citations (title, publisher, date, section, note) in a modal one click away.

The knowledge base names each document in full ("International Military Staff (encyclopedia article, with
related articles)"); a card has room for a few words, so each document in knowledge/data/documents.yaml
carries a `short` name and, where it is public at a known address, a `url`. A document without a short name
is shown by its title cut to SHORT_LIMIT; one without an address gets no link rather than a guessed one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.answering.answer import Source
from bot.render.text import escape, plain, truncate

SHORT_LIMIT = 60
VALUE_LIMIT = 2000  # Slack's button value
CALLBACK_ID = "natobot_sources"


class DocumentLike(Protocol):
    """What the citations modal shows of a document (knowledge.models.Document fits)."""

    @property
    def title(self) -> str: ...
    @property
    def publisher(self) -> str: ...
    @property
    def date(self) -> str: ...
    @property
    def note(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...


def short_name(source: Source) -> str:
    return source.short or " ".join(source.title.split())[:SHORT_LIMIT]


def short_link(source: Source) -> str:
    """mrkdwn: the escaped short name, as a link when the document has a public address."""
    name = plain(short_name(source), SHORT_LIMIT)
    return f"<{source.url}|{name}>" if source.url else name


def sources_value(sources: Sequence[Source]) -> str:
    """The Sources button's value: [[doc, section], ...] as JSON, as many as fit in Slack's 2000 characters."""
    pairs: list[list[str]] = []
    for s in sources:
        candidate = [*pairs, [s.doc[:64], s.section[:300]]]
        if len(json.dumps(candidate, ensure_ascii=False)) > VALUE_LIMIT:
            break
        pairs = candidate
    return json.dumps(pairs, ensure_ascii=False)


def parse_sources_value(value: str) -> list[tuple[str, str]]:
    try:
        data = json.loads(value)
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [(str(p[0]), str(p[1])) for p in data
            if isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)]


def citations_view(pairs: Sequence[tuple[str, str]], documents: Mapping[str, DocumentLike]) -> dict[str, Any]:
    """The modal listing each cited document in full, with the sections cited and its link."""
    sections: dict[str, list[str]] = {}
    for doc, section in pairs:
        sections.setdefault(doc, [])
        if section not in sections[doc]:
            sections[doc].append(section)
    blocks: list[dict[str, Any]] = []
    for doc, cited in list(sections.items())[:20]:
        document = documents.get(doc)
        if document is None:
            continue
        lines = [f"*{plain(document.title, 300)}*", f"{plain(document.publisher, 200)}, {plain(document.date, 100)}"]
        lines += [f"• Section “{plain(c, 300)}”" for c in cited[:10]]
        address = document.url
        if address:
            lines.append(f"<{address}|{plain(address, 200)}>")
        block: dict[str, Any] = {"type": "section",
                                 "text": {"type": "mrkdwn", "text": truncate("\n".join(lines), 3000), "verbatim": True}}
        blocks.append(block)
        if document.note:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": truncate(escape(document.note), 3000), "verbatim": True}]})
    if not blocks:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "No source is recorded for this answer.",
                                               "verbatim": True}}]
    return {"type": "modal", "callback_id": CALLBACK_ID,
            "title": {"type": "plain_text", "text": "Sources"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": blocks[:100]}
