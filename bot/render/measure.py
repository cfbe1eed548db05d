"""How tall a Block Kit message renders, in numbers that need no screenshot.

`blocks`: how many blocks. `chars`: every character a person sees (section and context text, field labels
and values, header, button labels; not link targets or button values). `lines`: an estimate of the rendered
height in text lines for a 600 px wide message pane (Slack's thread pane): about 80 characters per line of
section text, 100 in the smaller grey context text, two fields per row, buttons wrapping at about 70
characters of labels per row.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SECTION_LINE = 80
CONTEXT_LINE = 100
BUTTON_ROW = 70
# `<https://...|label>` shows as `label`; emoji codes show as one glyph.
_LINK = re.compile(r"<[^<>|]+\|([^<>]*)>")
_EMOJI = re.compile(r":[a-z0-9_+\-]+:")
_ENTITY = re.compile(r"&(amp|lt|gt);")


@dataclass(frozen=True)
class Height:
    blocks: int
    chars: int
    lines: float


def shown(text: str) -> str:
    """The characters Slack displays for a mrkdwn string (links as their label, emoji as one, *bold* marks gone)."""
    text = _LINK.sub(r"\1", text)
    text = _EMOJI.sub("E", text)
    text = _ENTITY.sub("&", text)
    return text.replace("*", "").replace("_", "")


def _wrapped(text: str, width: int) -> float:
    return sum(max(1, math.ceil(len(line) / width)) for line in text.split("\n"))


def _header(block: dict[str, Any]) -> tuple[int, float]:
    text = shown(block["text"]["text"])
    return len(text), 1.5 * _wrapped(text, SECTION_LINE * 2 // 3)


def _section(block: dict[str, Any]) -> tuple[int, float]:
    chars = 0
    lines = 0.0
    if "text" in block:
        text = shown(block["text"]["text"])
        chars += len(text)
        lines += _wrapped(text, SECTION_LINE)
    fields = [shown(f["text"]) for f in block.get("fields", [])]
    chars += sum(len(f) for f in fields)
    for i in range(0, len(fields), 2):  # two columns; a row is as tall as its taller field
        lines += max(_wrapped(f, SECTION_LINE // 2) for f in fields[i:i + 2])
    return chars, lines


def _context(block: dict[str, Any]) -> tuple[int, float]:
    texts = [shown(e.get("text", "")) for e in block.get("elements", [])]
    return sum(len(t) for t in texts), _wrapped(" ".join(texts), CONTEXT_LINE) * 0.85


def _actions(block: dict[str, Any]) -> tuple[int, float]:
    labels = [shown(e["text"]["text"]) for e in block.get("elements", []) if "text" in e]
    return (sum(len(label) for label in labels),
            1.6 * max(1, math.ceil(sum(len(label) + 6 for label in labels) / BUTTON_ROW)))


# Characters and lines of one block, by its type; other types add neither.
_KINDS: dict[str, Callable[[dict[str, Any]], tuple[int, float]]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "actions": _actions,
    "divider": lambda block: (0, 0.5),
    "image": lambda block: (0, 8),
}


def measure(blocks: list[dict[str, Any]]) -> Height:
    chars = 0
    lines = 0.0
    for block in blocks:
        kind = block.get("type")
        size = _KINDS.get(kind) if isinstance(kind, str) else None
        if size is not None:
            more_chars, more_lines = size(block)
            chars += more_chars
            lines += more_lines
    return Height(blocks=len(blocks), chars=chars, lines=round(lines, 1))
