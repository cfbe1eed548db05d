"""Buttons: related questions (asked in the same thread, with its context), Share in channel (feedback:
handlers.feedback)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks
from bot.slack.deps import Deps
from handlers.clicks import clicked
from handlers.commands import command_answer, share_payload
from handlers.common import (
    answer_in_conversation,
    answer_in_dm,
    apologise,
    ask,
    card,
    command_key,
    count_answer,
    dm_key,
    log,
    remember,
    replacing,
    thread_key,
)
from handlers.listener import listener

ASK_ACTION = re.compile(r"^natobot_ask_\d+$")


class _Where:
    """Where a button was clicked, read from a block_actions payload."""

    def __init__(self, body: dict[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        self.user, self.team, self.channel, self.message_ts, self.response_url = clicked(body)
        # A view (the App Home, a modal) has no conversation and no response_url: answers go to the DM.
        self.in_view = container.get("type") == "view" or (not self.channel and not self.response_url)
        # Ephemeral messages (slash command answers) come without `message`; only the response_url reaches them.
        self.ephemeral = not self.in_view and (bool(container.get("is_ephemeral")) or not message)
        parent = str(message.get("thread_ts") or container.get("thread_ts") or "") or None
        self.is_dm = self.channel.startswith("D")
        self.thread_ts = parent if self.is_dm else (parent or self.message_ts or None)

    @property
    def key(self) -> str:
        if self.ephemeral:
            return command_key(self.team, self.channel, self.user)
        if self.is_dm:
            return dm_key(self.team, self.channel)
        return thread_key(self.team, self.channel, self.thread_ts or "")


def _value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


async def handle_ask(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                     started: float | None = None) -> None:
    """A related-question or suggestion button: ask it where the button is, keeping that conversation."""
    where = _Where(body)
    question = _value(body)
    try:
        if where.in_view:
            if where.user and question:
                await answer_in_dm(deps, client, user=where.user, team=where.team, question=question,
                                   where="home", started=started)
            return
        asked = await ask(deps, question, where.key)
        if where.ephemeral:
            await remember(deps, where.key, asked)
            payload = card(deps, asked.answer, ephemeral=True)
            if await deps.post.respond(where.response_url, replacing({"response_type": "ephemeral",
                                                                      "replace_original": False, **payload})):
                count_answer(deps, asked.answer, "button", started)
            return
        await answer_in_conversation(deps, client, channel=where.channel, thread_ts=where.thread_ts, key=where.key,
                                     asked=asked, where="button", started=started)
    except Exception:
        await apologise(deps, client, channel="" if where.ephemeral else where.channel, thread_ts=where.thread_ts,
                        what="ask button", response_url=where.response_url if where.ephemeral else None)


async def handle_share(deps: Deps, body: dict[str, Any], *, started: float | None = None) -> None:
    """Post an ephemeral `/nato` answer to the channel for everyone, then remove the private copy."""
    where = _Where(body)
    try:
        asked, _note = await command_answer(deps, _value(body), where.key)
        if asked is None:
            return
        payload = share_payload(deps, asked.answer, where.user)
        # The response_url can post in the channel even where the bot is not a member, as the command could.
        if await deps.post.respond(where.response_url, {"response_type": "in_channel", "replace_original": False,
                                                        **payload}):
            count_answer(deps, asked.answer, "share", started)
            await deps.post.respond(where.response_url, {"delete_original": True})
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="share", response_url=where.response_url)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ASK_ACTION)
    @listener(deps, ack=True, answering=True)
    async def on_ask(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await handle_ask(deps, client, body, started=context.get("natobot_started"))

    @app.action(blocks.SHARE_ACTION)
    @listener(deps, ack=True, answering=True)
    async def on_share(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await handle_share(deps, body, started=context.get("natobot_started"))

    log.debug("action listeners registered")
