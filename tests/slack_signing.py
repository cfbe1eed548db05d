"""Slack request signing and builders for the request bodies Slack sends, shaped like the real ones.

``sign`` computes the v0 signature Slack puts on every HTTP request with slack_sdk's ``SignatureVerifier``, so
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
from slack_sdk.signature import SignatureVerifier

VERIFICATION_TOKEN = "fake-verification-token"  # the legacy token Slack still includes in bodies
TEAM_DOMAIN = "fake-team"

_ts_counter = itertools.count(1)


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers Slack would send with ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    try:
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    except UnicodeDecodeError:
        # SignatureVerifier decodes the body first; Slack never sends bytes that are not UTF-8, but the
        # hostile-request tests do, signed as Slack's rule says: HMAC-SHA256 over v0:<ts>:<raw bytes>.
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


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


def _channel_type(channel: str) -> str:
    return "im" if channel.startswith("D") else "group" if channel.startswith("G") else "channel"


# ---- edits and deletions -------------------------------------------------------------------------------------


def message_changed_event(
    original: dict[str, Any], new_text: str, *, channel_type: str | None = None, with_mention: bool = False
) -> dict[str, Any]:
    """``message`` subtype ``message_changed`` for a person's edit of ``original`` (a message or app_mention event).

    Slack sends the whole new message under ``message`` (same ts, an ``edited`` stamp) and the old one under
    ``previous_message``; the event itself is ``hidden`` and has no ``user``.
    """
    text = f"<@{BOT_USER_ID}> {new_text}" if with_mention else new_text
    edited_ts = new_ts()
    message = {
        "client_msg_id": original.get("client_msg_id", str(uuid.uuid4())),
        "type": "message",
        "text": text,
        "user": original["user"],
        "team": TEAM_ID,
        "ts": original["ts"],
        "edited": {"user": original["user"], "ts": edited_ts},
        "blocks": _rich_text(new_text, mention=BOT_USER_ID if with_mention else None),
    }
    previous = {k: original[k] for k in ("type", "text", "user", "ts", "team") if k in original}
    previous["type"] = "message"
    for m in (message, previous):
        if original.get("thread_ts"):
            m["thread_ts"] = original["thread_ts"]
    channel = str(original["channel"])
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "ts": edited_ts,
        "event_ts": edited_ts,
        "channel_type": channel_type or original.get("channel_type") or _channel_type(channel),
    }


def message_deleted_event(original: dict[str, Any], *, channel_type: str | None = None) -> dict[str, Any]:
    """``message`` subtype ``message_deleted``: ``deleted_ts`` names the message; ``previous_message`` is it."""
    ts = new_ts()
    channel = str(original["channel"])
    previous = {k: original[k] for k in ("type", "text", "user", "ts", "team", "thread_ts") if k in original}
    previous["type"] = "message"
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "deleted_ts": original["ts"],
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel_type or original.get("channel_type") or _channel_type(channel),
    }


# ---- shortcuts, modals, options ------------------------------------------------------------------------------


def _user(user: str) -> dict[str, Any]:
    return {"id": user, "username": f"user-{user.lower()}", "name": f"user-{user.lower()}", "team_id": TEAM_ID}


def trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def message_shortcut(
    callback_id: str,
    message: dict[str, Any],
    *,
    user: str = "U2",
    response_url: str = "https://hooks.slack.com/app/T1/1/fake",
) -> dict[str, Any]:
    """A ``message_action`` payload: a message shortcut chosen on ``message`` (a message event)."""
    channel = str(message.get("channel") or "C1")
    shown = {k: v for k, v in message.items() if k not in ("channel", "event_ts", "channel_type", "client_msg_id")}
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user),
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": shown,
    }


def global_shortcut(callback_id: str, *, user: str = "U1") -> dict[str, Any]:
    return {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
    }


def view_submission(
    view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], *, user: str = "U1",
    view_id: str = "V0001",
) -> dict[str, Any]:
    """A ``view_submission`` of the modal ``view`` (as natobot opened it) with ``state.values`` = ``values``."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "view": {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": values},
            "hash": "156772938.1827394",
            "title": view.get("title"),
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_suggestion(action_id: str, value: str, *, block_id: str = "b1", user: str = "U1",
                     view: dict[str, Any] | None = None) -> dict[str, Any]:
    """What Slack sends for an external select as the user types (``block_suggestion``)."""
    return {
        "type": "block_suggestion",
        "user": _user(user),
        "container": {"type": "view", "view_id": "V0001"},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view or {"id": "V0001", "type": "modal", "callback_id": "natobot_lookup", "private_metadata": ""},
    }


def home_block_actions(action_id: str, value: str | None = None, *, user: str = "U1",
                       extra: dict[str, Any] | None = None, block_id: str = "b1",
                       state: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``block_actions`` from the App Home tab: a view container, no channel, no message and no response_url."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": "button",
                              "action_ts": f"{time.time():.6f}", "text": {"type": "plain_text", "text": "Button"}}
    if value is not None:
        action["value"] = value
    action.update(extra or {})
    return {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {"id": "VHOME", "team_id": TEAM_ID, "type": "home", "blocks": [], "private_metadata": "",
                 "callback_id": "", "state": {"values": state or {}}, "hash": "h", "app_id": APP_ID,
                 "bot_id": BOT_ID},
        "actions": [action],
    }


# ---- the assistant surface -----------------------------------------------------------------------------------


def assistant_thread_started_event(*, user: str = "U1", channel: str = "D1", thread_ts: str | None = None,
                                   context: dict[str, Any] | None = None) -> dict[str, Any]:
    ts = thread_ts or new_ts()
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": user,
            "context": context or {},
            "channel_id": channel,
            "thread_ts": ts,
        },
        "event_ts": new_ts(),
    }


def assistant_thread_context_changed_event(*, user: str = "U1", channel: str = "D1", thread_ts: str,
                                           context: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "assistant_thread_context_changed",
        "assistant_thread": {"user_id": user, "context": context, "channel_id": channel, "thread_ts": thread_ts},
        "event_ts": new_ts(),
    }


def assistant_user_message_event(text: str, *, thread_ts: str, user: str = "U1",
                                 channel: str = "D1") -> dict[str, Any]:
    """A person's message in an assistant thread: a ``message.im`` with ``thread_ts``."""
    event = message_event(text, user=user, channel=channel, channel_type="im", thread_ts=thread_ts)
    event["parent_user_id"] = BOT_USER_ID
    return event
