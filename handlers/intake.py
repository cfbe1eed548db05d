"""Which Slack requests are work the queue must not lose (bot.slack.work), their dedup keys, and the busy reply.

Answerable work is: a mention, a DM or a message in an auto-answer channel, the slash command, and the
related-question and Share buttons. Everything else (App Home, feedback clicks, edits...) goes straight to
its listener. The checks here are cheap and need no Slack call, since they run before the ack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks
from bot.slack.deps import Deps
from bot.slack.poster import Poster
from bot.slack.work import BUSY
from handlers.actions import ASK_ACTION
from handlers.events import ignored

Classify = Callable[[dict[str, Any]], "tuple[str, str] | None"]


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:40]


def _wants_message(deps: Deps, event: dict[str, Any]) -> bool:
    """A DM, or a message in a channel that may be an auto-answer one (names are resolved later)."""
    if ignored(event, None):
        return False
    channel = str(event.get("channel") or "")
    if event.get("channel_type") == "im" or channel.startswith("D"):
        return True
    settings = deps.settings
    return channel in settings.auto_channel_ids or bool(settings.auto_channel_names)


def classifier(deps: Deps) -> Classify:
    command = deps.settings.natobot_command

    def classify(body: dict[str, Any]) -> tuple[str, str] | None:
        kind = body.get("type")
        if kind == "event_callback":
            event = body.get("event")
            if not isinstance(event, dict):
                return None
            wanted = event.get("type") == "app_mention" or (event.get("type") == "message"
                                                             and _wants_message(deps, event))
            if not wanted:
                return None
            event_id = body.get("event_id") or f"{event.get('channel', '')}:{event.get('event_ts') or event.get('ts')}"
            return "event", f"ev:{event_id}"
        if body.get("command") == command:
            # A trigger id is unique to one invocation: the same signed request sent again carries it again.
            return "command", f"cmd:{body.get('trigger_id') or _digest(body)}"
        if kind == "block_actions":
            actions = body.get("actions")
            first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
            action_id = str(first.get("action_id") or "")
            if ASK_ACTION.match(action_id) or action_id == blocks.SHARE_ACTION:
                return "action", f"act:{body.get('trigger_id') or _digest(body)}"
        return None

    return classify


def busy_reply(deps: Deps, client: AsyncWebClient) -> Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]:
    """The short reply to shed work: one try, no retries (it is sent when natobot is already overloaded)."""
    poster = Poster(deps.metrics, attempts=1, call_timeout=5.0)

    async def reply(kind: str, body: dict[str, Any]) -> None:
        if kind == "event":
            event = body.get("event") or {}
            channel = str(event.get("channel") or "")
            is_dm = event.get("channel_type") == "im" or channel.startswith("D")
            thread_ts = str(event.get("thread_ts") or ("" if is_dm else event.get("ts")) or "") or None
            if channel:
                await poster.post_message(client, channel=channel, thread_ts=thread_ts, text=BUSY)
        elif body.get("response_url"):
            await poster.respond(str(body["response_url"]), {"response_type": "ephemeral",
                                                             "replace_original": False, "text": BUSY})

    return reply
