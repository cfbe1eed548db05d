"""Connecting: DATABASE_URL to the async driver's URL, and SQLite connections set up for real transactions
(WAL, BEGIN IMMEDIATE for writers, plain BEGIN for readers, a start-up retry of the switch to WAL)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, Engine, make_url


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


# An execution option on the Store's read-only connections: their transactions need no write lock.
READ_ONLY = "natobot_read_only"

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


def checkpoint(conn: Connection) -> None:
    """Copy the WAL back into the database file, then start it again from its beginning, truncated.

    A passive checkpoint alone never lets the WAL restart under steady writes: SQLite restarts it only when a
    writer begins while every frame has been copied back, and at 250 events/s new commits always land while the
    checkpoint runs. The WAL then grew without end (2.4 GB after 45,000 events) and its index in the -shm file,
    mapped into the process, with it (4.5 MB of RSS). So the passive pass does the bulk without blocking anyone,
    and TRUNCATE then copies the few frames committed meanwhile and empties the file: it holds other writers off
    for that (the event loop's writer retries without blocking, bot.store.inline) and waits, in the busy
    handler, for readers still on an older snapshot; readers here are single short transactions. TRUNCATE
    rather than RESTART with a journal_size_limit: one statement, and the WAL falls to 0 bytes, not to a limit.
    """
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
    driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def sqlite_transactions(engine: Engine, *, autocheckpoint: bool = True) -> None:
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
        begin = "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
        driver = conn.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            # Straight to the driver: this runs for every transaction, and SQLAlchemy's execution path for a
            # statement costs more than SQLite does for BEGIN.
            driver.execute(begin)
        else:  # aiosqlite (the migrations' async engine)
            conn.exec_driver_sql(begin)
