"""The digest: a short piece about the Integrated Mission Strategy, posted once per channel per period.

What it says is bot.digest.content's (and bot.render.digest's); this module decides when a channel's digest is
due (daily, weekdays, or weekly on a chosen day, at a local time) and posts it. Everything here but `send_due`
is a pure function of its arguments. Which piece a day features depends on the date (and the subscription's
choice of including the management objectives) alone, so every process (several `serve` replicas, cron, a
person running `digest preview`) agrees.
Whether a channel's digest is due depends on the subscription and the instant `now`; "exactly once" is the
store's job (`claim_delivery` is one atomic statement), so `send_due` can run anywhere, any number of times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.digest.content import Content, Piece, content
from bot.digest.defaults import DEFAULT_TIME as DEFAULT_TIME  # re-exported: handlers read dg.DEFAULT_TIME
from bot.digest.defaults import DEFAULT_TZ as DEFAULT_TZ
from bot.digest.notify import tell_subscriber
from bot.render import digest as render_digest

if TYPE_CHECKING:  # only for annotations: keeps `natobot digest preview` free of Slack and database imports
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

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
class DigestError(Exception):
    """The knowledge base lacks what the digest needs."""


# -- what the digest says (bot.digest.content), as one day's digest ---------------------------------

@dataclass(frozen=True)
class Digest:
    """One day's digest for one choice of content (with or without the management objectives)."""

    day: date
    piece: Piece
    content: Content

    @property
    def entry(self) -> str:
        return self.piece.entry

    @property
    def label(self) -> str:
        return self.piece.label

    @property
    def heading(self) -> str:
        return f"{self.piece.label}, {render_digest.lower_first(self.piece.headline)}"


def build_digest(engine: Engine, day: date, *, include_management: bool = True) -> Digest:
    """The digest for local day `day`; DigestError if the knowledge base has none of the strategy's objectives."""
    found = content(engine)
    if not found.cycle(include_management=include_management):
        raise DigestError("the knowledge base has none of the Integrated Mission Strategy's objectives")
    return Digest(day=day, piece=found.for_day(day, include_management=include_management), content=found)


def digest_blocks(digest: Digest) -> dict[str, Any]:
    """The digest as a chat.postMessage payload {"text", "blocks"}: the short form with its "More" button."""
    return render_digest.short_blocks(digest.piece, digest.day, digest.content)


def digest_text(digest: Digest, *, width: int = 100) -> str:
    """The digest as plain text for the terminal (`natobot digest preview`)."""
    return render_digest.text_form(digest.piece, digest.day, digest.content, width=width)


# -- when a channel's digest is due -----------------------------------------------------------------

class Schedule(Protocol):
    """What due computation needs of a subscription (bot.store.digest.Subscription fits)."""

    @property
    def time(self) -> str: ...
    @property
    def tz(self) -> str: ...
    @property
    def weekdays(self) -> bool: ...
    @property
    def last_sent_date(self) -> date | None: ...
    # `cadence` ("daily", "weekdays", "weekly") and `weekday` (0 = Monday) are read with getattr: a schedule
    # without them runs daily, or on weekdays when `weekdays` is set.


