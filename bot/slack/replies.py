"""One reply per question, whatever crashed: replies carry Slack message metadata naming their job.

A job run for the first time simply posts. A job that may have replied before (taken over after a crash, or
put off after Slack timed out) first looks for a message carrying its key, in the thread or the DM, and
takes that as its reply. A post whose outcome is unknown (timeout, dropped connection, 5xx) does the same
before trying again. An apology posted for a job is recorded on the job, and the answer that comes later
replaces it (chat.update) instead of adding a second reply.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.poster import Poster
from bot.store.jobs import Job, current_job

log = logging.getLogger("natobot.replies")

EVENT_TYPE = "natobot_reply"
# How far back a DM's history is searched: the reply follows the question, so its page is the first.
HISTORY_LIMIT = 100


def metadata(job: Job, *, apology: bool = False) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"job": job.key, "apology": apology}}


def _question_ts(job: Job) -> str | None:
    event = job.body.get("event")
    if isinstance(event, dict) and event.get("ts"):
        return str(event["ts"])
    container = job.body.get("container")
    if isinstance(container, dict) and container.get("message_ts"):
        return str(container["message_ts"])
    return None


async def find(client: AsyncWebClient, job: Job, *, channel: str, thread_ts: str | None) -> dict[str, Any] | None:
    """The message natobot already posted for `job` in `channel` (its thread, or its history), if any."""
    try:
        if thread_ts:
            resp = await client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True,
                                                      limit=200)
        else:
            resp = await client.conversations_history(channel=channel, oldest=_question_ts(job) or "0",
                                                      include_all_metadata=True, limit=HISTORY_LIMIT)
    except (SlackApiError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        # Not knowing means posting: a possible double is better than a certain loss.
        log.warning("could not look for an earlier reply to %s: %s", job.where, type(exc).__name__)
        return None
    for message in resp.get("messages") or []:
        data = message.get("metadata") or {}
        payload = data.get("event_payload") or {}
        if data.get("event_type") == EVENT_TYPE and payload.get("job") == job.key:
            return {"ts": str(message.get("ts") or ""), "apology": bool(payload.get("apology"))}
    return None


async def reply(poster: Poster, client: AsyncWebClient, *, channel: str, thread_ts: str | None, text: str,
                blocks: list[dict[str, Any]] | None) -> str | None:
    """Post the answer to the current job once (or without a job, simply post it); its ts, or None."""
    job = current_job.get()
    if job is None:
        return await poster.post_message(client, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
    if job.reply_ts is None and job.attempts > 1:
        earlier = await find(client, job, channel=channel, thread_ts=thread_ts)
        if earlier is not None and not earlier["apology"]:
            log.info("%s was answered before a crash (ts %s); not answering again", job.where, earlier["ts"])
            job.outcome["replied"] = earlier["ts"]
            return str(earlier["ts"])
        if earlier is not None:
            job.reply_channel, job.reply_ts = channel, earlier["ts"]
    if job.reply_ts is not None and job.reply_channel == channel:
        ts = await poster.update_message(client, channel=channel, ts=job.reply_ts, text=text, blocks=blocks,
                                         metadata=metadata(job))
        if ts is not None:
            job.outcome["replied"] = ts
            return ts

    async def already() -> dict[str, Any] | None:
        found = await find(client, job, channel=channel, thread_ts=thread_ts)
        return {"ok": True, "ts": found["ts"]} if found is not None and not found["apology"] else None

    ts = await poster.post_message(client, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                   metadata=metadata(job), already=already)
    if ts is not None:
        job.outcome["replied"] = ts
    return ts


async def apology(poster: Poster, client: AsyncWebClient, *, channel: str, thread_ts: str | None,
                  text: str) -> None:
    """Post an apology for the current job once; the job is tried again, and its answer replaces this."""
    job = current_job.get()
    if job is None:
        await poster.post_message(client, channel=channel, thread_ts=thread_ts, text=text)
        return
    job.retry_later = job.attempts < APOLOGY_RETRIES
    if job.reply_ts is not None or job.outcome.get("replied"):
        return  # the user already has an apology (or an answer) for this question
    ts = await poster.post_message(client, channel=channel, thread_ts=thread_ts, text=text,
                                   metadata=metadata(job, apology=True))
    if ts is not None:
        job.reply_channel, job.reply_ts = channel, ts


# An answer that failed this often is a bug, not bad luck: the apology stands after the last try.
APOLOGY_RETRIES = 3
