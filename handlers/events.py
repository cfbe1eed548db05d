"""Mentions, DMs and auto-answer channels: the Events API listeners and the plain functions behind them."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Deps
from handlers.common import (
    ANSWERED,
    answer_in_conversation,
    apologise,
    ask,
    best_effort,
    claim,
    dm_key,
    log,
    slack_to_plain,
    thread_key,
)

# Message subtypes that are a person saying something; edits, deletions, joins, bot posts and the rest are not.
_SPOKEN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def ignored(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """The bot's own messages, other bots, edits, deletions, joins and hidden events get no answer."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") not in _SPOKEN_SUBTYPES:
        return True
    user = event.get("user")
    # An `edited` app_mention is Slack re-announcing an edited message: it was answered the first time.
    return not user or user == bot_user_id or bool(event.get("hidden")) or "edited" in event


def _team(body: dict[str, Any]) -> str:
    event = body.get("event") or {}
    return str(body.get("team_id") or event.get("team") or "")


async def is_auto_channel(deps: Deps, client: AsyncWebClient, channel: str) -> bool:
    """Is `channel` one of NATOBOT_AUTO_CHANNELS (by id, or by name resolved once per channel)?"""
    settings = deps.settings
    if channel in settings.auto_channel_ids:
        return True
    if not settings.auto_channel_names or channel.startswith("D"):
        return False
    name = deps.channel_names.get(channel)
    if name is None:
        try:
            info = await client.conversations_info(channel=channel)
        except SlackApiError as exc:
            log.warning("conversations.info for %s failed: %s", channel, exc.response.get("error"))
            return False
        name = str((info.get("channel") or {}).get("name") or "")
        deps.channel_names[channel] = name
    return name.lower() in settings.auto_channel_names


async def handle_mention(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                         bot_user_id: str | None, started: float | None = None) -> None:
    """A mention in a channel: answer in a thread under it (or in the thread it was asked in)."""
    event = body.get("event") or {}
    channel = str(event.get("channel") or "")
    if ignored(event, bot_user_id) or not channel or channel.startswith("D"):
        return  # a DM is answered by the message.im listener
    thread_ts = str(event.get("thread_ts") or event.get("ts") or "") or None
    try:
        key = thread_key(_team(body), channel, thread_ts or "")
        asked = await ask(deps, slack_to_plain(str(event.get("text") or ""), bot_user_id), key,
                          fresh=not event.get("thread_ts"))
        if not await claim(deps, body):
            return
        await answer_in_conversation(deps, client, channel=channel, thread_ts=thread_ts, key=key, asked=asked,
                                     where="mention", started=started, question_ts=str(event.get("ts") or ""),
                                     team=_team(body))
    except Exception:
        await apologise(deps, client, channel=channel, thread_ts=thread_ts, what="app_mention")


async def handle_message(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                         bot_user_id: str | None, started: float | None = None) -> None:
    """A DM (answered in the DM) or a message in an auto-answer channel (answered in a thread)."""
    event = body.get("event") or {}
    if ignored(event, bot_user_id):
        return
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    text = str(event.get("text") or "")
    team = _team(body)
    is_dm = event.get("channel_type") == "im" or channel.startswith("D")
    parent = str(event.get("thread_ts") or "") or None
    thread_ts = parent if is_dm else (parent or ts)
    try:
        if is_dm:
            key, where = dm_key(team, channel), "dm"
        else:
            if bot_user_id and f"<@{bot_user_id}" in text:
                return  # the app_mention listener answers it
            if not await is_auto_channel(deps, client, channel):
                return
            key, where = thread_key(team, channel, thread_ts or ts), "auto"
            # In a thread, only follow up where natobot is already part of the conversation.
            if parent and parent != ts and await best_effort(
                    "loading the thread's context", deps.store.load_context(key), None) is None:
                return
        question = slack_to_plain(text, bot_user_id)
        asked = await ask(deps, question, key, fresh=where == "auto" and not parent)
        # Without a mention, only speak when there is something to say: an answer, or a question asked.
        if where == "auto" and asked.answer.status not in ANSWERED and "?" not in question:
            return
        if not await claim(deps, body):
            return
        await answer_in_conversation(deps, client, channel=channel, thread_ts=thread_ts, key=key, asked=asked,
                                     where=where, started=started, question_ts=ts, team=team)
    except Exception:
        await apologise(deps, client, channel=channel, thread_ts=thread_ts, what="message")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_mention")
    async def on_app_mention(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        deps.track()
        async with deps.answering(context):
            await handle_mention(deps, client, body, bot_user_id=context.bot_user_id,
                                 started=context.get("natobot_started"))

    @app.event("message")
    async def on_message(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        deps.track()
        async with deps.answering(context):
            await handle_message(deps, client, body, bot_user_id=context.bot_user_id,
                                 started=context.get("natobot_started"))
