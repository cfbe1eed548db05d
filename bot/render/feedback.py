"""Feedback that closes: the vote buttons give way to "Thanks, recorded", and "Not helpful" offers a short
optional form. Pure functions over Block Kit dicts; handlers.feedback sends them."""

from __future__ import annotations

import json
from typing import Any

from bot.render.blocks import FEEDBACK_BLOCK, FEEDBACK_DOWN, FEEDBACK_UP, Block, context, mrkdwn
from bot.render.text import plain

THANKS = ":white_check_mark: Thanks, recorded."
THANKS_DOWN = ":white_check_mark: Thanks, recorded. Sorry it missed; a curator will look at it."
MORE_BLOCK = "natobot_more"
FORM_CALLBACK = "natobot_feedback_form"
REASONS_BLOCK, REASONS_ACTION = "reasons", "reasons"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment"
COMMENT_MAX = 1000
METADATA_MAX = 3000  # Slack's private_metadata
# (code stored, label shown); codes are what `natobot report feedback` counts.
REASONS = (
    ("wrong", "It is wrong"),
    ("not-asked", "It does not answer what I asked"),
    ("outdated", "It is out of date"),
    ("missing", "Something important is missing"),
    ("unclear", "Too long or hard to follow"),
)
REASON_CODES = frozenset(code for code, _ in REASONS)


def closed(blocks: list[Block], vote: str) -> list[Block]:
    """`blocks` with the feedback row replaced by a thank-you line; Sources / Share stay as buttons."""
    out: list[Block] = []
    for block in blocks:
        if block.get("block_id") != FEEDBACK_BLOCK:
            out.append(block)
            continue
        out.append(context(THANKS_DOWN if vote == "down" else THANKS))
        rest = [e for e in block.get("elements", []) if e.get("action_id") not in (FEEDBACK_UP, FEEDBACK_DOWN)]
        if rest:
            out.append({"type": "actions", "block_id": MORE_BLOCK, "elements": rest})
    return out


def form_metadata(*, team: str, channel: str, message_ts: str, question: str, entry: str | None) -> str:
    data = {"t": team, "c": channel, "m": message_ts, "e": entry, "q": question[:1000]}
    while len(text := json.dumps(data, ensure_ascii=False)) > METADATA_MAX:
        data["q"] = str(data["q"])[: len(str(data["q"])) // 2]
    return text


def parse_metadata(value: str) -> dict[str, str | None]:
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: (str(v) if v is not None else None) for k, v in data.items() if k in ("t", "c", "m", "e", "q")}


def form_view(question: str, metadata: str) -> dict[str, Any]:
    """The optional "what was wrong?" modal."""
    options = [{"text": {"type": "plain_text", "text": label}, "value": code} for code, label in REASONS]
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [
            {"type": "section", "text": mrkdwn(
                f"Your vote is recorded. If you have a moment, tell the curators what was wrong with the answer to "
                f"_{plain(question, 300) or 'your question'}_. Both parts are optional.")},
            {"type": "input", "block_id": REASONS_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "What was wrong"},
             "element": {"type": "checkboxes", "action_id": REASONS_ACTION, "options": options}},
            {"type": "input", "block_id": COMMENT_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Anything else"},
             "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION, "multiline": True,
                         "max_length": COMMENT_MAX,
                         "placeholder": {"type": "plain_text", "text": "What should the answer have said?"}}},
        ],
    }


def form_values(state: dict[str, Any]) -> tuple[list[str], str | None]:
    """(reason codes, comment) from a submitted form's state.values; unknown codes are dropped."""
    values = state.get("values") or {}
    picked = ((values.get(REASONS_BLOCK) or {}).get(REASONS_ACTION) or {}).get("selected_options") or []
    reasons = [str(o.get("value")) for o in picked if isinstance(o, dict) and o.get("value") in REASON_CODES]
    comment = ((values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}).get("value")
    text = str(comment).strip()[:COMMENT_MAX] if comment else ""
    return reasons, text or None
