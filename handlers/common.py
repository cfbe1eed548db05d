"""What the Slack handlers share: Slack text to a plain question, context keys, ask-and-post, apologies.

The functions here take the Web API client as a parameter and know nothing of Bolt, so each listener
stays a thin translation of a Slack payload into one call.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.answering.answer import Answer
from bot.answering.context import Context
from bot.render import blocks
from bot.slack import replies
from bot.slack.deps import Deps
from bot.store.jobs import current_job

log = logging.getLogger("natobot.handlers")

APOLOGY = "Sorry, something went wrong while answering that. Please try again in a moment."
# Statuses that mean the bot could not answer; recorded so a curator can grow the knowledge base.
UNANSWERED = frozenset({"fallback", "no-data", "ambiguous"})
ANSWERED = frozenset({"answer", "no-data", "ambiguous"})

# A database step on the answer's path that takes longer than this is skipped, not waited for.
DB_STEP_TIMEOUT_S = 2.0
T = TypeVar("T")

# Slack's own limit on a message's text; nothing longer is a question (the engine answers "too long" anyway).
MAX_INPUT_CHARS = 40_000
_SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]{1,30}$")
# <@U123>, <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>, <https://x|label>, <mailto:..>
_MARKUP = re.compile(r"<([^<>]*)>")


def is_slack_id(value: object) -> bool:
    return isinstance(value, str) and bool(_SLACK_ID.match(value))


def slack_to_plain(text: str, bot_user_id: str | None) -> str:
    """A message's text as the question a person typed: bot mention dropped, markup as words, unescaped.

    Slack sends `<`, `>` and `&` typed by a user as entities and its own markup in angle brackets; the engine
    wants words. Whatever goes back into Slack is escaped again by the renderer.
    """

    def replace(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return " "
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label.lstrip("@") if label else target[1:].split("^")[0])
        return label or target

    text = text[:MAX_INPUT_CHARS]  # bounded before any pattern sees it
    return html.unescape(_MARKUP.sub(replace, text)).strip() if text else ""


def thread_key(team: str, channel: str, thread_ts: str) -> str:
    return f"thread:{team}:{channel}:{thread_ts}"


def dm_key(team: str, channel: str) -> str:
    return f"dm:{team}:{channel}"


def command_key(team: str, channel: str, user: str) -> str:
    """Slash commands and their ephemeral buttons: one context per person per channel (per DM in a DM)."""
    return dm_key(team, channel) if channel.startswith("D") else f"cmd:{team}:{channel}:{user}"


def _snapshot(ctx: Context) -> tuple[tuple[str, ...], str | None, str | None]:
    return tuple(ctx.entities), ctx.intent, ctx.facet


@dataclass
class Asked:
    answer: Answer
    context: Context
    changed: bool


async def best_effort(what: str, op: Awaitable[T], default: T) -> T:
    """A database step the answer can do without: bounded in time, and skipped when the database fails.

    What is lost is only what needs the database (follow-up context, the unanswered log); the store notes
    the failure for /healthz and reconnects by itself, so the next question tries again.
    """
    try:
        async with asyncio.timeout(DB_STEP_TIMEOUT_S):
            return await op
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        log.info("%s skipped: the database failed (%s)", what, type(exc).__name__)
        return default


async def ask(deps: Deps, question: str, key: str | None, *, fresh: bool = False) -> Asked:
    """Answer `question` with the follow-up context stored under `key` (nothing is saved yet).

    `fresh`: the conversation under `key` starts with this question (a mention outside any thread opens a
    thread of its own), so there is no context to load.
    """
    stored = (await best_effort("loading the follow-up context", deps.store.load_context(key), None)
              if key and not fresh else None)
    ctx = Context(entities=list(stored.entities), intent=stored.intent, facet=stored.facet) if stored else Context()
    before = _snapshot(ctx)
    answer = deps.engine.ask(question, ctx)
    return Asked(answer, ctx, _snapshot(ctx) != before)


async def remember(deps: Deps, key: str | None, asked: Asked) -> None:
    """Save the context (when it moved on) and note a question the bot could not answer.

    Both at once, so they share one transaction (bot.store.write).
    """
    await asyncio.gather(remember_context(deps, key, asked), log_unanswered(deps, asked))


async def remember_context(deps: Deps, key: str | None, asked: Asked) -> None:
    """Save the follow-up context when it moved on (before the answer goes out, so the next question has it)."""
    if key and asked.changed:
        await best_effort("saving the follow-up context", deps.store.save_context(key, asked.context), None)


async def log_unanswered(deps: Deps, asked: Asked) -> None:
    """Note a question the bot could not answer, for the curators' report."""
    answer = asked.answer
    if answer.status in UNANSWERED:
        await best_effort("logging an unanswered question", deps.store.record_unanswered(
            answer.question[:1000], status=answer.status, entry=answer.entry), None)


def card(deps: Deps, answer: Answer, *, ephemeral: bool = False, echo_question: bool | None = None) -> dict[str, Any]:
    """The Block Kit card for `answer`, its related-question buttons leading somewhere new."""
    return blocks.render(deps.related.apply(answer), ephemeral=ephemeral, echo_question=echo_question)


