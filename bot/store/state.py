"""The Store: persistent state (event dedup, conversation context, feedback, unanswered questions, digests) as
one object, composed of one repository per aggregate over StoreBase's plumbing; opening and closing it.

One code path over SQLAlchemy 2 Core: each operation is one function over a Connection,
run in one transaction. SQLite (the default) runs it on the standard sqlite3 driver
in a thread of the store's own (one for writes, one for reads; see bot.store.base),
PostgreSQL on asyncpg when DATABASE_URL says so. Every "exactly once" rule
is a single atomic statement (a unique insert, or an UPDATE whose WHERE holds
the condition), so it holds across tasks, processes and replicas alike.
Timestamps come from the store's clock in UTC; replicas are assumed to keep
their clocks in sync (NTP), which the leases tolerate by minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.base import StoreBase, utcnow
from bot.store.conversations import ConversationState
from bot.store.digest import DigestState
from bot.store.engine import async_url, sqlite_transactions
from bot.store.feedback import FeedbackState
from bot.store.migrations import migrate
from bot.store.slack import SlackState


class Store(SlackState, ConversationState, FeedbackState, DigestState, StoreBase):
    """natobot's state: one object callers share, its repositories (one module per aggregate) over StoreBase's
    engines and read/write paths."""

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
            sqlite_transactions(engine.sync_engine)
        try:
            async with engine.begin() as conn:
                version = await migrate(conn)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, clock=clock or utcnow, schema_version=version)

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
