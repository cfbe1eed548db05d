"""Plain-text rendering for the terminal."""

from __future__ import annotations

import textwrap

from bot.answering.answer import Answer

WIDTH = 100


def render(answer: Answer, *, width: int = WIDTH) -> str:
    lines = [answer.title, "=" * min(len(answer.title), width)]
    for para in answer.text.split("\n"):
        lines += textwrap.wrap(para, width) or [""]
    fields = [f for part in answer.parts for f in part.fields] if len(answer.parts) == 1 else []
    if fields:
        lines.append("")
        lines += [f"  {f.label}: {f.value}" for f in fields]
    if answer.sources:
        lines.append("")
        lines.append("Sources:")
        lines += [f"  - {s.label()}" for s in answer.sources]
    lines += _next_questions(answer)
    return "\n".join(lines)


def _next_questions(answer: Answer) -> list[str]:
    """Suggestions if there are any, else related questions; one of the two lists at most."""
    if answer.suggestions:
        heading = "You could ask:" if answer.answered or answer.status != "fallback" else "Try one of these:"
        return ["", heading, *(f"  - {q}" for q in answer.suggestions)]
    if answer.related:
        return ["", "Related:", *(f"  - {q}" for q in answer.related)]
    return []
