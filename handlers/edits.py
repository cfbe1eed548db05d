"""Follow the conversation: an edited question updates natobot's answer in place, a deleted one deletes it.

Which answer belongs to which question is in the database (Store.save_reply, written when the answer is
posted), so whichever replica gets the edit can act on it. Slack reports an edit as a `message_changed`
event (message.channels / message.groups / message.im) and, for a message that mentions the bot, again as an
`app_mention` carrying `edited`; both lead to one update (the edit is claimed once by its own timestamp).
A deletion is `message_deleted`, or for a thread parent with replies a `message_changed` to a tombstone.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Deps
from bot.store.slack import Reply
from handlers.common import ask, card, log, remember, slack_to_plain
from handlers.events import handle_mention
from handlers.listener import listener


def _is_person(message: dict[str, Any], bot_user_id: str | None) -> bool:
    user = message.get("user")
    return bool(user) and user != bot_user_id and not message.get("bot_id") and not message.get("bot_profile")


async def update_answer(deps: Deps, client: AsyncWebClient, reply: Reply, text: str, *,
                        bot_user_id: str | None) -> bool:
    """Answer the edited question again and replace the old answer with chat.update."""
    question = slack_to_plain(text, bot_user_id)
    asked = await ask(deps, question, reply.context_key)
    await remember(deps, reply.context_key, asked)
    payload = card(deps, asked.answer)
    done = await deps.post.call(client, "chat.update", channel=reply.answer_channel, ts=reply.answer_ts,
                                text=payload["text"], blocks=payload["blocks"])
    if done is not None:
        deps.metrics.answers.inc(where="edit")
    return done is not None


async def delete_answer(deps: Deps, client: AsyncWebClient, channel: str, question_ts: str) -> bool:
    """Delete the answer to a deleted question; only the caller that removes the mapping deletes the message."""
    reply = await deps.store.reply_for(channel, question_ts)
    if reply is None or not await deps.store.forget_reply(channel, question_ts):
        return False
    done = await deps.post.call(client, "chat.delete", channel=reply.answer_channel, ts=reply.answer_ts)
    return done is not None


async def handle_changed(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                         bot_user_id: str | None) -> None:
    """`message_changed`: a person edited (or deleted, leaving a tombstone) a message natobot answered."""
    event = body.get("event") or {}
    channel = str(event.get("channel") or "")
    message = event.get("message") or {}
    question_ts = str(message.get("ts") or "")
    if not channel or not question_ts:
        return
    try:
        await _follow_change(deps, client, event, channel, question_ts, bot_user_id=bot_user_id)
    except Exception:
        log.exception("following an edit in %s failed", channel)
        deps.metrics.errors.inc(kind="handler")


async def _follow_change(deps: Deps, client: AsyncWebClient, event: dict[str, Any], channel: str, question_ts: str,
                         *, bot_user_id: str | None) -> None:
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    if message.get("subtype") == "tombstone":
        await delete_answer(deps, client, channel, question_ts)
        return
    if not _is_person(message, bot_user_id) or message.get("subtype"):
        return
    if message.get("text") == previous.get("text"):
        return  # a link preview or a reaction changed the message, not its words
    reply = await deps.store.reply_for(channel, question_ts)
    if reply is None:
        return  # natobot never answered it
    edited = str((message.get("edited") or {}).get("ts") or event.get("event_ts") or "")
    if not await deps.store.claim_event(f"edit:{channel}:{question_ts}:{edited}"):
        return
    await update_answer(deps, client, reply, str(message.get("text") or ""), bot_user_id=bot_user_id)


async def handle_deleted(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    event = body.get("event") or {}
    channel = str(event.get("channel") or "")
    deleted = str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts") or "")
    if not channel or not deleted:
        return
    try:
        await delete_answer(deps, client, channel, deleted)
    except Exception:
        log.exception("following a deletion in %s failed", channel)
        deps.metrics.errors.inc(kind="handler")


async def handle_edited_mention(deps: Deps, client: AsyncWebClient, body: dict[str, Any], *,
                                bot_user_id: str | None, started: float | None = None) -> None:
    """An `app_mention` with `edited`: update the answer it got, or answer it if the edit added the mention."""
    event = body.get("event") or {}
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    if not channel or not ts or not _is_person(event, bot_user_id):
        return
    try:
        reply = await deps.store.reply_for(channel, ts)
        if reply is None:
            unedited = {k: v for k, v in event.items() if k != "edited"}
            await handle_mention(deps, client, {**body, "event": unedited}, bot_user_id=bot_user_id, started=started)
            return
        edited = str((event.get("edited") or {}).get("ts") or "")
        if not await deps.store.claim_event(f"edit:{channel}:{ts}:{edited}"):
            return
        await update_answer(deps, client, reply, str(event.get("text") or ""), bot_user_id=bot_user_id)
    except Exception:
        log.exception("following an edited mention in %s failed", channel)
        deps.metrics.errors.inc(kind="handler")


def register(app: AsyncApp, deps: Deps) -> None:
    """Registered before handlers.events, whose `message` listener would otherwise take these events."""

    async def is_edited(event: dict[str, Any]) -> bool:
        return "edited" in event

    @app.event({"type": "message", "subtype": "message_changed"})
    @listener(deps, answering=True)
    async def on_changed(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await handle_changed(deps, client, body, bot_user_id=context.bot_user_id)

    @app.event({"type": "message", "subtype": "message_deleted"})
    @listener(deps)
    async def on_deleted(body: dict[str, Any], client: AsyncWebClient) -> None:
        await handle_deleted(deps, client, body)

    @app.event("app_mention", matchers=[is_edited])
    @listener(deps, answering=True)
    async def on_edited_mention(body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        await handle_edited_mention(deps, client, body, bot_user_id=context.bot_user_id,
                                    started=context.get("natobot_started"))
