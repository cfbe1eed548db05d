"""Slack request signing and builders for the request bodies Slack sends, shaped like the real ones.

``sign`` computes the v0 signature Slack puts on every HTTP request (HMAC-SHA256 over ``v0:<ts>:<body>``), so
tests can post to the app's HTTP endpoints exactly as Slack would. The builders return the JSON bodies of the
Events API, the form fields of slash commands and the payloads of interactive (block_actions) requests; the same
dicts go inside Socket Mode envelopes (see ``fakeslack.envelope``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from fakeslack import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

VERIFICATION_TOKEN = "fake-verification-token"  # the legacy token Slack still includes in bodies
TEAM_DOMAIN = "fake-team"

_ts_counter = itertools.count(1)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers Slack would send with ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(body: bytes, secret: str, *, json_body: bool, timestamp: int | None = None) -> dict[str, str]:
    """``sign`` plus the Content-Type Slack uses: JSON for events, form-encoded for commands and actions."""
    content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
    return {"Content-Type": content_type, **sign(body, secret, timestamp)}


def new_ts() -> str:
    """A fresh, increasing Slack message timestamp."""
    return f"{1_700_000_000 + next(_ts_counter)}.000100"


def _rich_text(text: str, mention: str | None = None) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if mention:
        elements.append({"type": "user", "user_id": mention})
    elements.append({"type": "text", "text": text})
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


# ---- Events API ----------------------------------------------------------------------------------------------


def event_callback(
    event: dict[str, Any], *, event_id: str | None = None, team_id: str = TEAM_ID, api_app_id: str = APP_ID
) -> dict[str, Any]:
    """The ``event_callback`` body that wraps an event (HTTP body, or the events_api envelope payload)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + uuid.uuid4().hex,
    }


def url_verification(challenge: str = "fake-challenge") -> dict[str, Any]:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def app_mention_event(
    text: str, *, user: str = "U1", channel: str = "C1", ts: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    """``app_mention``: Slack puts the bot mention ``<@UBOT>`` at the front of ``text``."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": f"<@{BOT_USER_ID}> {text}",
        "user": user,
        "ts": ts,
        "blocks": _rich_text(" " + text, mention=BOT_USER_ID),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_event(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    parent_user_id: str | None = None,
) -> dict[str, Any]:
    """A plain user ``message`` event (channel_type "channel", "group", "im" or "mpim")."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": _rich_text(text),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or BOT_USER_ID
    return event


def message_im_event(text: str, *, user: str = "U1", channel: str = "D1", ts: str | None = None) -> dict[str, Any]:
    """``message.im``: a direct message to the bot."""
    return message_event(text, user=user, channel=channel, channel_type="im", ts=ts)


def thread_message_event(
    text: str, *, thread_ts: str, user: str = "U1", channel: str = "C1", parent_user_id: str | None = None
) -> dict[str, Any]:
    """A reply in a thread (``message.channels`` with ``thread_ts``)."""
    return message_event(text, user=user, channel=channel, thread_ts=thread_ts, parent_user_id=parent_user_id)


def app_home_opened_event(*, user: str = "U1", channel: str = "D1", tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": tab, "event_ts": new_ts()}


# ---- slash commands ------------------------------------------------------------------------------------------


def slash_command(
    text: str,
    *,
    command: str = "/nato",
    user: str = "U1",
    channel: str = "C1",
    channel_name: str = "general",
    response_url: str = "https://hooks.slack.com/commands/T1/1/fake",
) -> dict[str, str]:
    """The fields of a slash command request (the socket payload; ``form_body`` of it is the HTTP body)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": f"user-{user.lower()}",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
    }


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def json_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


# ---- interactivity -------------------------------------------------------------------------------------------


def block_actions(
    action_id: str,
    value: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    message_ts: str | None = None,
    ephemeral: bool = False,
    message: dict[str, Any] | None = None,
    response_url: str = "https://hooks.slack.com/actions/T1/1/fake",
    block_id: str = "b1",
    text: str = "Button",
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button click. Ephemeral messages come without ``message``."""
    message_ts = message_ts or new_ts()
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": f"user-{user.lower()}", "name": f"user-{user.lower()}", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral},
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": text, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    if not ephemeral:
        payload["message"] = message or {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "answer",
            "ts": message_ts,
        }
    return payload


def interactive_body(payload: dict[str, Any]) -> bytes:
    """The HTTP body of an interactive request: form-encoded ``payload=<json>``."""
    return form_body({"payload": json.dumps(payload)})
