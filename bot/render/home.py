"""The App Home tab, and the digest subscription modal it opens.

Everything on the Home works without a response_url (Slack sends none from a view): example questions are
answered in the person's DM with natobot, "Look something up" opens the lookup modal, the digest preview's
"More" answers in the DM, and subscriptions are managed in a modal with a conversations select.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

from bot.render.blocks import (
    MAX_HOME_BLOCKS,
    Block,
    bullets,
    button,
    context,
    fit,
    header,
    section,
)
from bot.render.text import plain

ASK_ACTION = "natobot_home_ask_{}"
ASK_PATTERN = r"^natobot_home_ask_\d+$"
LOOKUP_ACTION = "natobot_home_lookup"
SUBSCRIBE_ACTION = "natobot_home_subscribe"
UNSUBSCRIBE_ACTION = "natobot_home_unsubscribe_{}"
UNSUBSCRIBE_PATTERN = r"^natobot_home_unsubscribe_\d+$"
REFRESH_ACTION = "natobot_home_refresh"
MAX_EXAMPLES = 6
# A Home view holds 100 blocks; the rest of the tab takes about 20.
MAX_LISTED = 60
SUBSCRIBE_CALLBACK = "natobot_digest_subscribe"
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")

# The subscription modal's blocks and elements.
CHANNEL_BLOCK, CHANNEL_ACTION = "channel", "channel"
CADENCE_BLOCK, CADENCE_ACTION = "cadence", "cadence"
WEEKDAY_BLOCK, WEEKDAY_ACTION = "weekday", "weekday"
TIME_BLOCK, TIME_ACTION = "time", "time"
ZONE_BLOCK, ZONE_ACTION = "zone", "zone"
CONTENT_BLOCK, CONTENT_ACTION = "content", "content"
INCLUDE_MANAGEMENT = "management"
CADENCES = (("daily", "Every day"), ("weekdays", "Weekdays (Monday to Friday)"), ("weekly", "Once a week"))
PRIVATE_NOTE = "In a private channel, invite me first (`/invite @natobot`). If a post fails I tell you in a DM."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SubscriptionLike(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def error(self) -> str | None: ...


def _where(channel: str) -> str:
    return f"<#{channel}>" if _CHANNEL_ID.fullmatch(channel) else plain(channel, 80)


def home_view(*, topics: Sequence[str], examples: Sequence[str], digest: dict[str, Any] | None,
              subscriptions: Sequence[tuple[SubscriptionLike, str]], command: str = "/nato") -> dict[str, Any]:
    """The Home tab for views.publish.

    `digest` is today's digest as posted (bot.digest.blocks.short_blocks); `subscriptions` pairs each with its
    description ("09:00 Europe/Brussels, every day").
    """
    cmd = plain(command, 40)
    head: list[Block] = [header("natobot")]
    body: list[Block] = []
    if topics:
        body.append(section("*What I know*\n" + bullets(topics)))
    body.append(section(f"*Ask me*\nMention me in a channel (I answer in a thread), send me a message, use "
                        f"`{cmd} QUESTION` anywhere, or pick a question below: I answer in our DM. "
                        f"`{cmd} help` lists every command."))
    asks = [button(q, ASK_ACTION.format(i), q) for i, q in enumerate(dict.fromkeys(examples)) if q.strip()]
    if asks:
        body.append({"type": "actions", "block_id": "natobot_home_examples", "elements": asks[:MAX_EXAMPLES]})
    body.append({"type": "actions", "block_id": "natobot_home_tools", "elements": [
        button(":mag: Look something up", LOOKUP_ACTION, "lookup", style="primary")]})
    body.append({"type": "divider"})
    body.append(section("*Today's digest*"))
    if digest is None:
        body.append(context("No digest today."))
    else:
        body += digest["blocks"]
    body.append({"type": "divider"})
    body.append(section("*Digest subscriptions*\nA short piece on the U.S. Mission to NATO's strategy, in a "
                        "channel of your choice, every day, on weekdays or once a week."))
    body.append({"type": "actions", "block_id": "natobot_home_digest", "elements": [
        button("Subscribe a channel", SUBSCRIBE_ACTION, "subscribe")]})
    for i, (sub, described) in enumerate(subscriptions[:MAX_LISTED]):
        line = f"{_where(sub.channel)}: {plain(described, 200)}"
        if sub.error:
            line += f"\n:warning: paused, the last post failed: `{plain(sub.error, 200)}`. Subscribe it again " \
                    "once I can post there."
        body.append({"type": "section", "text": section(line)["text"],
                     "accessory": button("Unsubscribe", UNSUBSCRIBE_ACTION.format(i), sub.channel[:64]) | {
                         "confirm": _confirm(sub.channel)}})
    if not subscriptions:
        body.append(context("No channel gets the digest yet."))
    elif len(subscriptions) > MAX_LISTED:
        body.append(context(f"…and {len(subscriptions) - MAX_LISTED} more (`natobot digest list` shows all)."))
    return {"type": "home", "blocks": fit(head, body, [], MAX_HOME_BLOCKS)}


def _confirm(channel: str) -> dict[str, Any]:
    return {"title": {"type": "plain_text", "text": "Stop the digest?"},
            "text": {"type": "mrkdwn", "text": f"{_where(channel)} will no longer get natobot's digest.",
                     "verbatim": True},
            "confirm": {"type": "plain_text", "text": "Unsubscribe"},
            "deny": {"type": "plain_text", "text": "Keep it"}}


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def subscribe_view(*, default_zone: str = "Europe/Brussels", default_time: str = "09:00") -> dict[str, Any]:
    """The modal that subscribes a channel: which one, how often, when, and whether to include management."""
    cadence = [_option(v, t) for v, t in CADENCES]
    days = [_option(str(i), d) for i, d in enumerate(WEEKDAYS)]
    management = _option(INCLUDE_MANAGEMENT, "Include the management objectives (how the U.S. Mission runs itself)")
    return {
        "type": "modal",
        "callback_id": SUBSCRIBE_CALLBACK,
        "title": {"type": "plain_text", "text": "Digest subscription"},
        "submit": {"type": "plain_text", "text": "Subscribe"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": CHANNEL_BLOCK, "label": {"type": "plain_text", "text": "Channel"},
             "element": {"type": "conversations_select", "action_id": CHANNEL_ACTION,
                         "filter": {"include": ["public", "private"], "exclude_bot_users": True,
                                    "exclude_external_shared_channels": True},
                         "placeholder": {"type": "plain_text", "text": "Pick a channel"}}},
            {"type": "input", "block_id": CADENCE_BLOCK, "label": {"type": "plain_text", "text": "How often"},
             "element": {"type": "static_select", "action_id": CADENCE_ACTION, "options": cadence,
                         "initial_option": cadence[0]}},
            {"type": "input", "block_id": WEEKDAY_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Day (for once a week)"},
             "element": {"type": "static_select", "action_id": WEEKDAY_ACTION, "options": days,
                         "initial_option": days[0]}},
            {"type": "input", "block_id": TIME_BLOCK, "label": {"type": "plain_text", "text": "Time"},
             "element": {"type": "timepicker", "action_id": TIME_ACTION, "initial_time": default_time}},
            {"type": "input", "block_id": ZONE_BLOCK, "label": {"type": "plain_text", "text": "Time zone"},
             "hint": {"type": "plain_text", "text": "An IANA name, like Europe/Brussels or America/New_York."},
             "element": {"type": "plain_text_input", "action_id": ZONE_ACTION, "initial_value": default_zone,
                         "max_length": 64}},
            {"type": "input", "block_id": CONTENT_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "Content"},
             "element": {"type": "checkboxes", "action_id": CONTENT_ACTION, "options": [management],
                         "initial_options": [management]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "verbatim": True, "text": PRIVATE_NOTE}]},
        ],
    }


def subscribe_values(state: dict[str, Any]) -> dict[str, Any]:
    """The submitted modal's choices: channel, cadence, weekday, time, zone, include_management (raw)."""
    values = state.get("values") or {}

    def field(block: str, action: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(action) or {}
        return found if isinstance(found, dict) else {}

    cadence = (field(CADENCE_BLOCK, CADENCE_ACTION).get("selected_option") or {}).get("value") or "daily"
    day = (field(WEEKDAY_BLOCK, WEEKDAY_ACTION).get("selected_option") or {}).get("value")
    content = field(CONTENT_BLOCK, CONTENT_ACTION)
    picked = {o.get("value") for o in content.get("selected_options") or [] if isinstance(o, dict)}
    return {
        "channel": str(field(CHANNEL_BLOCK, CHANNEL_ACTION).get("selected_conversation") or ""),
        "cadence": str(cadence),
        "weekday": int(day) if isinstance(day, str) and day.isdigit() else None,
        "time": str(field(TIME_BLOCK, TIME_ACTION).get("selected_time") or ""),
        "zone": str(field(ZONE_BLOCK, ZONE_ACTION).get("value") or ""),
        # Without the checkboxes in the state at all (an older client), keep the default: included.
        "include_management": INCLUDE_MANAGEMENT in picked if CONTENT_BLOCK in values else True,
    }