def count_answer(deps: Deps, answer: Answer, where: str, started: float | None) -> None:
    deps.metrics.answers.inc(where=where)
    if not answer.answered:
        deps.metrics.fallbacks.inc(status=answer.status)
    if started is not None:
        deps.metrics.latency.observe(time.perf_counter() - started)


async def claim(deps: Deps, body: dict[str, Any]) -> bool:
    """True the first time this event is seen by any replica (the record is in the shared database).

    Work that came through the work queue was checked there before the ack (bot.slack.work); a rerun of it after a
    crash must not be taken for a duplicate.
    """
    if current_job.get() is not None:
        return True
    event = body.get("event") or {}
    event_id = body.get("event_id") or f"{event.get('channel', '')}:{event.get('event_ts') or event.get('ts', '')}"
    if await best_effort("the event dedup record", deps.store.claim_event(str(event_id)), True):
        return True
    deps.metrics.duplicates.inc()
    log.info("event %s already handled; delivery dropped", event_id)
    return False


async def answer_in_conversation(deps: Deps, client: AsyncWebClient, *, channel: str, thread_ts: str | None,
                                 key: str, asked: Asked, where: str, started: float | None,
                                 question_ts: str | None = None, team: str = "") -> str | None:
    """Post an answer where it was asked (a thread or a DM) and remember the conversation.

    With `question_ts` (the person's message) the answer is remembered as that message's, so editing the
    question updates the answer and deleting it deletes the answer (handlers.edits). The context is saved
    before the answer goes out, so a follow-up typed the moment it shows finds it; the rest waits until the
    answer is out. Each database step is skipped after DB_STEP_TIMEOUT_S when the database is slow or down.
    The steps share transactions: the context with the unanswered log, and which message answered with the job's
    own finish (bot.slack.work), so an answer costs two writes besides the job record made before the ack.
    """
    await remember(deps, key, asked)
    payload = card(deps, asked.answer)
    ts = await replies.reply(deps.post, client, channel=channel, thread_ts=thread_ts, text=payload["text"],
                             blocks=payload["blocks"])
    if ts is not None:
        count_answer(deps, asked.answer, where, started)
        if question_ts:
            answer_ts = ts

            def save_reply() -> Awaitable[None]:
                return deps.store.save_reply(team=team, channel=channel, question_ts=question_ts,
                                             answer_channel=channel, answer_ts=answer_ts, thread_ts=thread_ts,
                                             context_key=key)

            await after_reply("remembering which message answered the question", save_reply)
    return ts


async def after_reply(what: str, write: Callable[[], Awaitable[None]]) -> None:
    """A database step for once the answer is out: made with the running job's finish, in its transaction
    (bot.slack.work), or at once when there is no job."""
    job = current_job.get()
    if job is not None:
        job.settle_with.append(lambda: best_effort(what, write(), None))
    else:
        await best_effort(what, write(), None)


async def apologise(deps: Deps, client: AsyncWebClient | None, *, channel: str, thread_ts: str | None,
                    what: str, response_url: str | None = None) -> None:
    """The user gets a short apology and the log the traceback (call from an `except` block)."""
    log.exception("handler failed: %s", what)
    deps.metrics.errors.inc(kind="handler")
    job = current_job.get()
    try:
        if response_url:
            if job is not None:  # tried again; the answer then replaces this apology (see respond_once)
                job.retry_later = job.attempts < replies.APOLOGY_RETRIES
                if job.reply_ts is not None:
                    return
                job.reply_channel, job.reply_ts = "response_url", "response_url"
            await deps.post.respond(response_url, {"response_type": "ephemeral", "replace_original": False,
                                                   "text": APOLOGY})
        elif client is not None and channel:
            await replies.apology(deps.post, client, channel=channel, thread_ts=thread_ts, text=APOLOGY)
    except Exception:  # the apology must never raise out of the handler
        log.exception("could not post the apology")


def replacing(payload: dict[str, Any]) -> dict[str, Any]:
    """A response_url payload that replaces the apology the current job left there, if it left one."""
    job = current_job.get()
    if job is not None and job.reply_ts == "response_url":
        return {**payload, "replace_original": True}
    return payload
async def answer_in_dm(deps: Deps, client: AsyncWebClient, *, user: str, team: str, question: str, where: str,
                       started: float | None = None) -> str | None:
    """Answer `question` in the person's DM with natobot (from the App Home, which has no channel).

    The question is not on screen there, so the card repeats it. The DM's follow-up context starts from it.
    """
    asked = await ask(deps, question, None)
    payload = card(deps, asked.answer, echo_question=True)
    data = await deps.post.call(client, "chat.postMessage", channel=user, text=payload["text"],
                                blocks=payload["blocks"], unfurl_links=False, unfurl_media=False)
    if data is None:
        return None
    channel = str(data.get("channel") or "")
    if channel:
        await remember(deps, dm_key(team, channel), Asked(asked.answer, asked.context, True))
    count_answer(deps, asked.answer, where, started)
    return channel or None
