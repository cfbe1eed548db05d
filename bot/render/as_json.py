"""JSON rendering: the `natobot ask --json` contract."""

from __future__ import annotations

import json
from typing import Any

from bot.answering.answer import Answer


def to_dict(answer: Answer) -> dict[str, Any]:
    data = answer.model_dump()
    data["sources"] = [{**s.model_dump(), "label": s.label()} for s in answer.sources]
    return data


def render(answer: Answer) -> str:
    return json.dumps(to_dict(answer), ensure_ascii=False)
