"""Sending the digest: the pass that pages through due subscriptions, claims them, posts each exactly once and
records it, and what a failed post means (left due, or the channel marked and paused).

"Exactly once" is the store's job (`claim_deliveries` is one atomic statement per chunk), so `send_due` can run
anywhere, any number of times; a run that died after posting is found out through the message metadata each
digest carries (`find_posted`). Slack's errors are read as bot.slack.poster reads them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.digest.notify import tell_subscriber
from bot.digest.rotation import build_digest, digest_blocks
from bot.digest.schedule import day_start, due_date, next_run
from bot.slack.poster import classify

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.answering.engine import Engine
    from bot.store.digest import Subscription
    from bot.store.state import Store

log = logging.getLogger("natobot.digest")

# Errors that say the channel itself cannot take the post; the subscription is marked and paused
# (re-subscribing clears the mark), other channels carry on. Anything else leaves the digest due.
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# One post should take well under a second; past this the digest is released and left due.
POST_TIMEOUT = 60.0
# Posts in flight at once: enough for 1,000 channels in a few seconds, few enough not to trip Slack's limits.
CONCURRENCY = 16
# Slack message metadata on every digest post, naming its delivery (see find_posted).
METADATA_EVENT = "natobot_digest"
# Messages of a channel's history searched for a digest posted by a run that died: a day's worth in a busy
# channel is more, but the search starts from the day's due time, and the digest is the first post after it.
HISTORY_LIMIT = 200
# Due subscriptions read per query of a pass: large enough that a page's posts keep CONCURRENCY busy for a while,
# small enough that a page's rows and tasks stay a few MB at 100,000 channels.
PAGE = 2000
# Due channels claimed in one write: CLAIM_ROUNDS times CONCURRENCY, so the last of a chunk is posted within
# CLAIM_ROUNDS * POST_TIMEOUT (4 minutes) of its claim, inside the claim's 5-minute lease even if Slack is slow.
CLAIM_ROUNDS = 4
# Chunks between claim and posts at once: while one chunk's claim is written, another's posts go out.
CHUNKS_IN_FLIGHT = 2


@dataclass
class SendReport:
    """What one `send_due` run did; channel lists are sorted for stable output."""

    checked: int = 0  # subscriptions looked at (next_due come: due, changed, paused or left due)
    due: int = 0  # due and not yet sent when looked at
    posted: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # due, but another run holds or sent it
    failed: dict[str, str] = field(default_factory=dict)  # channel -> reason; still due
    channel_errors: dict[str, str] = field(default_factory=dict)  # channel -> Slack error; marked
    paused: list[str] = field(default_factory=list)  # marked with an error earlier: not tried
    recovered: list[str] = field(default_factory=list)  # posted by a run that died first: recorded, not reposted
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(self.posted)} posted", f"{self.due} due", f"{self.checked} subscriptions looked at"]
        if self.taken:
            parts.append(f"{len(self.taken)} handled by another run")
        if self.failed:
            parts.append(f"{len(self.failed)} failed (left due)")
        if self.channel_errors:
            parts.append(f"{len(self.channel_errors)} channel errors")
        if self.paused:
            parts.append(f"{len(self.paused)} paused by an earlier channel error")
        if self.recovered:
            parts.append(f"{len(self.recovered)} found already posted by an interrupted run")
        return "digest send-due: " + ", ".join(parts) + f" in {self.seconds:.2f}s"


async def post_digest(client: AsyncWebClient, channel: str, payload: dict[str, Any],
                      day: date | None = None) -> str | None:
    """chat.postMessage once, no retries (the next run is the retry); the ts. Raises on failure.

    With `day`, the message carries metadata naming the delivery (channel and local day), so a later run can
    find it (`find_posted`) instead of posting it twice.
    """
    extra: dict[str, Any] = {}
    if day is not None:
        extra["metadata"] = {"event_type": METADATA_EVENT,
                             "event_payload": {"channel": channel, "date": day.isoformat()}}
    async with asyncio.timeout(POST_TIMEOUT):
        resp = await client.chat_postMessage(channel=channel, text=payload["text"], blocks=payload["blocks"],
                                             unfurl_links=False, unfurl_media=False, **extra)
    ts = resp.get("ts")
    return str(ts) if ts else None


async def find_posted(client: AsyncWebClient, channel: str, day: date, since: datetime) -> str | None:
    """The ts of the digest for `day` already in `channel` (posted by a run that died before recording it).

    Raises when Slack cannot be asked: not knowing, the delivery is left for a later run rather than risked.
    """
    async with asyncio.timeout(POST_TIMEOUT):
        resp = await client.conversations_history(channel=channel, oldest=f"{since.timestamp():.6f}",
                                                  include_all_metadata=True, limit=HISTORY_LIMIT)
    for message in resp.get("messages") or []:
        data = message.get("metadata") or {}
        payload = data.get("event_payload") or {}
        if data.get("event_type") == METADATA_EVENT and payload.get("date") == day.isoformat():
            return str(message.get("ts") or "") or None
    return None


def _maybe_posted(exc: BaseException) -> bool:
    """After this failure, may the message have been posted all the same? (Slack's ok:false and 429: no.)"""
    if isinstance(exc, SlackApiError):
        return int(exc.response.status_code) >= 500
    return True


def slack_error(exc: BaseException) -> str:
    """A short reason for a failed post: Slack's error code, or the exception's kind."""
    if isinstance(exc, SlackApiError):
        # Read as the poster reads it. A refusal Slack answered with HTTP 200 is shown as its bare code (what
        # CHANNEL_ERRORS names); anything else (5xx, 429, a transient ok:false) as the poster words it.
        status = int(exc.response.status_code)
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = data.get("error")
        reason, transient = classify(status, str(error) if error else None)
        return str(error) if error and not transient and status == 200 else reason
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientError | OSError):
        return f"connection error: {type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"[:200]


