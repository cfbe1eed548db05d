"""Group commit: the store's writes that arrive together share one transaction.

Every write is still one function over a Connection (bot.store.state), atomic on its own; what changes is how many
share a transaction. Writes submitted in the same turn of the event loop, or while the previous batch is being
written, go in together: one BEGIN and one COMMIT, one trip to the database thread (SQLite) or one pooled
connection (PostgreSQL), and one wake-up of the event loop for all their results. Under load that is most of
what a write costs; when idle a batch is a single write, written at once (nothing waits to fill a batch).

A write that raises is failed on its own: the transaction is rolled back and the others are written again
without it, so each caller sees exactly what it would have seen alone. A failure to begin or commit (the
database is down, locked, full) fails the whole batch, as it would have failed each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

Op = Callable[[Connection], Any]
# Writes per transaction at most: a bounded batch keeps the write lock (SQLite) or the row locks (PostgreSQL)
# short, so another process's writes are not held for long.
MAX_BATCH = 256


# Set (bot.slack.work, through `deferred`) for writes nobody waits on to go on: they may wait this long to join the
# next batch instead of starting one of their own.
_within: ContextVar[float | None] = ContextVar("natobot_write_within", default=None)


@contextlib.contextmanager
def deferred(within: float) -> Iterator[None]:
    """Writes submitted in this block, and by tasks started in it, may wait up to `within` seconds for a batch.

    For writes made once the user has their answer (a job's finish, which message answered): a transaction of
    their own per event costs a BEGIN and a COMMIT (a round trip on PostgreSQL) and a wake-up of the event loop;
    waiting a few milliseconds, they ride along with the next write that cannot wait. Durability is unchanged:
    a crash before they are written is a crash before they were written, which the work queue already covers.
    """
    token = _within.set(within)
    try:
        yield
    finally:
        _within.reset(token)


class _OpFailed(Exception):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class _Item:
    __slots__ = ("future", "op")

    def __init__(self, op: Op, future: asyncio.Future[Any]) -> None:
        self.op = op
        self.future = future


Outcome = tuple[bool, Any]  # (True, result) or (False, exception)


def _run_ops(conn: Connection, items: list[_Item], todo: list[int], results: dict[int, Any]) -> None:
    for index in todo:
        try:
            results[index] = items[index].op(conn)
        except Exception as exc:
            results[index] = exc
            raise _OpFailed(index) from exc


def run_batch(begin: Callable[[], contextlib.AbstractContextManager[Connection]], items: list[_Item]) -> list[Outcome]:
    """Write `items` in one transaction (synchronously); each one's outcome, in order."""
    outcomes: list[Outcome | None] = [None] * len(items)
    todo = list(range(len(items)))
    while todo:
        results: dict[int, Any] = {}
        try:
            with begin() as conn:
                _run_ops(conn, items, todo, results)
        except _OpFailed as failed:
            outcomes[failed.index] = (False, results[failed.index])
            todo.remove(failed.index)  # the others again, without it
            continue
        except Exception as exc:  # BEGIN, COMMIT or the rollback failed: the database, not one write
            for index in todo:
                outcomes[index] = (False, exc)
            break
        for index in todo:
            outcomes[index] = (True, results[index])
        break
    return [o if o is not None else (False, RuntimeError("not written")) for o in outcomes]


class GroupCommit:
    """Collects writes on the event loop and hands them over in batches.

    `start_batch(batch, done)` writes a batch somewhere (a thread, a task) and calls `done(outcomes)` on the
    loop when it is over. At most `in_flight` batches are written at once; SQLite has one (its single write lock,
    taken in order by this process), PostgreSQL a few (row locks, not a table lock).
    """

    def __init__(self, start_batch: Callable[[list[_Item], Callable[[list[Outcome]], None]], None], *,
                 in_flight: int = 1, max_batch: int = MAX_BATCH,
                 start_alone: Callable[[list[_Item], Callable[[list[Outcome]], None]], None] | None = None) -> None:
        self._start_batch = start_batch
        self._start_alone = start_alone
        self._in_flight_max = in_flight
        self._max_batch = max_batch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[_Item] = []
        self._in_flight = 0
        self._flush_scheduled = False
        self._idle: asyncio.Event | None = None
        self._later: list[_Item] = []  # deferred writes, waiting to join the next batch
        self._later_timer: asyncio.TimerHandle | None = None

    def submit(self, op: Op, *, alone: bool = False) -> asyncio.Future[Any]:
        """Write `op`, batched with others; `alone`, in a transaction of its own where rows are locked
        (PostgreSQL), for a write to a row every replica updates (a shared counter): in a batch, its row lock
        would hold the whole batch, and two batches taking such rows in different orders deadlock."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests run one per test): nothing of the old one carries over
            self._loop, self._pending, self._in_flight, self._flush_scheduled = loop, [], 0, False
            self._idle, self._later, self._later_timer = None, [], None
        future: asyncio.Future[Any] = loop.create_future()
        if alone and self._start_alone is not None:
            item = _Item(op, future)
            self._start_alone([item], functools.partial(self._settle, [item]))
            return future
        within = _within.get()
        if within is not None and within > 0:
            self._later.append(_Item(op, future))
            if self._later_timer is None:
                self._later_timer = loop.call_later(within, self._release_later)
            return future
        self._pending.append(_Item(op, future))
        self._schedule(loop)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._flush_scheduled and self._in_flight < self._in_flight_max:
            # At the end of this turn of the loop: whatever else is submitted in it joins the batch.
            self._flush_scheduled = True
            loop.call_soon(self._flush)

    def _take_later(self) -> None:
        """The deferred writes join the writes pending (ahead of them: they were submitted first)."""
        if self._later_timer is not None:
            self._later_timer.cancel()
            self._later_timer = None
        if self._later:
            self._pending, self._later = self._later + self._pending, []

    def _release_later(self) -> None:
        self._later_timer = None
        self._take_later()
        if self._loop is not None:
            self._schedule(self._loop)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._pending and self._in_flight < self._in_flight_max:
            self._take_later()  # a batch goes out anyway: what may wait goes with it
        while self._pending and self._in_flight < self._in_flight_max:
            batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
            self._in_flight += 1
            self._start_batch(batch, functools.partial(self._done, self._loop, batch))

    @staticmethod
    def _settle(batch: list[_Item], outcomes: list[Outcome]) -> None:
        for item, (ok, value) in zip(batch, outcomes, strict=True):
            if item.future.done():  # its caller gave up waiting (a timeout); the write stands all the same
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)

    def _done(self, loop: asyncio.AbstractEventLoop | None, batch: list[_Item], outcomes: list[Outcome]) -> None:
        self._settle(batch, outcomes)
        if loop is not self._loop:
            return
        self._in_flight -= 1
        if self._pending:
            self._flush()
        elif self._in_flight == 0 and self._idle is not None:
            self._idle.set()

    async def drain(self) -> None:
        """Wait until every write submitted on this loop has been written."""
        loop = asyncio.get_running_loop()
        while loop is self._loop and (self._pending or self._in_flight or self._later):
            self._take_later()  # nothing waits for a batch to fill any more
            self._idle = asyncio.Event()
            if self._pending and not self._flush_scheduled and self._in_flight < self._in_flight_max:
                self._flush()
            await self._idle.wait()


class WriterThread:
    """The one thread that writes to a SQLite file for this process (see bot.store.base: one writer, in order)."""

    def __init__(self, begin: Callable[[], contextlib.AbstractContextManager[Connection]],
                 connect: Callable[[], contextlib.AbstractContextManager[Connection]],
                 name: str = "natobot-db-write") -> None:
        self._begin = begin
        self._connect = connect
        self._name = name
        self._queue: queue.SimpleQueue[tuple[list[_Item], Callable[[list[Outcome]], None],
                                             asyncio.AbstractEventLoop] | Callable[[Connection], None] | None]
        self._queue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start_batch(self, batch: list[_Item], done: Callable[[list[Outcome]], None]) -> None:
        self._ensure_thread()
        self._queue.put((batch, done, asyncio.get_running_loop()))

    def run_soon(self, chore: Callable[[Connection], None]) -> None:
        """Run `chore` on the thread, outside any transaction, when it is free (a checkpoint); errors ignored."""
        self._ensure_thread()
        self._queue.put(chore)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            if callable(work):
                with contextlib.suppress(Exception), self._connect() as conn:
                    work(conn)
                continue
            batch, done, loop = work
            outcomes = run_batch(self._begin, batch)
            with contextlib.suppress(RuntimeError):  # that loop has been closed: nobody is waiting any more
                loop.call_soon_threadsafe(done, outcomes)

    def stop(self) -> None:
        """Finish what was handed over, then end the thread (a later batch starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()


class WriterTasks:
    """PostgreSQL: batches written by tasks on the event loop, on a few connections kept open between batches.

    A connection checked out of the pool for every batch costs a ping and a checkout each time; kept, it costs
    nothing until it fails, and then it is closed and the next batch connects afresh (through the pool, which
    pings it first).
    """

    def __init__(self, connect: Callable[[], Awaitable[AsyncConnection]]) -> None:
        self._connect = connect
        self._idle: list[AsyncConnection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start_batch(self, batch: list[_Item], done: Callable[[list[Outcome]], None]) -> None:
        self._start(self._run(batch), done, len(batch))

    def start_alone(self, batch: list[_Item], done: Callable[[list[Outcome]], None]) -> None:
        """On a pooled connection of its own, beside the batches (bot.store.write.GroupCommit.submit's `alone`)."""
        self._start(self._run(batch, keep=False), done, len(batch))

    def _start(self, run: Coroutine[Any, Any, list[Outcome]], done: Callable[[list[Outcome]], None],
               size: int) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the loop that opened them
            self._loop, self._idle = loop, []
        task = loop.create_task(self._write(run, done, size))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, run: Coroutine[Any, Any, list[Outcome]], done: Callable[[list[Outcome]], None],
                     size: int) -> None:
        try:
            outcomes = await run
        except asyncio.CancelledError:  # the loop is shutting down: every caller hears of it
            done([(False, RuntimeError("the write was cancelled"))] * size)
            raise
        done(outcomes)

    async def _run(self, batch: list[_Item], *, keep: bool = True) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(batch)
        todo = list(range(len(batch)))
        while todo:
            results: dict[int, Any] = {}
            try:
                conn = self._idle.pop() if self._idle and keep else await self._connect()
            except Exception as exc:
                for index in todo:
                    outcomes[index] = (False, exc)
                break
            try:
                async with conn.begin():
                    await conn.run_sync(_run_ops, batch, todo, results)
            except _OpFailed as failed:
                await self._release(conn, keep)
                outcomes[failed.index] = (False, results[failed.index])
                todo.remove(failed.index)  # the others again, without it
                continue
            except BaseException as exc:  # BEGIN, COMMIT or the connection failed: the database, not one write
                await _close(conn)
                if not isinstance(exc, Exception):
                    raise
                for index in todo:
                    outcomes[index] = (False, exc)
                break
            await self._release(conn, keep)
            for index in todo:
                outcomes[index] = (True, results[index])
            break
        return [o if o is not None else (False, RuntimeError("not written")) for o in outcomes]

    async def _release(self, conn: AsyncConnection, keep: bool) -> None:
        if keep:
            self._idle.append(conn)
        else:
            await _close(conn)  # back to the pool

    async def wait(self) -> None:
        """Until every batch started on this loop has been written."""
        tasks = [t for t in self._tasks if t.get_loop() is asyncio.get_running_loop()]
        if tasks:
            await asyncio.wait(tasks)

    async def reset(self) -> None:
        """Close the connections kept open (after a failure, or when the store closes)."""
        idle, self._idle = self._idle, []
        if self._loop is asyncio.get_running_loop():
            for conn in idle:
                await _close(conn)


async def _close(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.close()
