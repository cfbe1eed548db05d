"""Slack's AI-apps assistant surface, through slack_bolt's own AsyncAssistant: suggested prompts when a thread
starts, a status while natobot works on an answer, and answers in the assistant thread that keep the thread's
follow-up context ("who heads it?" after "what is the IMS?"), exactly as in any other thread.

The thread context Slack sends (which channel the person has open next to the assistant) is kept in natobot's
database (StoreThreadContexts) rather than in message metadata read back with conversations.replies, so it
needs no history scope and every replica sees it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.async_store import AsyncAssistantThreadContextStore
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.save_thread_context.async_save_thread_context import AsyncSaveThreadContext
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import AsyncSetSuggestedPrompts
from slack_bolt.context.set_title.async_set_title import AsyncSetTitle
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.text import plain
from bot.slack.deps import Deps
from bot.store.state import Store
from handlers.common import answer_in_conversation, apologise, ask, best_effort, log, slack_to_plain, thread_key
from handlers.listener import listener

GREETING = ("Hi! I answer questions about NATO's International Military Staff, the NATO command structure, "
            "defence policy alignment and the U.S. Mission to NATO's Integrated Mission Strategy, citing my "
            "sources. Ask away, or pick one of the suggestions.")
PROMPTS_TITLE = "Try asking"
# Four prompts, one per area natobot covers (Slack shows up to four).
PROMPTS = (
    {"title": "Who heads the IMS?", "message": "Who heads the International Military Staff?"},
    {"title": "Where are the Joint Force Commands?", "message": "Where are JFC Naples and JFC Brunssum?"},
    {"title": "How is defence policy aligned?", "message": "How does NATO align defence policy across commands?"},
    {"title": "The U.S. Mission's goals", "message": "What are the U.S. Mission to NATO's mission goals?"},
)
STATUS = "is looking that up…"
TITLE_LIMIT = 60


class StoreThreadContexts(AsyncAssistantThreadContextStore):
    """Assistant thread context in natobot's database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # Best effort, like every database step on the answer's path: without the database the thread has no
    # context, and the question is still answered.
    async def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        await best_effort("saving the assistant thread context",
                          self.store.save_thread_context(channel_id, thread_ts, dict(context)), None)

    async def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = await best_effort("loading the assistant thread context",
                                  self.store.thread_context(channel_id, thread_ts), None)
        return AssistantThreadContext(found) if found and found.get("channel_id") else None


# The only event types Bolt's assistant middleware acts on (slack_bolt.request.payload_utils.is_assistant_event and
# is_other_message_sub_event_in_assistant_thread): assistant threads are DMs, so their messages are `message`.
_ASSISTANT_EVENT_TYPES = frozenset({"assistant_thread_started", "assistant_thread_context_changed", "message"})


class NatobotAssistant(AsyncAssistant):
    """AsyncAssistant that lets edits and deletions in assistant threads through to handlers.edits.

    Bolt's assistant middleware acks and drops every other message sub-event in an assistant thread; natobot
    follows edits and deletions there as it does everywhere else.
    """

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        event = (req.body or {}).get("event") or {}
        kind = event.get("type") if isinstance(event, dict) else None
        if kind not in _ASSISTANT_EVENT_TYPES:
            # Not an event any assistant listener matches (a mention, a command, a click): passing it on at
            # once spares every request asking each of the assistant's matchers in turn.
            return await next()
        if kind == "message" and event.get("subtype") in ("message_changed", "message_deleted"):
            return await next()
        return await super().async_process(req=req, resp=resp, next=next)


async def thread_started(deps: Deps, payload: dict[str, Any], *, say: AsyncSay,
                         set_suggested_prompts: AsyncSetSuggestedPrompts,
                         save_thread_context: AsyncSaveThreadContext) -> None:
    thread = payload.get("assistant_thread") or {}
    try:
        if thread.get("context"):
            await save_thread_context(thread["context"])
        await say(GREETING)
        await set_suggested_prompts(prompts=list(PROMPTS), title=PROMPTS_TITLE)
    except Exception:
        log.exception("starting an assistant thread failed")
        deps.metrics.errors.inc(kind="handler")


async def user_message(deps: Deps, client: AsyncWebClient, payload: dict[str, Any], *, team: str,
                       bot_user_id: str | None, set_status: AsyncSetStatus, set_title: AsyncSetTitle,
                       started: float | None = None) -> None:
    channel = str(payload.get("channel") or "")
    thread_ts = str(payload.get("thread_ts") or "")
    question = slack_to_plain(str(payload.get("text") or ""), bot_user_id)
    try:
        await set_status(STATUS)
        key = thread_key(team, channel, thread_ts)
        first = await best_effort("loading the follow-up context", deps.store.load_context(key), None) is None
        asked = await ask(deps, question, key)
        if first and question:
            await set_title(plain(question, TITLE_LIMIT))
        # Posting in the thread clears the status.
        await answer_in_conversation(deps, client, channel=channel, thread_ts=thread_ts, key=key, asked=asked,
                                     where="assistant", started=started, question_ts=str(payload.get("ts") or ""),
                                     team=team)
    except Exception:
        await apologise(deps, client, channel=channel, thread_ts=thread_ts, what="assistant message")


def register(app: AsyncApp, deps: Deps) -> None:
    assistant = NatobotAssistant(thread_context_store=StoreThreadContexts(deps.store),
                                 logger=log.getChild("assistant"))

    @assistant.thread_started
    @listener(deps)
    async def on_thread_started(payload: dict[str, Any], say: AsyncSay,
                                set_suggested_prompts: AsyncSetSuggestedPrompts,
                                save_thread_context: AsyncSaveThreadContext) -> None:
        await thread_started(deps, payload, say=say, set_suggested_prompts=set_suggested_prompts,
                             save_thread_context=save_thread_context)

    @assistant.user_message
    @listener(deps, answering=True)
    async def on_user_message(payload: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext,
                              set_status: AsyncSetStatus, set_title: AsyncSetTitle) -> None:
        await user_message(deps, client, payload, team=str(context.team_id or ""),
                           bot_user_id=context.bot_user_id, set_status=set_status, set_title=set_title,
                           started=context.get("natobot_started"))

    app.use(assistant)