async def send_due(store: Store, client: AsyncWebClient, engine: Engine, now: datetime, *,
                   concurrency: int = CONCURRENCY, page: int = PAGE) -> SendReport:
    """Post every digest that is due at `now` and not yet sent, each exactly once across all processes.

    Only subscriptions whose stored next_due has come are read, a page at a time (a pass with nothing due
    costs one index lookup, however many channels subscribe). The due channels are claimed (channel, local
    day) in the store a chunk at a time, in one write per chunk; only the winner of a claim posts. A post that
    fails releases the claim so the next run tries again; a channel error marks the subscription and pauses
    it; a success is marked sent (and the next due instant stored with it) and can never be claimed again.
    One not yet due gets its next_due stored.
    """
    started = asyncio.get_running_loop().time()
    run = _Run(store, client, engine, now, max(concurrency, 1))
    after: tuple[datetime, str] | None = None
    while True:
        subs = await store.due_subscriptions(now, after=after, limit=page)
        await run.page(subs)
        if len(subs) < page:
            break
        last = subs[-1]
        after = (last.next_due or now, last.channel)
    report = run.report
    report.posted.sort()
    report.taken.sort()
    report.recovered.sort()
    report.paused.sort()
    report.seconds = asyncio.get_running_loop().time() - started
    return report


