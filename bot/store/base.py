"""The store's plumbing under every repository: its engines and threads, running reads and (group-committed)
writes, reporting their outcome to DbHealth, the clock and the purge timer.

SQLite runs each operation on the standard sqlite3 driver in a thread of the store's own (one for writes, one for
reads; see StoreBase.__init__), PostgreSQL on asyncpg. The repositories (bot.store.conversations, feedback, digest,
slack) are mixins over StoreBase; bot.store.state composes them into the Store.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, create_engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import READ_ONLY, checkpoint, sqlite_transactions
from bot.store.health import DbHealth
from bot.store.inline import InlineFirst
from bot.store.schema import contexts, replies, unanswered
from bot.store.write import GroupCommit, WriterTasks, WriterThread

# Expired rows are deleted by whichever call comes along at most this often, so
# purging costs nothing noticeable and needs no scheduler.
PURGE_EVERY = timedelta(minutes=10)
# PostgreSQL: write transactions in flight at once from one process, each on a connection kept open
# (bot.store.write.WriterTasks). Raised from 2 to 8 by the session that kept connections open: with two, a batch
# waiting on a row lock held by another replica stalled every write behind it. Not re-measured since.
WRITE_CONNECTIONS = 8

T = TypeVar("T")


def utcnow() -> datetime:
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


class StoreBase:
    """Engines, threads and the read and write paths the repositories run their operations on."""

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
            sqlite_transactions(self._sync)
            self._sync_reader = self._sync.execution_options(**{READ_ONLY: True})
            self._writer_thread = WriterThread(self._sync.begin, self._sync.connect)
            # The event loop's own connection never waits for the lock (bot.store.write.InlineFirst) and never
            # checkpoints on commit; the writer thread does both.
            self._sync_inline = create_engine(engine.url.set(drivername="sqlite+pysqlite"), connect_args={
                "timeout": 0, "check_same_thread": False})
            sqlite_transactions(self._sync_inline, autocheckpoint=False)
            self._inline = InlineFirst(self._sync_inline.connect, self._writer_thread, checkpoint)
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