def parse_time(value: str) -> str:
    """"9:00" or "09:00" as "09:00"; ValueError with a user-fit message otherwise."""
    m = _HHMM.match(value.strip())
    if not m:
        raise ValueError(f"bad time {value!r}: use HH:MM on the 24-hour clock, like 09:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def parse_zone(value: str) -> str:
    """An IANA zone name as the database spells it ("europe/brussels" -> "Europe/Brussels")."""
    name = value.strip()
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    canonical = _zones_by_lower().get(name.lower())
    if canonical is None:
        raise ValueError(f"unknown time zone {value!r}: use an IANA name like Europe/Brussels")
    return canonical


def _zones_by_lower() -> dict[str, str]:
    # Reading every zone name scans the tz database, so it happens once and only for a miss.
    global _ZONES
    if _ZONES is None:
        from zoneinfo import available_timezones

        _ZONES = {z.lower(): z for z in available_timezones()}
    return _ZONES


_ZONES: dict[str, str] | None = None


def local_day(tz: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime")
    return now


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def cadence_of(sub: Schedule) -> tuple[str, int | None]:
    cadence = getattr(sub, "cadence", None) or "daily"
    if cadence == "daily" and sub.weekdays:  # a schedule from before cadences, or built by hand
        cadence = "weekdays"
    return cadence, getattr(sub, "weekday", None)


def _runs_on(sub: Schedule, day: date) -> bool:
    cadence, weekday = cadence_of(sub)
    if cadence == "weekly":
        return day.weekday() == weekday
    return cadence != "weekdays" or day.weekday() < 5


def due_date(sub: Schedule, now: datetime) -> date | None:
    """The local date whose digest is due for `sub` at `now`, or None.

    Only the channel's *current* local day can be due, from its HH:MM (wall clock, so DST needs no
    special case: on a spring-forward day a time in the gap is due from the first minute after it)
    until local midnight. Days missed while nothing ran are never made up: no backlog, no flood.
    """
    local = _aware(now).astimezone(ZoneInfo(sub.tz))
    today = local.date()
    if not _runs_on(sub, today):
        return None
    if local.strftime("%H:%M") < parse_time(sub.time):
        return None
    if sub.last_sent_date is not None and sub.last_sent_date >= today:
        return None
    return today


def next_run(sub: Schedule, now: datetime) -> datetime:
    """When the next digest is due (aware, in the subscription's zone), for status messages."""
    zone = ZoneInfo(sub.tz)
    local = _aware(now).astimezone(zone)
    hh, mm = (int(p) for p in parse_time(sub.time).split(":"))
    if due_date(sub, now) is not None:
        return local
    day = local.date()
    sent = sub.last_sent_date
    if local.strftime("%H:%M") >= f"{hh:02d}:{mm:02d}" or (sent is not None and sent >= day):
        day += timedelta(days=1)
    while not _runs_on(sub, day):
        day += timedelta(days=1)
    return _first_instant_at(day, time(hh, mm), zone)


def _first_instant_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant on `day` whose wall clock in `zone` reads `at` or later (due_date's rule).

    Normally `at` itself; for a time in a spring-forward gap it is the end of the gap (03:00 for 02:30).
    """
    early = datetime.combine(day, at, zone).astimezone(UTC)
    if early.astimezone(zone).time().replace(second=0, microsecond=0) == at:
        return early.astimezone(zone)
    # In the gap the two folds give instants either side of the jump; the first minute past it is the one.
    lo = datetime.combine(day, at, zone).replace(fold=1).astimezone(UTC)
    hi = early
    lo, hi = min(lo, hi), max(lo, hi)
    while lo < hi:
        local = lo.astimezone(zone)
        if local.date() == day and local.time() >= at:
            break
        lo += timedelta(minutes=1)
    return lo.astimezone(zone)


def describe(sub: Schedule) -> str:
    cadence, weekday = cadence_of(sub)
    if cadence == "weekly" and weekday is not None:
        days = f"{WEEKDAY_NAMES[weekday]}s"
    else:
        days = "weekdays only" if cadence == "weekdays" else "every day"
    text = f"{sub.time} {sub.tz}, {days}"
    if not getattr(sub, "include_management", True):
        text += ", mission objectives only"
    return text


# -- posting ----------------------------------------------------------------------------------------

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
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or "")
        status = int(exc.response.status_code)
        # Slack's API errors come with HTTP 200; anything else is worth showing with its status.
        return error if status == 200 and error else f"HTTP {status} {error}".strip()
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
            ts = await find_posted(self.client, sub.channel, day, _day_start(sub.tz, day))
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


def _day_start(tz: str, day: date) -> datetime:
    return datetime.combine(day, time(0, 0), ZoneInfo(tz))


def today_digest(engine: Engine, tz: str, now: datetime, *, include_management: bool = True) -> Digest:
    """The digest for the local day in `tz` at `now` (what `/nato digest now` and the App Home show)."""
    return build_digest(engine, local_day(tz, now), include_management=include_management)


def format_subscriptions(subs: Sequence[Any], now: datetime) -> list[str]:
    """One line per subscription for `digest list` and status messages, errors included."""
    lines = []
    for s in subs:
        line = f"{s.channel:<14} {describe(s):<45} last sent {s.last_sent_date or 'never'}"
        if s.error:
            line += f"  ERROR: {s.error} (paused; subscribe again to resume)"
        else:
            try:
                line += f"  next {next_run(s, now):%Y-%m-%d %H:%M %Z}"
            except (ZoneInfoNotFoundError, ValueError) as exc:
                line += f"  ERROR: {exc}"
        lines.append(line)
    return lines
