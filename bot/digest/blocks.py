"""The digest in Block Kit and plain text: a short card by default (3-5 lines), the long form behind "More".

Short: one section (label, angle, the piece's few sentences), one grey line saying which objective and what
the strategy is and when it dates from, then "More on this" and one question to ask. Long (ephemeral, for whoever
clicked "More"): the objective's own wording and goal, what it aims at, why it matters, its risk and its
links in full, with the sources.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date
from typing import Any

from bot.digest.content import Content, Piece
from bot.digest.text import explain
from bot.render import blocks, citations
from bot.render.blocks import Block, button, context, section, sources_line
from bot.render.text import escape, plain, truncate

MORE_ACTION = "natobot_digest_more"
ASK_BLOCK = "natobot_digest_ask"
MORE_BLOCK = "natobot_digest_long"
OBJECTIVE_CHARS = 90  # the objective's wording on the grey line, cut so the line stays one or two lines
MANAGEMENT_NOTE = "internal to the U.S. Mission"


def lower_first(text: str) -> str:
    """"Why it matters" -> "why it matters"; "EDT in brief" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def more_value(piece: Piece, day: date) -> str:
    return json.dumps({"e": piece.entry, "d": day.isoformat()})


def parse_more_value(value: str) -> tuple[str, date | None]:
    try:
        data = json.loads(value)
        return str(data["e"]), date.fromisoformat(str(data["d"]))
    except (ValueError, KeyError, TypeError):
        return "", None


def _title_line(piece: Piece) -> str:
    label = f"*{plain(piece.label, 80)}*"
    if piece.management:
        label += f" ({MANAGEMENT_NOTE})"
    return f":newspaper: {label} · {plain(piece.headline, 150)}"


def _about_line(piece: Piece, content: Content) -> str:
    parts = []
    if piece.objective:
        parts.append(f":dart: _{plain(piece.objective, OBJECTIVE_CHARS)}_")
    parts.append(f":scroll: {escape(content.strategy.short_line())}")
    return "  ".join(parts)


def short_blocks(piece: Piece, day: date, content: Content) -> dict[str, Any]:
    """The digest as posted: {"text", "blocks"}, every text escaped and within Slack's limits."""
    out: list[Block] = [
        section(f"{_title_line(piece)}\n{truncate(escape(piece.text), 2000)}"),
        context(_about_line(piece, content)),
    ]
    if any(s.doc != "usnato-ims-2022" for s in piece.sources):
        line = sources_line(piece.sources)
        if line:
            out.append(line)
    row = [button("More on this", MORE_ACTION, more_value(piece, day))]
    row += blocks.ask_buttons(piece.questions[:1])
    out.append({"type": "actions", "block_id": ASK_BLOCK, "elements": row})
    text = truncate(escape(f"{piece.label}, {lower_first(piece.headline)}: {piece.text}"), blocks.MESSAGE_TEXT)
    return {"text": text, "blocks": out}


def long_blocks(entry_id: str, content: Content) -> dict[str, Any]:
    """Everything the digest knows about one objective (or strategy part), for "More"."""
    engine = content.engine
    entry = engine.kb.entries.get(entry_id)
    if entry is None:
        return blocks.notice("That digest is no longer available.")
    own = content.objective_pieces(entry_id)
    out: list[Block] = []
    if own:
        first = own[0]
        head = f"*{plain(first.label, 80)}: {plain(first.objective, 600)}*"
        if first.goal:
            head += f"\n_{plain(first.goal, 300)}_"
        out.append(section(head))
        facets = entry.facets
        for heading, text in (
            ("What it aims at", entry.short),
            ("Why it matters", facets["justification"].text if "justification" in facets else ""),
            ("The risk it addresses", facets["risks"].text if "risks" in facets else ""),
            ("What it links to", facets["linkages"].text if "linkages" in facets else ""),
        ):
            if text.strip():
                out.append(section(f"*{heading}*\n" + truncate(escape(explain(" ".join(text.split()))), 2800)))
        questions = first.questions
        sources = first.sources
    else:
        out.append(section(f"*{plain(entry.title, 600)}*\n" + truncate(escape(explain(entry.answer)), 2800)))
        questions = tuple(entry.questions[:2])
        match = next((p for p in content.cycle() if p.entry == entry_id), None)
        sources = match.sources if match else ()
    out.append(context(f":scroll: {escape(content.strategy.line())}"))
    line = sources_line(sources)
    if line:
        out.append(line)
    asks = blocks.ask_buttons(questions)
    if sources:
        asks.append(button("Sources", blocks.SOURCES_ACTION, citations.sources_value(sources)))
    if asks:
        out.append({"type": "actions", "block_id": MORE_BLOCK, "elements": asks})
    return {"text": truncate(escape(f"{entry.title}: {entry.short}"), blocks.MESSAGE_TEXT),
            "blocks": out[: blocks.MAX_BLOCKS]}


def text_form(piece: Piece, day: date, content: Content, *, width: int = 100) -> str:
    """The digest for the terminal (`natobot digest preview`): the short form, then what "More" shows."""
    title = f"natobot digest, {day:%A} {day.isoformat()}"
    lines = [title, "=" * len(title)]
    label = piece.label + (f" ({MANAGEMENT_NOTE})" if piece.management else "")
    lines += textwrap.wrap(f"{label} · {piece.headline}", width)
    lines += textwrap.wrap(piece.text, width, initial_indent="  ", subsequent_indent="  ")
    if piece.objective:
        lines += ["", *textwrap.wrap(f"Objective: {piece.objective}", width)]
    lines += textwrap.wrap(content.strategy.line(), width)
    labels = list(dict.fromkeys(s.label() for s in piece.sources))
    if labels:
        lines += ["", "Source:", *(f"  - {label}" for label in labels)]
    if piece.questions:
        lines += ["", "Ask more:", *(f"  - {q}" for q in piece.questions)]
    return "\n".join(lines)