class _Run:
    """One send_due pass: what it posted, and the not-yet-due subscriptions whose next_due it worked out."""

    def __init__(self, store: Store, client: AsyncWebClient, engine: Engine, now: datetime,
                 concurrency: int) -> None:
        self.store, self.client, self.engine, self.now = store, client, engine, now
        self.gate = asyncio.Semaphore(concurrency)
        self.chunk_size = concurrency * CLAIM_ROUNDS
        self.chunks = asyncio.Semaphore(CHUNKS_IN_FLIGHT)
        self.report = SendReport()
        self.digests: dict[tuple[date, bool], dict[str, Any]] = {}
        self.pending: list[tuple[Subscription, date, str | None, asyncio.Future[None]]] = []
        self.flusher: asyncio.Task[None] | None = None

    async def page(self, subs: list[Subscription]) -> None:
        self.report.checked += len(subs)
        due: list[tuple[Subscription, date]] = []
        later: list[tuple[Subscription, datetime]] = []
        for sub in subs:
            day = self.sort(sub, later)
            if day is not None:
                due.append((sub, day))
        size = self.chunk_size
        await asyncio.gather(*(self.chunk(due[i:i + size]) for i in range(0, len(due), size)))
        try:
            await self.store.reschedule(later)
        except Exception:  # only a hint: they are looked at again next pass
            log.exception("digest: could not store when %d subscriptions are next due", len(later))

    def sort(self, sub: Subscription, later: list[tuple[Subscription, datetime]]) -> date | None:
        """The day due for `sub`, or None (paused, not due: then its next due instant goes into `later`)."""
        report = self.report
        if sub.error:  # left with its next_due passed, so every pass still reports it
            report.paused.append(sub.channel)
            return None
        try:
            day = due_date(sub, self.now)
            if day is None:
                later.append((sub, next_run(sub, self.now)))
                return None
        except (ZoneInfoNotFoundError, ValueError) as exc:  # a zone the tz database no longer has
            log.error("digest for %s: bad schedule %s %s: %s", sub.channel, sub.time, sub.tz, exc)
            report.failed[sub.channel] = f"bad schedule: {exc}"
            return None
        report.due += 1
        return day

    async def chunk(self, due: list[tuple[Subscription, date]]) -> None:
        async with self.chunks:
            try:
                claims = await self.store.claim_deliveries([(sub.channel, day) for sub, day in due])
            except Exception as exc:  # the database went away, say: these channels stay due
                log.exception("digest: claiming %d deliveries failed", len(due))
                for sub, _ in due:
                    self.report.failed[sub.channel] = f"error: {type(exc).__name__}: {exc}"[:200]
                return
            await asyncio.gather(*(self.one(sub, day, claims.get((sub.channel, day), "")) for sub, day in due))

    async def record(self, sub: Subscription, day: date, ts: str | None) -> None:
        """Record one posted digest at once, in one write with those posted while the previous write was in
        flight (a group commit of its own: the store's spreads writes over several connections on PostgreSQL)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((sub, day, ts, done))
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self.flush())
        await done

    async def flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await self.store.mark_sent_many([(sub.channel, day, ts, self.after_sent(sub, day))
                                                 for sub, day, ts, _ in batch])
                outcome: BaseException | None = None
            except Exception as exc:
                outcome = exc
            for *_, done in batch:
                if not done.done():
                    done.set_result(None) if outcome is None else done.set_exception(outcome)

    async def one(self, sub: Subscription, day: date, claim: str) -> None:
        try:
            if not claim:
                self.report.taken.append(sub.channel)
                return
            which = (day, sub.include_management)
            if which not in self.digests:
                self.digests[which] = digest_blocks(build_digest(self.engine, day, include_management=which[1]))
            async with self.gate:
                if claim == "expired" and await self.found(sub, day):
                    return
                await self.post(sub, day, self.digests[which])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database went away, say: this channel stays due, the others go on
            log.exception("digest for %s failed", sub.channel)
            self.report.failed[sub.channel] = f"error: {type(exc).__name__}: {exc}"[:200]

    async def post(self, sub: Subscription, day: date, payload: dict[str, Any]) -> None:
        store = self.store
        try:
            ts = await post_digest(self.client, sub.channel, payload, day)
        except asyncio.CancelledError:
            # Shutting down mid-post: free the claim so the digest does not wait out its lease (the next
            # run looks in the channel first: the post may have gone through).
            await asyncio.shield(store.release_delivery(sub.channel, day, maybe_posted=True))
            raise
        except Exception as exc:  # 5xx, timeout, connection reset, ok:false
            await self.post_failed(sub, day, exc)
            return
        # Posted. Should this write fail the claim stays held (not released, which would repost at
        # once); only a lease run out could then post again, the price of a database that fails here.
        await self.record(sub, day, ts)
        self.report.posted.append(sub.channel)

    def after_sent(self, sub: Subscription, day: date) -> tuple[Subscription, datetime]:
        return sub, next_run(dataclasses.replace(sub, last_sent_date=day), self.now)

    async def post_failed(self, sub: Subscription, day: date, exc: Exception) -> None:
        reason = slack_error(exc)
        await self.store.release_delivery(sub.channel, day, maybe_posted=_maybe_posted(exc))
        if reason in CHANNEL_ERRORS:
            await self.store.mark_channel_error(sub.channel, reason)
            self.report.channel_errors[sub.channel] = reason
            log.warning("digest for %s: %s; subscription marked and paused", sub.channel, reason)
            # Marked once, so told once: the subscriber learns why the digest stopped and what to do.
            await tell_subscriber(self.client, sub, reason)
        else:
            self.report.failed[sub.channel] = reason
            log.warning("digest for %s failed (%s); still due, the next run retries", sub.channel, reason)

    async def found(self, sub: Subscription, day: date) -> bool:
        """A run that held this delivery died: did its post reach the channel before it could record it?"""
        report = self.report
        try:
            ts = await find_posted(self.client, sub.channel, day, day_start(sub.tz, day))
        except SlackApiError as exc:
            if int(exc.response.status_code) == 200:  # missing_scope, not_in_channel...: Slack will never say
                log.warning("digest for %s: cannot read the channel back (%s); posting it", sub.channel,
                            slack_error(exc))
                return False
            report.failed[sub.channel] = f"could not check for an earlier post: {slack_error(exc)}"
            return True
        except Exception as exc:  # cannot tell now: leave it claimed (the lease runs out, a later run asks again)
            report.failed[sub.channel] = f"could not check for an earlier post: {slack_error(exc)}"
            return True
        if ts is None:
            return False
        log.info("digest for %s had been posted (ts %s) by a run that stopped before recording it", sub.channel, ts)
        await self.store.mark_sent(sub.channel, day, ts, reschedule=self.after_sent(sub, day))
        report.recovered.append(sub.channel)
        return True
