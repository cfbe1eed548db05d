"""Group commit (bot.store.write) through the real Store, on a SQLite file and on PostgreSQL.

Writes submitted together share one transaction; a write that raises fails alone; on SQLite a batch is
written on the event loop's thread unless another connection holds the write lock, and then the writer
thread waits for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from db_fixtures import T0
from sqlalchemy import Connection, event, select
from sqlalchemy.engine import Engine

from bot.answering.context import Context
from bot.store import inline as dbinline
from bot.store import write as dbwrite
from bot.store.schema import contexts
from bot.store.state import Store

pytest_plugins = ["db_fixtures"]

def _engines(store: Store) -> Iterator[tuple[str, Engine]]:
    yield "async", store.engine.sync_engine
    for name in ("_sync", "_sync_inline"):
        engine = getattr(store, name, None)
        if engine is not None:
            yield name, engine


def count_commits(store: Store) -> dict[str, int]:
    """Commits per engine of the store from now on (the loop's own SQLite connection is `_sync_inline`)."""
    counts = {name: 0 for name, _ in _engines(store)}
    for name, engine in _engines(store):
        def on_commit(_conn: Any, name: str = name) -> None:
            counts[name] += 1

        event.listen(engine, "commit", on_commit)
    return counts


async def _keys(store: Store) -> set[str]:
    return set(await store._read(lambda conn: conn.execute(select(contexts.c.key)).scalars().all()))


@pytest.mark.parametrize("writes", [1, 2, 20, 300])
async def test_writes_submitted_together_share_transactions(store: Store, writes: int) -> None:
    commits = count_commits(store)
    await asyncio.gather(*(store.save_context(f"k{i}", Context(entities=[f"e{i}"])) for i in range(writes)))
    assert await _keys(store) == {f"k{i}" for i in range(writes)}
    # One transaction per MAX_BATCH (256) writes at most, not one per write.
    assert sum(commits.values()) == (writes + 255) // 256


def _insert(key: str) -> Any:
    def op(conn: Connection) -> str:
        conn.execute(contexts.insert().values(key=key, entities=[], updated_at=T0))
        return key

    return op


def _boom(conn: Connection) -> None:
    conn.execute(contexts.insert().values(key="half-written", entities=[], updated_at=T0))
    raise ZeroDivisionError("this write fails")


@pytest.mark.parametrize("failing_at", [0, 1, 2])
async def test_a_write_that_raises_fails_alone(store: Store, failing_at: int) -> None:
    ops: list[Any] = [_insert("a"), _insert("b")]
    ops.insert(failing_at, _boom)
    results = await asyncio.gather(*(store._write(op) for op in ops), return_exceptions=True)
    assert isinstance(results[failing_at], ZeroDivisionError)
    assert [r for i, r in enumerate(results) if i != failing_at] == ["a", "b"]
    assert await _keys(store) == {"a", "b"}  # nothing of the failed write, everything of the others


async def test_a_write_that_conflicts_with_an_earlier_one_in_its_batch_fails_as_it_would_after_it(
        store: Store) -> None:
    results = await asyncio.gather(store._write(_insert("same")), store._write(_insert("same")),
                                   return_exceptions=True)
    assert results[0] == "same"
    assert isinstance(results[1], Exception)  # the primary key, as if the two had run one after the other
    assert await _keys(store) == {"same"}


@pytest.mark.parametrize(("lock_wait", "writer"), [(30.0, "_sync_inline"), (0.0, "_sync")])
async def test_sqlite_waits_for_another_process_without_blocking_the_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock_wait: float, writer: str) -> None:
    """The loop asks again for a lock held elsewhere; past LOCK_WAIT_S the writer thread waits for it."""
    monkeypatch.setattr(dbinline, "LOCK_WAIT_S", lock_wait)
    store = await Store.open(f"sqlite:///{tmp_path / 'natobot.db'}")
    try:
        commits = count_commits(store)
        await store.save_context("free", Context(entities=["x"]))
        assert commits == {"async": 0, "_sync": 0, "_sync_inline": 1}  # on the loop's own connection

        other = sqlite3.connect(tmp_path / "natobot.db", timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write lock
        write = asyncio.create_task(store.save_context("held", Context(entities=["y"])))
        # The loop is not blocked while the write waits for the lock.
        assert await asyncio.wait_for(asyncio.sleep(0.05, "loop free"), 1) == "loop free"
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(write, 10)
        assert commits[writer] == 1 + (writer == "_sync_inline")
        assert await _keys(store) == {"free", "held"}
    finally:
        await store.close()


async def test_close_writes_what_was_submitted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'natobot.db'}"
    store = await Store.open(url)
    tasks = [asyncio.create_task(store.save_context(f"k{i}", Context(entities=["x"]))) for i in range(5)]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*tasks)
    again = await Store.open(url)
    try:
        assert await _keys(again) == {f"k{i}" for i in range(5)}
    finally:
        await again.close()


