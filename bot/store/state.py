"""Persistent state: event dedup, conversation context, feedback, unanswered questions, digests.

One code path over SQLAlchemy 2 Core: each operation is one function over a Connection,
run in one transaction. SQLite (the default) runs it on the standard sqlite3 driver
in a thread of the store's own (one for writes, one for reads; see Store.__init__),
PostgreSQL on asyncpg when DATABASE_URL says so. Every "exactly once" rule
is a single atomic statement (a unique insert, or an UPDATE whose WHERE holds
the condition), so it holds across tasks, processes and replicas alike.
Timestamps come from the store's clock in UTC; replicas are assumed to keep
their clocks in sync (NTP), which the leases tolerate by minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
import typing
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.types import TypeDecorator

from bot.store.health import DbHealth
from bot.store.migrations import migrate
from bot.store.write import GroupCommit, InlineFirst, WriterTasks, WriterThread
from knowledge.models import Facet
from knowledge.text import normalise

CONTEXT_TTL = timedelta(days=7)
# Slack lets people edit or delete a message at any time; after a month an edit re-answering an old question
# matters less than a table that never shrinks.
REPLY_KEEP = timedelta(days=30)
CADENCES = ("daily", "weekdays", "weekly")
# Deliveries are only needed to stop a second post on the same local day; keep a
# few weeks for `last_sent_date` and for looking into what happened.
DELIVERY_KEEP = timedelta(days=60)
# Expired rows are deleted by whichever call comes along at most this often, so
# purging costs nothing noticeable and needs no scheduler.
PURGE_EVERY = timedelta(minutes=10)
# Longest stored texts: the normalised question is a primary key (PostgreSQL's
# btree entries must stay well under 2.7 KB) and nobody needs a 56 KB question kept.
MAX_NORMALISED = 500
MAX_TEXT = 2000
MAX_KEY = 255
MAX_ID = 64
# Curators read the unanswered report for what people ask now; a question nobody has asked for this long
# goes (asked again, it comes back with a fresh count). Votes are kept a year for looking back at quality.
UNANSWERED_KEEP = timedelta(days=90)
FEEDBACK_KEEP = timedelta(days=365)
# PostgreSQL: write transactions in flight at once from one process, each on a connection kept open
# (bot.store.write.WriterTasks). Raised from 2 to 8 by the session that kept connections open: with two, a batch
# waiting on a row lock held by another replica stalled every write behind it. Not re-measured since.
WRITE_CONNECTIONS = 8

_FACETS: frozenset[str] = frozenset(typing.get_args(Facet))
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
T = TypeVar("T")


class StoredContext(typing.Protocol):
    """A conversation's subject as stored: the answering Context has this shape (the store does not import
    the engine; the caller turns what it loads back into one)."""

    @property
    def entities(self) -> typing.Sequence[str]: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def facet(self) -> str | None: ...


@dataclass(frozen=True)
class LoadedContext:
    entities: list[str]
    intent: str | None
    facet: str | None


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on both backends.

    SQLite has no time zone type and would hand back naive values; storing UTC
    there and re-attaching it on the way out keeps comparisons and callers uniform.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The current shape of the tables, for queries: the one schema source. bot/store/migrations/versions holds the
# Alembic revisions that build it; tests/test_migrations.py checks the migrated database matches it exactly.
metadata = MetaData()
events = Table(
    "events", metadata,
    Column("event_id", String(MAX_KEY), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False),
)
contexts = Table(
    "contexts", metadata,
    Column("key", String(MAX_KEY), primary_key=True),
    Column("entities", JSON, nullable=False),
    Column("intent", String(64)),
    Column("facet", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)
feedback = Table(
    "feedback", metadata,
    Column("team", String(MAX_ID), nullable=False),
    Column("channel", String(MAX_ID), nullable=False),
    Column("message_ts", String(MAX_ID), nullable=False),
    Column("user_id", String(MAX_ID), nullable=False),
    Column("question", Text, nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("vote", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
)
unanswered = Table(
    "unanswered", metadata,
    Column("normalised", String(MAX_NORMALISED), primary_key=True),
    Column("question", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("count", Integer, nullable=False),
    Column("first_asked", UTCDateTime, nullable=False),
    Column("last_asked", UTCDateTime, nullable=False),
)
subscriptions = Table(
    "subscriptions", metadata,
    Column("channel", String(MAX_ID), primary_key=True),
    Column("team", String(MAX_ID), nullable=False),
    Column("time", String(5), nullable=False),
    Column("tz", String(64), nullable=False),
    Column("weekdays", Boolean, nullable=False),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("cadence", String(8), nullable=False, server_default="daily"),
    Column("weekday", Integer),  # 0 = Monday, for the weekly cadence
    Column("include_management", Boolean, nullable=False, server_default=text("TRUE")),
    Column("subscriber", String(MAX_ID)),  # the person who set it up, told when posting fails
    # When the scheduler next looks at it (UTC; indexed with channel): the next due instant, or an instant in the
    # past for "look again" (a change, a failed post). Only a hint: the deliveries' claims keep it exactly once.
    Column("next_due", UTCDateTime),
)
deliveries = Table(
    "deliveries", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("status", String(8), nullable=False),  # "claimed" or "sent"
    Column("owner", String(64), nullable=False),  # the Store instance holding the claim
    Column("lease_until", UTCDateTime, nullable=False),
    Column("ts", String(MAX_ID)),
    Column("sent_at", UTCDateTime),
    PrimaryKeyConstraint("channel", "local_date"),
)
# Acknowledged work (bot.store.jobs): status "queued" (held by `owner` until `lease_until`), "done", "shed" or
# "dropped".
jobs = Table(
    "jobs", metadata,
    Column("key", String(MAX_KEY), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("owner", String(64)),
    Column("lease_until", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("reply_channel", String(MAX_ID)),
    Column("reply_ts", String(MAX_ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
replies = Table(
    "replies", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("question_ts", String(MAX_ID), nullable=False),
    Column("team", String(MAX_ID), nullable=False),
    Column("answer_channel", String(MAX_ID), nullable=False),
    Column("answer_ts", String(MAX_ID), nullable=False),
    Column("thread_ts", String(MAX_ID)),
    Column("context_key", String(MAX_KEY)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("channel", "question_ts"),
)
feedback_notes = Table(
    "feedback_notes", metadata,
    Column("team", String(MAX_ID), nullable=False),
    Column("channel", String(MAX_ID), nullable=False),
    Column("message_ts", String(MAX_ID), nullable=False),
    Column("user_id", String(MAX_ID), nullable=False),
    Column("question", Text, nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("reasons", String(MAX_KEY), nullable=False),  # comma-separated reason codes
    Column("comment", Text),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
)
assistant_threads = Table(
    "assistant_threads", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("thread_ts", String(MAX_ID), nullable=False),
    Column("context", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("channel", "thread_ts"),
)

# Indexes for purging by age and for the digest's per-team lookups (named as the migrations create them).
Index("ix_events_expires_at", events.c.expires_at)
Index("ix_contexts_updated_at", contexts.c.updated_at)
Index("ix_feedback_updated_at", feedback.c.updated_at)
Index("ix_unanswered_last_asked", unanswered.c.last_asked)
Index("ix_subscriptions_team", subscriptions.c.team)
Index("ix_deliveries_local_date", deliveries.c.local_date)
Index("ix_jobs_status_lease", jobs.c.status, jobs.c.lease_until)
Index("ix_jobs_updated_at", jobs.c.updated_at)
Index("ix_replies_created_at", replies.c.created_at)
Index("ix_assistant_threads_updated_at", assistant_threads.c.updated_at)
Index("ix_subscriptions_next_due", subscriptions.c.next_due, subscriptions.c.channel)


@dataclass(frozen=True)
class Reply:
    """The bot message that answered a person's message."""

    team: str
    channel: str
    question_ts: str
    answer_channel: str
    answer_ts: str
    thread_ts: str | None
    context_key: str | None


