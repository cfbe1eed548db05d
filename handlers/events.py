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
from handlers.listener import listener

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


async def _conversation(deps: Deps, client: AsyncWebClient, event: dict[str, Any], *, team: str, is_dm: bool,
                        bot_user_id: str | None) -> tuple[str, str] | None:
    """The conversation a message is answered in (its context key, and "dm" or "auto"), or None when
    natobot stays out of it."""
    channel = str(event.get("channel") or "")
    if is_dm:
        return dm_key(team, channel), "dm"
    if bot_user_id and f"<@{bot_user_id}" in str(event.get("text") or ""):
        return None  # the app_mention listener answers it
    if not await is_auto_channel(deps, client, channel):
        return None
    ts = str(event.get("ts") or "")
    parent = str(event.get("thread_ts") or "") or None
    key = thread_key(team, channel, parent or ts)
    # In a thread, only follow up where natobot is already part of the conversation.
    if parent and parent != ts and await best_effort(
            "loading the thread's context", deps.store.load_context(key), None) is None:
        return None
    return key, "auto"


def _threads(event: dict[str, Any], channel: str) -> tuple[bool, str | None, str | None]:
    """Whether a message is a DM, the thread it was posted in, and the thread its reply goes in: a DM is
    answered where it was asked, a channel message in a thread under it."""
    is_dm = event.get("channel_type") == "im" or channel.startswith("D")
    parent = str(event.get("thread_ts") or "") or None
    return is_dm, parent, parent if is_dm else (parent or str(event.get("ts") or ""))


def _worth_saying(where: str, status: str, question: str) -> bool:
    """Without a mention, only speak when there is something to say: an answer, or a question asked."""
    return where != "auto" or status in ANSWERED or "?" in question


async def handle_message(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                         bot_user_id: str | None, started: float | None = None) -> None:
    """A DM (answered in the DM) or a message in an auto-answer channel (answered in a thread)."""
    event = body.get("event") or {}
    if ignored(event, bot_user_id):
        return
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    team = _team(body)
    is_dm, parent, thread_ts = _threads(event, channel)
    try:
        conversation = await _conversation(deps, client, event, team=team, is_dm=is_dm, bot_user_id=bot_user_id)
        if conversation is None:
            return
        key, where = conversation
        question = slack_to_plain(str(event.get("text") or ""), bot_user_id)
        asked = await ask(deps, question, key, fresh=where == "auto" and not parent)
        if not _worth_saying(where, asked.answer.status, question) or not await claim(deps, body):
            return
        await answer_in_conversation(deps, client, channel=channel, thread_ts=thread_ts, key=key, asked=asked,
                                     where=where, started=started, question_ts=ts, team=team)
    except Exception:
        await apologise(deps, client, channel=channel, thread_ts=thread_ts, what="message")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_mention")
    @listener(deps, answering=True)
    async def on_app_mention(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await handle_mention(deps, client, body, bot_user_id=context.bot_user_id,
                             started=context.get("natobot_started"))

    @app.event("message")
    @listener(deps, answering=True)
    async def on_message(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await handle_message(deps, client, body, bot_user_id=context.bot_user_id,
                             started=context.get("natobot_started"))
