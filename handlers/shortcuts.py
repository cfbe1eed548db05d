"""The message shortcut "Ask natobot": answers about any message, privately first, then in its thread if wanted.

The answer comes back ephemerally through the shortcut's response_url (so it works in any conversation, the bot
a member or not); a "Reply in thread" button posts the same answer in the message's thread for everyone.
Follow-ups in that thread keep the context, as for a mention there.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks
from bot.slack.deps import Deps
from handlers.common import (
    answer_in_conversation,
    apologise,
    ask,
    card,
    count_answer,
    remember,
    slack_to_plain,
    thread_key,
)
from handlers.listener import listener

CALLBACK_ID = "natobot_ask_message"
REPLY_ACTION = "natobot_reply_in_thread"
NO_TEXT = "That message has no text I can read. Try the shortcut on a message with a question in it."
NOT_MEMBER = ("I can't post in this conversation: invite me first (`/invite @natobot`), or keep the answer "
              "private.")


def _thread_of(message: dict[str, Any]) -> str:
    return str(message.get("thread_ts") or message.get("ts") or "")


def with_reply_button(payload: dict[str, Any], value: str) -> dict[str, Any]:
    """The ephemeral card's Share button becomes "Reply in thread" (share would post outside the thread)."""
    for block in payload["blocks"]:
        if block.get("type") != "actions":
            continue
        for i, element in enumerate(block["elements"]):
            if element.get("action_id") == blocks.SHARE_ACTION:
                block["elements"][i] = blocks.button("Reply in thread", REPLY_ACTION, value, style="primary")
    return payload


async def handle_shortcut(deps: Deps, body: dict[str, Any], *, bot_user_id: str | None,
                          started: float | None = None) -> None:
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or "")
    team = str((body.get("team") or {}).get("id") or "")
    response_url = str(body.get("response_url") or "")
    question = slack_to_plain(str(message.get("text") or ""), bot_user_id)
    try:
        if not question:
            await deps.post.respond(response_url, {"response_type": "ephemeral", **blocks.notice(NO_TEXT)})
            return
        thread = _thread_of(message)
        key = thread_key(team, channel, thread)
        asked = await ask(deps, question, key)
        await remember(deps, key, asked)
        value = json.dumps({"c": channel, "t": thread, "q": question[:1500]}, ensure_ascii=False)
        payload = with_reply_button(card(deps, asked.answer, ephemeral=True), value[: blocks.BUTTON_VALUE])
        if await deps.post.respond(response_url, {"response_type": "ephemeral", "replace_original": False,
                                                  **payload}):
            count_answer(deps, asked.answer, "shortcut", started)
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="message shortcut", response_url=response_url)


async def handle_reply_in_thread(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                                 started: float | None = None) -> None:
    """Post the shortcut's answer in the message's thread, then remove the private copy."""
    response_url = str(body.get("response_url") or "")
    team = str((body.get("team") or {}).get("id") or "")
    try:
        data = json.loads(str((body.get("actions") or [{}])[0].get("value") or "{}"))
        channel, thread, question = str(data.get("c") or ""), str(data.get("t") or ""), str(data.get("q") or "")
    except (ValueError, AttributeError):
        return
    if not channel or not thread or not question:
        return
    try:
        key = thread_key(team, channel, thread)
        asked = await ask(deps, question, key)
        ts = await answer_in_conversation(deps, client, channel=channel, thread_ts=thread, key=key, asked=asked,
                                          where="shortcut-thread", started=started)
        if ts is None:
            await deps.post.respond(response_url, {"response_type": "ephemeral", "replace_original": False,
                                                   **blocks.notice(NOT_MEMBER)})
            return
        await deps.post.respond(response_url, {"delete_original": True})
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="reply in thread", response_url=response_url)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.message_shortcut(CALLBACK_ID)
    @listener(deps, ack=True, answering=True)
    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await handle_shortcut(deps, body, bot_user_id=context.bot_user_id, started=context.get("natobot_started"))

    @app.action(REPLY_ACTION)
    @listener(deps, ack=True, answering=True)
    async def on_reply(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                       context: AsyncBoltContext) -> None:
        await handle_reply_in_thread(deps, client, body, started=context.get("natobot_started"))