@dataclass(frozen=True)
class FeedbackRow:
    """One answer's votes and notes, for `natobot report feedback`."""

    question: str
    entry: str | None
    up: int
    down: int
    reasons: dict[str, int]
    comments: list[str]


@dataclass(frozen=True)
class Subscription:
    channel: str
    team: str
    time: str  # "HH:MM", local to tz
    tz: str  # IANA name
    weekdays: bool  # Monday to Friday only
    error: str | None  # the last channel error (channel_not_found...), None when fine
    created_at: datetime
    last_sent_date: date | None  # local date of the last digest posted
    cadence: str = "daily"  # "daily", "weekdays" or "weekly"
    weekday: int | None = None  # weekly: 0 = Monday ... 6 = Sunday
    include_management: bool = True  # the management objectives in the rotation, or mission ones only
    subscriber: str | None = None  # Slack user id of whoever set it up
    next_due: datetime | None = field(default=None, compare=False)  # the scheduler's hint (subscriptions.next_due)


def async_url(url: str) -> URL:
    """DATABASE_URL as given (sqlite:///x.db, postgres://...) to the async driver's URL."""
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "aiosqlite"):
        if parsed.database in (None, "", ":memory:"):
            # Each pooled connection would get its own empty database.
            raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "asyncpg"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported DATABASE_URL scheme {parsed.drivername!r}: use sqlite:/// or postgresql://")


def check_cadence(cadence: str, weekday: int | None) -> None:
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r}: use daily, weekdays or weekly")
    if cadence == "weekly" and (weekday is None or not 0 <= weekday <= 6):
        raise ValueError("a weekly digest needs a day of the week")


def check_schedule(time: str, tz: str) -> None:
    """Raise ValueError with a message fit for a user when a digest time or zone is wrong."""
    if not _HHMM.match(time):
        raise ValueError(f"bad time {time!r}: use HH:MM on the 24-hour clock, like 09:00")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name like Europe/Brussels") from exc


