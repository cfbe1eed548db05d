"""Buttons: related questions (asked in the same thread, with its context), feedback, Share in channel."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.render import blocks
from bot.slack_app import Deps
from handlers.commands import command_answer, share_payload
from handlers.common import (
    answer_in_conversation,
    apologise,
    ask,
    command_key,
    count_answer,
    dm_key,
    log,
    remember,
    replacing,
    thread_key,
)

ASK_ACTION = re.compile(r"^natobot_ask_\d+$")
THANKS = "Thanks for the feedback."


class _Where:
    """Where a button was clicked, read from a block_actions payload."""

    def __init__(self, body: dict[str, Any]) -> None:
        container = body.get("container") or {}
        message = body.get("message") or {}
        user = body.get("user") or {}
        self.user = str(user.get("id") or "")
        self.team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
        self.channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        self.response_url = str(body.get("response_url") or "")
        # Ephemeral messages (slash command answers) come without `message`; only the response_url reaches them.
        self.ephemeral = bool(container.get("is_ephemeral")) or not message
        self.message_ts = str(container.get("message_ts") or message.get("ts") or "")
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
        asked = await ask(deps, question, where.key)
        if where.ephemeral:
            await remember(deps, where.key, asked)
            payload = blocks.render(asked.answer, ephemeral=True)
            if await deps.post.respond(where.response_url, replacing({"response_type": "ephemeral",
                                                                      "replace_original": False, **payload})):
                count_answer(deps, asked.answer, "button", started)
            return
        if not where.channel:
            return  # a button outside any conversation (none exist today)
        await answer_in_conversation(deps, client, channel=where.channel, thread_ts=where.thread_ts, key=where.key,
                                     asked=asked, where="button", started=started)
    except Exception:
        await apologise(deps, client, channel="" if where.ephemeral else where.channel, thread_ts=where.thread_ts,
                        what="ask button", response_url=where.response_url if where.ephemeral else None)


def parse_feedback(value: str) -> tuple[str, str | None]:
    try:
        data = json.loads(value)
    except ValueError:
        return "", None
    if not isinstance(data, dict):
        return "", None
    q, e = data.get("q"), data.get("e")
    return (q if isinstance(q, str) else ""), (e if isinstance(e, str) and e else None)


async def handle_feedback(deps: Deps, client: AsyncWebClient, body: dict[str, Any],
                          vote: Literal["up", "down"]) -> None:
    """Store a thumbs up/down (one per person per message) and thank the person, only to them."""
    where = _Where(body)
    question, entry = parse_feedback(_value(body))
    if entry is not None and entry not in deps.engine.kb.entries:
        # The value comes back from Slack as the user's client sent it: only a knowledge-base id is stored.
        log.info("feedback names no knowledge-base entry; stored without one")
        entry = None
    try:
        await deps.store.record_feedback(team=where.team, channel=where.channel, user=where.user,
                                         message_ts=where.message_ts, question=question, entry=entry, vote=vote)
        if where.ephemeral:
            await deps.post.respond(where.response_url, {"response_type": "ephemeral", "replace_original": False,
                                                         "text": THANKS})
        else:
            await deps.post.post_ephemeral(client, channel=where.channel, user=where.user, text=THANKS,
                                           thread_ts=where.thread_ts)
    except Exception:
        await apologise(deps, client, channel="" if where.ephemeral else where.channel, thread_ts=where.thread_ts,
                        what="feedback", response_url=where.response_url if where.ephemeral else None)


async def handle_share(deps: Deps, body: dict[str, Any], *, started: float | None = None) -> None:
    """Post an ephemeral `/nato` answer to the channel for everyone, then remove the private copy."""
    where = _Where(body)
    try:
        asked, _note = await command_answer(deps, _value(body), where.key)
        if asked is None:
            return
        payload = share_payload(asked.answer, where.user)
        # The response_url can post in the channel even where the bot is not a member, as the command could.
        if await deps.post.respond(where.response_url, {"response_type": "in_channel", "replace_original": False,
                                                        **payload}):
            count_answer(deps, asked.answer, "share", started)
            await deps.post.respond(where.response_url, {"delete_original": True})
    except Exception:
        await apologise(deps, None, channel="", thread_ts=None, what="share", response_url=where.response_url)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ASK_ACTION)
    async def on_ask(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        deps.track()
        await ack()
        async with deps.answering(context):
            await handle_ask(deps, client, body, started=context.get("natobot_started"))

    @app.action(blocks.FEEDBACK_UP)
    async def on_up(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        deps.track()
        await ack()
        await handle_feedback(deps, client, body, "up")

    @app.action(blocks.FEEDBACK_DOWN)
    async def on_down(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        deps.track()
        await ack()
        await handle_feedback(deps, client, body, "down")

    @app.action(blocks.SHARE_ACTION)
    async def on_share(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        deps.track()
        await ack()
        async with deps.answering(context):
            await handle_share(deps, body, started=context.get("natobot_started"))

    log.debug("action listeners registered")
