"""The lookup modal: an external select that suggests catalogue entries as the person types."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.answering.lookup import Choice

CALLBACK_ID = "natobot_lookup"
BLOCK_ID = "natobot_lookup_entry"
PICK_ACTION = "natobot_lookup_pick"
METADATA_MAX = 3000


def metadata(*, response_url: str | None, channel: str | None, user: str) -> str:
    """Where the answer goes: the slash command's response_url (ephemeral in its channel), else a DM."""
    data = {"r": response_url or "", "c": channel or "", "u": user}
    text = json.dumps(data)
    return text if len(text) <= METADATA_MAX else json.dumps({"r": "", "c": channel or "", "u": user})


def parse_metadata(value: str) -> dict[str, str]:
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return {k: str(v) for k, v in data.items() if k in ("r", "c", "u") and v} if isinstance(data, dict) else {}


def view(meta: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": meta,
        "title": {"type": "plain_text", "text": "Look something up"},
        "submit": {"type": "plain_text", "text": "Look up"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": BLOCK_ID,
             "label": {"type": "plain_text", "text": "A body, command, post, objective or document"},
             "hint": {"type": "plain_text", "text": "Suggestions come from natobot's catalogue as you type."},
             "element": {"type": "external_select", "action_id": PICK_ACTION, "min_query_length": 1,
                         "placeholder": {"type": "plain_text", "text": "SHAPE, JFC Naples, objective 2.1 …"}}},
        ],
    }


def options(choices: Sequence[Choice]) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": c.label, "emoji": False}, "value": c.entry[:150]}
            for c in choices[:100]]


def picked(state: dict[str, Any]) -> str | None:
    """The entry id chosen in a submitted lookup modal."""
    values = (state.get("values") or {}).get(BLOCK_ID) or {}
    option = (values.get(PICK_ACTION) or {}).get("selected_option") or {}
    value = option.get("value") if isinstance(option, dict) else None
    return str(value) if value else None