async def test_a_deferred_write_joins_the_next_batch_or_goes_alone_after_its_wait(tmp_path: Path) -> None:
    """bot.store.write.deferred: a job's end waits for the next write that cannot wait, not for its own commit."""
    url = f"sqlite:///{tmp_path / 'natobot.db'}"
    store = await Store.open(url)
    try:
        commits = count_commits(store)
        with dbwrite.deferred(10.0):
            later = asyncio.ensure_future(store._write(_insert("later")))
        await asyncio.sleep(0.05)
        assert not later.done() and sum(commits.values()) == 0  # waiting for company
        assert await store._write(_insert("now")) == "now"
        assert await later == "later"
        assert sum(commits.values()) == 1  # one transaction for both
        with dbwrite.deferred(0.05):
            alone = asyncio.ensure_future(store._write(_insert("alone")))
        assert await asyncio.wait_for(alone, 5) == "alone"  # nothing else came: written after its wait
        assert sum(commits.values()) == 2
        with dbwrite.deferred(10.0):
            at_close = asyncio.ensure_future(store._write(_insert("at-close")))
        await asyncio.sleep(0)
    finally:
        await store.close()  # written at close, without waiting out its 10 s
    assert await asyncio.wait_for(at_close, 1) == "at-close"
    again = await Store.open(url)
    try:
        assert await _keys(again) == {"later", "now", "alone", "at-close"}
    finally:
        await again.close()


# Commits between checkpoints in the test below (InlineFirst.CHECKPOINT_EVERY, lowered so a short run has several).
_CHECKPOINT_EVERY = 50


async def test_the_wal_is_emptied_by_the_checkpoints_under_steady_writes(tmp_path: Path) -> None:
    """Issue 13: with only passive checkpoints the WAL never restarted while writes kept coming, so the file and
    its index (mapped into the process) grew with every event. Each checkpoint now ends with the WAL empty."""
    store = await Store.open(f"sqlite:///{tmp_path / 'natobot.db'}")
    assert store._inline is not None and store._writer_thread is not None
    store._inline.CHECKPOINT_EVERY = _CHECKPOINT_EVERY
    wal = tmp_path / "natobot.db-wal"
    try:
        # One commit each, never pausing for the checkpoints the writer thread runs meanwhile; the last commit
        # queues the last checkpoint.
        for i in range(6 * _CHECKPOINT_EVERY):
            await store.save_context(f"k{i}", Context(entities=[f"e{i}", "x" * 200]))
        drained = threading.Event()
        store._writer_thread.run_soon(lambda _conn: drained.set())  # runs after the checkpoints queued before it
        assert await asyncio.to_thread(drained.wait, 30)
        size = wal.stat().st_size
        assert await _keys(store) >= {f"k{i}" for i in range(6 * _CHECKPOINT_EVERY)}  # all copied back, none lost
    finally:
        await store.close()
    # Passive checkpoints alone leave the file at its high-water mark, here at least a checkpoint's worth of
    # commits of a 4 KiB page or more each (over 200 KB); emptied, it is 0 bytes.
    assert size == 0, f"the WAL holds {size:,} bytes after the last checkpoint"