# subscriptions.next_due for "the scheduler's next pass works out when this is due" (a new or changed
# subscription): before any `now` a pass is run with, `digest send-due --now` in the past included.
LOOK_AGAIN = datetime(2000, 1, 1, tzinfo=UTC)
# A subscription's next_due, set only while its schedule is still the one it was worked out from: a change made
# meanwhile wrote its own next_due (now: "look again"), which a value from the old schedule must not overwrite.
_RESCHEDULE = (update(subscriptions)
               .where(subscriptions.c.channel == bindparam("b_channel"), subscriptions.c.time == bindparam("b_time"),
                      subscriptions.c.tz == bindparam("b_tz"), subscriptions.c.cadence == bindparam("b_cadence"),
                      subscriptions.c.weekday.is_not_distinct_from(bindparam("b_weekday", type_=Integer)))
               .values(next_due=bindparam("b_next_due", type_=UTCDateTime)))


def _reschedule_values(sub: Subscription, at: datetime) -> dict[str, Any]:
    return {"b_channel": sub.channel, "b_time": sub.time, "b_tz": sub.tz, "b_cadence": sub.cadence,
            "b_weekday": sub.weekday, "b_next_due": at}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Prepared:
    """The statements of the answer path, built once per store.

    Executed with fresh parameters, a statement built once skips constructing itself and its cache key at
    every call, which was two thirds of what SQLAlchemy spent on a small write.
    """

    def __init__(self, insert: Any) -> None:
        ctx = insert(contexts)
        self.save_context = ctx.on_conflict_do_update(
            index_elements=[contexts.c.key],
            set_={name: ctx.excluded[name] for name in ("entities", "intent", "facet", "updated_at")})
        self.load_context = (select(contexts.c.entities, contexts.c.intent, contexts.c.facet)
                             .where(contexts.c.key == bindparam("b_key"),
                                    contexts.c.updated_at >= bindparam("b_since")))
        asked = insert(unanswered)
        self.record_unanswered = asked.on_conflict_do_update(
            index_elements=[unanswered.c.normalised],
            set_={**{name: asked.excluded[name] for name in ("question", "status", "entry", "last_asked")},
                  "count": unanswered.c.count + 1})
        reply = insert(replies)
        self.save_reply = reply.on_conflict_do_update(
            index_elements=[replies.c.channel, replies.c.question_ts],
            set_={name: reply.excluded[name] for name in ("team", "answer_channel", "answer_ts", "thread_ts",
                                                           "context_key", "created_at")})


