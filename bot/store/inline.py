"""SQLite's inline-first writes: a batch from bot.store.write's group commit is written on the event loop's own
connection when SQLite's write lock is free, and handed to the writer thread when it is not (or anything else
goes wrong)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from bot.store.write import Outcome, WriterThread, _Item, _OpFailed, _run_ops

# Asking again for SQLite's write lock held by another process: first after this long, doubling up to the max;
# the event loop's timers have a resolution of about a millisecond anyway.
LOCK_RETRY_FIRST_S = 0.001
LOCK_RETRY_MAX_S = 0.005
# As long as the thread's connection waits in SQLite's busy handler (bot.store.base: timeout 30).
LOCK_WAIT_S = 30.0


def _locked(exc: BaseException) -> bool:
    return "database is locked" in str(exc) or "database is busy" in str(exc)


class InlineFirst:
    """SQLite: a batch is written right on the event loop's thread, asking for the write lock without waiting.

    Handing a write to a thread costs more than the write: a wake-up each way and the two threads taking
    turns at the GIL, where a small commit in WAL mode (synchronous=NORMAL: no fsync) takes tens of
    microseconds. So the loop's own connection asks for the lock with a busy timeout of 0. When another
    process holds it, the loop asks again after 1, 2, 4, then every 5 ms, free to serve requests meanwhile
    (SQLite's own busy handler would sleep 10 to 100 ms between tries, and lose the race to a process that
    keeps writing); the batch waiting grows by what arrives meanwhile. After LOCK_WAIT_S, or when anything
    else goes wrong, the batch goes to the writer thread, which reports errors as before. Checkpoints, the one
    slow part of WAL, are the thread's too: the loop's connection never checkpoints on commit, and every
    CHECKPOINT_EVERY inline commits the thread checkpoints and empties the WAL (bot.store.engine.checkpoint).
    """

    # The WAL peaks at about this many commits' worth (11 MB in the 250/s load benchmark) and each checkpoint holds
    # writers off for its TRUNCATE pass, ~7 ms (p95 7.4, max 10 ms; mostly the database file's sync): at
    # 250 commits/s, 500 is one such pause every 2 s (0.35% of the time), where 100 would pause 1.7% of the time
    # and 5,000 would let the WAL reach ~110 MB (issue 13: both passes timed at 250 commits/s, a reader running).
    CHECKPOINT_EVERY = 500

    def __init__(self, connect: Callable[[], Connection], thread: WriterThread,
                 checkpoint: Callable[[Connection], None]) -> None:
        self._connect = connect
        self._thread = thread
        self._checkpoint = checkpoint
        self._conn: Connection | None = None
        self._commits = 0

    def start_batch(self, batch: list[_Item], done: Callable[[list[Outcome]], None]) -> None:
        self._attempt(batch, done, time.monotonic(), LOCK_RETRY_FIRST_S)

    def _attempt(self, batch: list[_Item], done: Callable[[list[Outcome]], None], since: float,
                 delay: float) -> None:
        tried = self._inline(batch)
        if tried is None:  # another process holds the write lock: ask again shortly, the loop free meanwhile
            if time.monotonic() - since < LOCK_WAIT_S:
                asyncio.get_running_loop().call_later(delay, self._attempt, batch, done, since,
                                                      min(delay * 2, LOCK_RETRY_MAX_S))
                return
            tried = [None] * len(batch)  # the thread waits for it once more, then reports the lock
        outcomes = tried
        left = [i for i, o in enumerate(outcomes) if o is None]
        if not left:
            done([o for o in outcomes if o is not None])
            return

        def finish(rest: list[Outcome]) -> None:
            for index, outcome in zip(left, rest, strict=True):
                outcomes[index] = outcome
            done([o if o is not None else (False, RuntimeError("not written")) for o in outcomes])

        self._thread.start_batch([batch[i] for i in left], finish)

    def _inline(self, batch: list[_Item]) -> list[Outcome | None] | None:
        """Each item's outcome if written here, None for those the thread is to write; None if locked."""
        outcomes: list[Outcome | None] = [None] * len(batch)
        try:
            if self._conn is None:
                self._conn = self._connect()
            transaction = self._conn.begin()
        except Exception as exc:
            if _locked(exc):
                return None
            self.reset()  # anything odd: a fresh connection next time, and the thread tries this batch
            return outcomes
        results: dict[int, Any] = {}
        try:
            _run_ops(self._conn, batch, list(range(len(batch))), results)
            transaction.commit()
        except _OpFailed as failed:
            with contextlib.suppress(Exception):
                transaction.rollback()
            outcomes[failed.index] = (False, results[failed.index])  # as it would have failed alone
            return outcomes  # the others are written again by the thread
        except Exception:
            with contextlib.suppress(Exception):
                transaction.rollback()
            self.reset()
            return outcomes
        self._commits += 1
        if self._commits % self.CHECKPOINT_EVERY == 0:
            self._thread.run_soon(self._checkpoint)
        return [(True, results[i]) for i in range(len(batch))]

    def reset(self) -> None:
        """Drop the loop's connection (after an error, or when the store closes); the next batch opens another."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