class Store:
    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime], schema_version: str) -> None:
        self.engine = engine
        self.schema_version = schema_version
        self._clock = clock
        # Identifies this instance's delivery claims, so a release never frees another's claim.
        self._owner = uuid.uuid4().hex
        self._next_purge: dict[str, datetime] = {}
        self.health = DbHealth()
        dialect = engine.dialect.name
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._prepared = _Prepared(self._insert)
        # Every operation is one plain function over a synchronous Connection, run in one transaction.
        # PostgreSQL runs it on the async engine (asyncpg, through SQLAlchemy's greenlet bridge). SQLite runs
        # it on a synchronous engine in a thread of its own: aiosqlite behind the async engine hops threads
        # for every cursor call (a dozen hops, ~1 ms of CPU, for one SELECT), where one hop per operation
        # costs ~0.15 ms. All writes go through one thread, so this process's writers queue for SQLite's single
        # write lock in order instead of sleeping in its busy handler (1, 2, 5 ... 100 ms naps while the lock
        # sits free, which collapses throughput under load); other processes still wait in the busy handler.
        # Reads have a thread of their own: under WAL they never wait for a writer.
        # Writes arriving together share a transaction (bot.store.write: group commit).
        self._sync: Engine | None = None
        self._sync_reader: Engine | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._writer_thread: WriterThread | None = None
        self._sync_inline: Engine | None = None
        self._inline: InlineFirst | None = None
        self._pg_writer: WriterTasks | None = None
        if dialect == "sqlite":
            self._sync = create_engine(engine.url.set(drivername="sqlite+pysqlite"), connect_args={
                # Wait for another process's write lock instead of failing at once; each thread has its own.
                "timeout": 30, "check_same_thread": False})
            _sqlite_transactions(self._sync)
            self._sync_reader = self._sync.execution_options(**{_READ_ONLY: True})
            self._writer_thread = WriterThread(self._sync.begin, self._sync.connect)
            # The event loop's own connection never waits for the lock (bot.store.write.InlineFirst) and never
            # checkpoints on commit; the writer thread does both.
            self._sync_inline = create_engine(engine.url.set(drivername="sqlite+pysqlite"), connect_args={
                "timeout": 0, "check_same_thread": False})
            _sqlite_transactions(self._sync_inline, autocheckpoint=False)
            self._inline = InlineFirst(self._sync_inline.connect, self._writer_thread, _checkpoint)
            self._writes = GroupCommit(self._inline.start_batch)
        else:
            self._pg_writer = WriterTasks(self.engine.connect)
            self._writes = GroupCommit(self._pg_writer.start_batch, in_flight=WRITE_CONNECTIONS,
                                       start_alone=self._pg_writer.start_alone)

    async def _write(self, op: Callable[[Connection], T], *, alone: bool = False) -> T:
        """Run `op` in a transaction that may write (on SQLite holding the write lock from BEGIN), shared with
        the other writes submitted with it (bot.store.write); `alone`: see GroupCommit.submit."""
        try:
            result: T = await self._writes.submit(op, alone=alone)
        except Exception as exc:
            await self._failed(exc)
            raise
        self.health.wrote()
        return result

    async def _read(self, op: Callable[[Connection], T]) -> T:
        """Run `op`, which only reads (on SQLite in a plain deferred transaction, so it takes no lock)."""
        try:
            if self._sync_reader is None:
                async with self.engine.connect() as conn:
                    result = await conn.run_sync(op)
            else:
                sync = self._sync_reader

                def run() -> T:
                    with sync.connect() as conn:
                        return op(conn)

                if self._reader is None:
                    self._reader = ThreadPoolExecutor(1, thread_name_prefix="natobot-db-read")
                result = await asyncio.get_running_loop().run_in_executor(self._reader, run)
        except Exception as exc:
            await self._failed(exc)
            raise
        self.health.read()
        return result

    async def _failed(self, exc: BaseException) -> None:
        """Note what the error says of the database and drop the pooled connections, so the next operation
        connects afresh: a SQLite connection opened while the file was read-only stays read-only, and a
        PostgreSQL session keeps the settings (default_transaction_read_only) it started with."""
        if self.health.failed(exc) is None:
            return
        if self._inline is not None and self._sync_inline is not None:
            self._inline.reset()
            self._sync_inline.dispose()
        if self._sync is not None:
            self._sync.dispose()
        else:
            if self._pg_writer is not None:
                await self._pg_writer.reset()
            with contextlib.suppress(Exception):
                await self.engine.dispose()

    @classmethod
    async def open(cls, url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
        """Connect, create or migrate the schema, and return a ready store.

        `clock` (aware UTC datetimes) pins time for tests; it defaults to the system clock.
        """
        target = async_url(url)
        # A database that stops answering must not hold a reply for minutes: connecting and each statement
        # are bounded (asyncpg's own timeouts), and so is waiting for a pooled connection.
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_timeout": 10,
                                  "connect_args": {"timeout": 5, "command_timeout": 15}}
        if target.get_backend_name() == "sqlite":
            assert target.database is not None
            Path(target.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            # Wait for another process's write lock instead of failing at once.
            kwargs = {"connect_args": {"timeout": 30}}
        engine = create_async_engine(target, **kwargs)
        if target.get_backend_name() == "sqlite":
            _sqlite_transactions(engine.sync_engine)
        try:
            async with engine.begin() as conn:
                version = await migrate(conn)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, clock=clock or _utcnow, schema_version=version)

    async def close(self) -> None:
        """Close the connections (a later call opens them again, as SQLAlchemy's pool does)."""
        await self._writes.drain()  # whatever was submitted is written first
        if self._pg_writer is not None:
            await self._pg_writer.wait()
            await self._pg_writer.reset()
        if self._inline is not None and self._sync_inline is not None:
            self._inline.reset()
            self._sync_inline.dispose()
        if self._writer_thread is not None:
            await asyncio.to_thread(self._writer_thread.stop)
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.to_thread(reader.shutdown, wait=True)
        if self._sync is not None:
            self._sync.dispose()
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            return await self._read(lambda conn: conn.execute(text("SELECT 1")).scalar() == 1)
        except Exception:  # a health check reports, it never raises
            return False

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock must return aware datetimes")
        return now.astimezone(UTC)

    def _purge_due(self, name: str, now: datetime) -> bool:
        if now < self._next_purge.get(name, now):
            return False
        self._next_purge[name] = now + PURGE_EVERY
        return True

    # -- Slack event dedup ------------------------------------------------------------
    async def claim_event(self, event_id: str, *, ttl: timedelta = timedelta(hours=24)) -> bool:
        """True for exactly one caller per event id, across every process on this database."""
        now = self._now()
        event_id = event_id[:MAX_KEY]
        purge = self._purge_due("events", now)

        def op(conn: Connection) -> bool:
            if purge:
                conn.execute(delete(events).where(events.c.expires_at < now))
            inserted = conn.execute(
                self._insert(events).values(event_id=event_id, expires_at=now + ttl).on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return True
            # A record past its expiry, not yet purged, no longer counts as seen.
            revived = conn.execute(
                update(events).where(events.c.event_id == event_id, events.c.expires_at < now)
                .values(expires_at=now + ttl))
            return bool(revived.rowcount == 1)

        return await self._write(op)

    # -- conversation context ---------------------------------------------------------
    async def load_context(self, key: str) -> StoredContext | None:
        query, params = self._prepared.load_context, {"b_key": key[:MAX_KEY], "b_since": self._now() - CONTEXT_TTL}
        row = await self._read(lambda conn: conn.execute(query, params).first())
        if row is None:
            return None
        entities = [str(e) for e in row.entities] if isinstance(row.entities, list) else []
        # A facet stored by an older release may no longer exist; drop it rather than fail.
        facet = typing.cast(Facet, row.facet) if row.facet in _FACETS else None
        return LoadedContext(entities=entities, intent=row.intent, facet=facet)

    async def save_context(self, key: str, ctx: StoredContext) -> None:
        now = self._now()
        stmt = self._prepared.save_context
        values = {"key": key[:MAX_KEY], "entities": list(ctx.entities), "intent": ctx.intent, "facet": ctx.facet,
                  "updated_at": now}
        purge = self._purge_due("contexts", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(contexts).where(contexts.c.updated_at < now - CONTEXT_TTL))
            conn.execute(stmt, values)

        await self._write(op)

    # -- feedback and unanswered questions -------------------------------------------
    async def record_feedback(self, *, team: str, channel: str, user: str, message_ts: str, question: str,
                              entry: str | None, vote: Literal["up", "down"]) -> None:
        """One vote per user and message: voting again replaces the earlier vote."""
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        now = self._now()
        changed = {"question": question[:MAX_TEXT], "entry": entry[:MAX_KEY] if entry else None,
                   "vote": vote, "updated_at": now}
        stmt = self._insert(feedback).values(
            team=team[:MAX_ID], channel=channel[:MAX_ID], message_ts=message_ts[:MAX_ID], user_id=user[:MAX_ID],
            created_at=now, **changed)
        upsert = stmt.on_conflict_do_update(
            index_elements=[feedback.c.team, feedback.c.channel, feedback.c.message_ts, feedback.c.user_id],
            set_=changed)
        purge = self._purge_due("feedback", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(feedback).where(feedback.c.updated_at < now - FEEDBACK_KEEP))
            conn.execute(upsert)

        await self._write(op)

    async def feedback_counts(self) -> dict[str, int]:
        query = select(feedback.c.vote, func.count()).group_by(feedback.c.vote)
        rows = await self._read(lambda conn: conn.execute(query).all())
        counts = {"up": 0, "down": 0}
        counts.update({str(vote): int(n) for vote, n in rows})
        return counts

    async def record_unanswered(self, question: str, *, status: str, entry: str | None) -> None:
        """Count a question the bot could not answer, grouped by its normalised text."""
        key = normalise(question[:MAX_TEXT])[:MAX_NORMALISED].strip()
        if not key:  # punctuation or emoji only: nothing a curator could act on
            return
        now = self._now()
        upsert = self._prepared.record_unanswered
        values = {"normalised": key, "question": question[:MAX_TEXT], "status": status[:32],
                  "entry": entry[:MAX_KEY] if entry else None, "count": 1, "first_asked": now, "last_asked": now}
        purge = self._purge_due("unanswered", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(unanswered).where(unanswered.c.last_asked < now - UNANSWERED_KEEP))
            conn.execute(upsert, values)

        await self._write(op, alone=True)  # the same few questions' counters, from every replica

    async def top_unanswered(self, limit: int = 20) -> list[tuple[str, int]]:
        """(normalised question, times asked), most asked first; ties go to the most recent."""
        query = (select(unanswered.c.normalised, unanswered.c.count)
                 .order_by(unanswered.c.count.desc(), unanswered.c.last_asked.desc(), unanswered.c.normalised)
                 .limit(max(limit, 0)))
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [(str(q), int(n)) for q, n in rows]

    # -- digest subscriptions -------------------------------------------------------------
    def _subscription_query(self) -> Any:
        last_sent = (select(func.max(deliveries.c.local_date))
                     .where(deliveries.c.channel == subscriptions.c.channel, deliveries.c.status == "sent")
                     .scalar_subquery())
        return select(subscriptions, last_sent.label("last_sent_date"))

    @staticmethod
    def _subscription(row: Any) -> Subscription:
        return Subscription(channel=row.channel, team=row.team, time=row.time, tz=row.tz,
                            weekdays=bool(row.weekdays), error=row.error, created_at=row.created_at,
                            last_sent_date=row.last_sent_date, cadence=row.cadence, weekday=row.weekday,
                            include_management=bool(row.include_management), subscriber=row.subscriber,
                            next_due=row.next_due)

    async def subscribe(self, *, channel: str, team: str, time: str, tz: str, weekdays: bool,
                        cadence: str | None = None, weekday: int | None = None, include_management: bool = True,
                        subscriber: str | None = None) -> Subscription:
        """Create or change a channel's subscription; clears any recorded channel error.

        `cadence` defaults to "weekdays" or "daily" after `weekdays`; a `subscriber` given replaces the
        one on record. Raises ValueError for a bad HH:MM time, an unknown IANA zone or a bad cadence.
        """
        cadence = cadence or ("weekdays" if weekdays else "daily")
        check_schedule(time, tz)
        check_cadence(cadence, weekday)
        now = self._now()
        changed: dict[str, Any] = {
            "team": team[:MAX_ID], "time": time, "tz": tz, "weekdays": cadence == "weekdays", "error": None,
            "updated_at": now, "cadence": cadence, "weekday": weekday if cadence == "weekly" else None,
            "include_management": include_management, "next_due": LOOK_AGAIN}  # the next pass works it out
        if subscriber:
            changed["subscriber"] = subscriber[:MAX_ID]
        stmt = self._insert(subscriptions).values(channel=channel[:MAX_ID], created_at=now, **changed)
        query = self._subscription_query().where(subscriptions.c.channel == channel[:MAX_ID])

        def op(conn: Connection) -> Subscription:
            conn.execute(stmt.on_conflict_do_update(index_elements=[subscriptions.c.channel], set_=changed))
            return self._subscription(conn.execute(query).one())

        return await self._write(op)

    async def unsubscribe(self, channel: str) -> bool:
        """False when the channel had no subscription."""
        stmt = delete(subscriptions).where(subscriptions.c.channel == channel[:MAX_ID])
        return await self._write(lambda conn: conn.execute(stmt).rowcount > 0)

    async def subscription(self, channel: str) -> Subscription | None:
        query = self._subscription_query().where(subscriptions.c.channel == channel[:MAX_ID])
        row = await self._read(lambda conn: conn.execute(query).first())
        return self._subscription(row) if row else None

    async def subscriptions(self, team: str | None = None) -> list[Subscription]:
        query = self._subscription_query().order_by(subscriptions.c.channel)
        if team is not None:
            query = query.where(subscriptions.c.team == team)
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [self._subscription(r) for r in rows]

    async def due_subscriptions(self, now: datetime, *, after: tuple[datetime, str] | None = None,
                                limit: int = 1000) -> list[Subscription]:
        """Up to `limit` subscriptions with next_due at or before `now`, in (next_due, channel) order from just
        past `after`: a scheduler pass pages through the due rows on the index, never the whole table."""
        query = self._subscription_query().where(subscriptions.c.next_due <= now)
        if after is not None:
            query = query.where(or_(subscriptions.c.next_due > after[0],
                                    and_(subscriptions.c.next_due == after[0], subscriptions.c.channel > after[1])))
        query = query.order_by(subscriptions.c.next_due, subscriptions.c.channel).limit(limit)
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [self._subscription(r) for r in rows]

    async def reschedule(self, due: list[tuple[Subscription, datetime]]) -> None:
        """Set each subscription's next_due, in one write; see _RESCHEDULE for when one is left alone."""
        values = [_reschedule_values(sub, at) for sub, at in due]
        if values:
            await self._write(lambda conn: conn.execute(_RESCHEDULE, values))

    async def mark_channel_error(self, channel: str, error: str | None) -> None:
        stmt = (update(subscriptions).where(subscriptions.c.channel == channel[:MAX_ID])
                .values(error=error[:MAX_TEXT] if error else None, updated_at=self._now()))
        await self._write(lambda conn: conn.execute(stmt))

    # -- digest deliveries -----------------------------------------------------------------
    async def claim_delivery(self, channel: str, local_date: date, *,
                             lease: timedelta = timedelta(minutes=5)) -> Literal["new", "expired", ""]:
        """Truthy for exactly one caller per (channel, local day) until it is released or the lease runs out.

        A claim whose holder crashed before mark_sent can be claimed again once its
        lease has expired ("expired": that holder may have posted before it died, so the
        caller looks in the channel first); a delivery marked sent can never be claimed again.
        """
        now = self._now()
        channel = channel[:MAX_ID]
        claim = {"status": "claimed", "owner": self._owner, "lease_until": now + lease}
        purge = self._purge_due("deliveries", now)

        def op(conn: Connection) -> Literal["new", "expired", ""]:
            if purge:
                conn.execute(delete(deliveries).where(deliveries.c.local_date < (now - DELIVERY_KEEP).date()))
            inserted = conn.execute(
                self._insert(deliveries).values(channel=channel, local_date=local_date, **claim)
                .on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return "new"
            # The WHERE is re-checked under the row lock, so only one taker of a stale claim wins.
            taken = conn.execute(update(deliveries).where(
                deliveries.c.channel == channel, deliveries.c.local_date == local_date,
                deliveries.c.status == "claimed", deliveries.c.lease_until < now).values(**claim))
            return "expired" if taken.rowcount == 1 else ""

        return await self._write(op)

    async def claim_deliveries(self, wanted: list[tuple[str, date]], *, lease: timedelta = timedelta(minutes=5)
                               ) -> dict[tuple[str, date], Literal["new", "expired", ""]]:
        """`claim_delivery` for many (channel, local day) in one transaction: a multi-row insert, then one
        update per day for the stale claims among the rest. The rows go in channel order, so two processes
        claiming overlapping sets take their row locks in the same order; on PostgreSQL it is a transaction of
        its own (not batched with other writes, whose locks could come in another order)."""
        now = self._now()
        keys = sorted({(channel[:MAX_ID], day) for channel, day in wanted})
        claim = {"status": "claimed", "owner": self._owner, "lease_until": now + lease}
        purge = self._purge_due("deliveries", now)

        def op(conn: Connection) -> dict[tuple[str, date], Literal["new", "expired", ""]]:
            if purge:
                conn.execute(delete(deliveries).where(deliveries.c.local_date < (now - DELIVERY_KEEP).date()))
            rows = [{"channel": channel, "local_date": day, **claim} for channel, day in keys]
            inserted = conn.execute(self._insert(deliveries).values(rows).on_conflict_do_nothing()
                                    .returning(deliveries.c.channel, deliveries.c.local_date))
            new = {(row.channel, row.local_date) for row in inserted}
            expired: set[tuple[str, date]] = set()
            for day in sorted({day for key in keys if key not in new for day in (key[1],)}):
                channels = [channel for channel, d in keys if d == day and (channel, d) not in new]
                # As in claim_delivery, the WHERE is re-checked under each row's lock: one taker wins.
                taken = conn.execute(update(deliveries).where(
                    deliveries.c.channel.in_(channels), deliveries.c.local_date == day,
                    deliveries.c.status == "claimed", deliveries.c.lease_until < now).values(**claim)
                    .returning(deliveries.c.channel))
                expired |= {(row.channel, day) for row in taken}
            return {key: "new" if key in new else "expired" if key in expired else "" for key in keys}

        return await self._write(op, alone=True) if keys else {}

    async def mark_sent(self, channel: str, local_date: date, ts: str | None, *,
                        reschedule: tuple[Subscription, datetime] | None = None) -> None:
        """Record the digest as posted (`ts` is the Slack message's); it is never claimable again. With
        `reschedule`, the subscription's next_due is set in the same transaction (as by `reschedule`)."""
        await self.mark_sent_many([(channel, local_date, ts, reschedule)])

    async def mark_sent_many(self, posted: list[tuple[str, date, str | None, tuple[Subscription, datetime] | None]]
                             ) -> None:
        """`mark_sent` for many deliveries in one transaction (two statements, each run for every row)."""
        now = self._now()
        rows = [{"channel": channel[:MAX_ID], "local_date": day, "owner": self._owner, "lease_until": now,
                 "status": "sent", "ts": ts[:MAX_ID] if ts else None, "sent_at": now}
                for channel, day, ts, _ in posted]
        later = [_reschedule_values(*again) for *_, again in posted if again]
        stmt = self._insert(deliveries)
        upsert = stmt.on_conflict_do_update(index_elements=[deliveries.c.channel, deliveries.c.local_date],
                                            set_={"status": stmt.excluded.status, "ts": stmt.excluded.ts,
                                                  "sent_at": stmt.excluded.sent_at})

        def op(conn: Connection) -> None:
            conn.execute(upsert, rows)
            if later:
                conn.execute(_RESCHEDULE, later)

        if rows:
            await self._write(op)

    async def release_delivery(self, channel: str, local_date: date, *, maybe_posted: bool = False) -> None:
        """The post failed: drop this instance's claim so the digest stays due.

        Only our own unsent claim goes; if our lease ran out and another process took
        the claim over, its claim stays, or two processes could end up posting. When the
        post `maybe_posted` (a timeout, a 5xx), the claim is kept but expired instead, so
        the next taker is told "expired" and looks in the channel before posting.
        """
        mine = and_(deliveries.c.channel == channel[:MAX_ID], deliveries.c.local_date == local_date,
                    deliveries.c.status == "claimed", deliveries.c.owner == self._owner)
        if maybe_posted:
            stmt: Any = update(deliveries).where(mine).values(lease_until=self._now() - timedelta(microseconds=1))
        else:
            stmt = delete(deliveries).where(mine)
        await self._write(lambda conn: conn.execute(stmt))

    # -- replies: which message answered which question -------------------------------------
    async def save_reply(self, *, team: str, channel: str, question_ts: str, answer_channel: str, answer_ts: str,
                         thread_ts: str | None, context_key: str | None) -> None:
        now = self._now()
        stmt = self._prepared.save_reply
        values = {"channel": channel[:MAX_ID], "question_ts": question_ts[:MAX_ID], "team": team[:MAX_ID],
                  "answer_channel": answer_channel[:MAX_ID], "answer_ts": answer_ts[:MAX_ID],
                  "thread_ts": thread_ts[:MAX_ID] if thread_ts else None,
                  "context_key": context_key[:MAX_KEY] if context_key else None, "created_at": now}
        purge = self._purge_due("replies", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(replies).where(replies.c.created_at < now - REPLY_KEEP))
            conn.execute(stmt, values)

        await self._write(op)

    async def reply_for(self, channel: str, question_ts: str) -> Reply | None:
        query = select(replies).where(replies.c.channel == channel[:MAX_ID],
                                      replies.c.question_ts == question_ts[:MAX_ID])
        row = await self._read(lambda conn: conn.execute(query).first())
        if row is None:
            return None
        return Reply(team=row.team, channel=row.channel, question_ts=row.question_ts,
                     answer_channel=row.answer_channel, answer_ts=row.answer_ts, thread_ts=row.thread_ts,
                     context_key=row.context_key)

    async def forget_reply(self, channel: str, question_ts: str) -> bool:
        """Drop the mapping (the question was deleted); False when there was none, or another replica took it."""
        stmt = delete(replies).where(replies.c.channel == channel[:MAX_ID],
                                     replies.c.question_ts == question_ts[:MAX_ID])
        return await self._write(lambda conn: conn.execute(stmt).rowcount > 0)

    # -- feedback notes and the feedback report -----------------------------------------------
    async def record_feedback_note(self, *, team: str, channel: str, user: str, message_ts: str, question: str,
                                   entry: str | None, reasons: list[str], comment: str | None) -> None:
        """What was wrong with an answer (one note per person and message; a second replaces the first)."""
        now = self._now()
        changed = {"question": question[:MAX_TEXT], "entry": entry[:MAX_KEY] if entry else None,
                   "reasons": ",".join(r[:32] for r in reasons)[:MAX_KEY],
                   "comment": comment[:MAX_TEXT] if comment else None, "created_at": now}
        stmt = self._insert(feedback_notes).values(
            team=team[:MAX_ID], channel=channel[:MAX_ID], message_ts=message_ts[:MAX_ID], user_id=user[:MAX_ID],
            **changed)
        upsert = stmt.on_conflict_do_update(
            index_elements=[feedback_notes.c.team, feedback_notes.c.channel, feedback_notes.c.message_ts,
                            feedback_notes.c.user_id], set_=changed)
        await self._write(lambda conn: conn.execute(upsert))

    async def feedback_report(self, limit: int = 20) -> list[FeedbackRow]:
        """Answers people voted on, grouped by question: most "not helpful" first, with their notes."""
        key = func.lower(feedback.c.question)
        votes = (select(func.min(feedback.c.question).label("question"), func.min(feedback.c.entry).label("entry"),
                        func.sum(case((feedback.c.vote == "up", 1), else_=0)).label("up"),
                        func.sum(case((feedback.c.vote == "down", 1), else_=0)).label("down"))
                 .group_by(key).order_by(text("down DESC"), text("up"), text("question")).limit(max(limit, 0)))
        notes = select(feedback_notes.c.question, feedback_notes.c.reasons, feedback_notes.c.comment)

        def op(conn: Connection) -> tuple[list[Any], list[Any]]:
            return list(conn.execute(votes).all()), list(conn.execute(notes).all())

        vote_rows, note_rows = await self._read(op)
        by_question: dict[str, tuple[dict[str, int], list[str]]] = {}
        for question, reasons, comment in note_rows:
            counts, comments = by_question.setdefault(str(question).lower(), ({}, []))
            for reason in filter(None, str(reasons).split(",")):
                counts[reason] = counts.get(reason, 0) + 1
            if comment:
                comments.append(str(comment))
        out = []
        for row in vote_rows:
            counts, comments = by_question.get(str(row.question).lower(), ({}, []))
            out.append(FeedbackRow(question=str(row.question), entry=row.entry, up=int(row.up or 0),
                                   down=int(row.down or 0), reasons=counts, comments=comments))
        return out

    async def unanswered_rows(self, limit: int = 20) -> list[tuple[str, int, str]]:
        """(normalised question, times, last status) most asked first: `top_unanswered` with the status, which
        says whether natobot could not answer or answered and was voted not helpful."""
        query = (select(unanswered.c.normalised, unanswered.c.count, unanswered.c.status)
                 .order_by(unanswered.c.count.desc(), unanswered.c.last_asked.desc(), unanswered.c.normalised)
                 .limit(max(limit, 0)))
        rows = await self._read(lambda conn: conn.execute(query).all())
        return [(str(q), int(n), str(st)) for q, n, st in rows]

    # -- assistant thread context (Slack's AI-apps surface) -----------------------------------
    async def save_thread_context(self, channel: str, thread_ts: str, context: dict[str, Any]) -> None:
        now = self._now()
        values = {"context": dict(context), "updated_at": now}
        stmt = self._insert(assistant_threads).values(channel=channel[:MAX_ID], thread_ts=thread_ts[:MAX_ID],
                                                      **values)
        purge = self._purge_due("assistant_threads", now)

        def op(conn: Connection) -> None:
            if purge:
                conn.execute(delete(assistant_threads).where(assistant_threads.c.updated_at < now - CONTEXT_TTL))
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[assistant_threads.c.channel, assistant_threads.c.thread_ts], set_=values))

        await self._write(op)

    async def thread_context(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        query = select(assistant_threads.c.context).where(assistant_threads.c.channel == channel[:MAX_ID],
                                                          assistant_threads.c.thread_ts == thread_ts[:MAX_ID])
        value = await self._read(lambda conn: conn.execute(query).scalar())
        return dict(value) if isinstance(value, dict) else None


# An execution option on the Store's read-only connections: their transactions need no write lock.
_READ_ONLY = "natobot_read_only"

# Switching a new database file to WAL needs an exclusive lock, and SQLite does not run its busy
# handler for it: several processes opening the same new file at once can get "database is
# locked" straight away. Retrying for up to this long covers that start-up race.
_WAL_SWITCH_WAIT_S = 10.0


def _switch_to_wal(cursor: Any) -> None:
    deadline = time.monotonic() + _WAL_SWITCH_WAIT_S
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _checkpoint(conn: Connection) -> None:
    """Copy the WAL back into the database file as far as no reader needs it (never blocks a writer)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _sqlite_transactions(engine: Engine, *, autocheckpoint: bool = True) -> None:
    """Make SQLite transactions real and take the write lock at BEGIN.

    The sqlite3 driver's legacy mode runs DDL and SELECTs outside any transaction,
    which would break migrating inside one. BEGIN IMMEDIATE also means two
    processes never both read and then both try to write (a deadlock SQLite can
    only answer with "database is locked"); the second simply waits its turn.
    """
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers carry on during a write; NORMAL sync is crash-safe for the
        # process (not for power loss) and keeps a commit well under a millisecond.
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        begin = "BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE"
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            # Straight to the driver: this runs for every transaction, and SQLAlchemy's execution path for a
            # statement costs more than SQLite does for BEGIN.
            driver.execute(begin)
        else:  # aiosqlite (the migrations' async engine)
            conn.exec_driver_sql(begin)
