"""Alembic migrations on a real SQLite file and a real PostgreSQL server: the migrated schema is exactly
bot.store.schema's MetaData (one schema source), databases made by the old hand-written migrator are adopted with
their rows, concurrent start-ups migrate once, and the `alembic` command line works from the checkout."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import tomllib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import legacy_migrator
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from setuptools import find_packages
from sqlalchemy import Connection, func, inspect, select, text

from bot.store.migrations import LEGACY_TABLE, alembic_config, head_revision
from bot.store.schema import deliveries, jobs, metadata
from bot.store.state import Store

ROOT = Path(__file__).resolve().parents[2]


def schema_differences(conn: Connection) -> list[Any]:
    """What `alembic revision --autogenerate` would write to bring the database to bot.store.schema's MetaData."""
    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
    return list(compare_metadata(context, metadata))


def versions(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


async def _state(store: Store) -> tuple[list[Any], list[str], list[str]]:
    async with store.engine.connect() as conn:
        diffs = await conn.run_sync(schema_differences)
        revs = await conn.run_sync(versions)
        tables = await conn.run_sync(lambda c: sorted(inspect(c).get_table_names()))
    return diffs, revs, tables


async def test_a_migrated_database_is_exactly_the_stores_metadata(store: Store) -> None:
    diffs, revs, tables = await _state(store)
    assert diffs == []
    assert revs == [head_revision()] == [store.schema_version]
    assert tables == sorted([*metadata.tables, "alembic_version"])


async def test_the_comparison_sees_a_column_the_migrations_lack(store: Store) -> None:
    async with store.engine.begin() as conn:  # the test above cannot pass by comparing nothing
        await conn.execute(text("ALTER TABLE subscriptions DROP COLUMN subscriber"))
        await conn.execute(text("DROP INDEX ix_jobs_updated_at"))
        diffs = await conn.run_sync(schema_differences)
    found = sorted((d[0], d[-1].name) for d in diffs)
    assert found == [("add_column", "subscriber"), ("add_index", "ix_jobs_updated_at")]


def _seed_legacy(conn: Connection) -> None:
    """The old migrator's last version, with a row in the tables the store reads back below."""
    legacy_migrator.drop_all_tables(conn)
    legacy_migrator.build(conn)
    now = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    conn.execute(text(
        "INSERT INTO subscriptions (channel, team, time, tz, weekdays, created_at, updated_at, cadence, weekday,"
        " include_management, subscriber) VALUES ('C1', 'T1', '09:00', 'Europe/Brussels', TRUE, :now, :now,"
        " 'weekly', 2, FALSE, 'U7')"), {"now": now})
    conn.execute(text("INSERT INTO events (event_id, expires_at) VALUES ('Ev1', :t)"), {"t": datetime(2099, 1, 1)})
    conn.execute(text("INSERT INTO deliveries (channel, local_date, status, owner, lease_until, ts) VALUES "
                      "('C1', '2025-03-03', 'sent', 'o', :now, '1.1')"), {"now": now})


async def test_a_database_of_the_old_migrators_last_version_is_adopted_with_its_rows(
        open_store: Callable[[], Awaitable[Store]], caplog: pytest.LogCaptureFixture) -> None:
    store = await open_store()
    async with store.engine.begin() as conn:
        await conn.run_sync(_seed_legacy)
    await store.close()
    with caplog.at_level(logging.INFO, logger="bot.store.migrations"):
        adopted = await open_store()
    assert f"at schema version {legacy_migrator.LAST_VERSION} as Alembic revision" in caplog.text
    diffs, revs, tables = await _state(adopted)
    assert (diffs, revs) == ([], [head_revision()])  # stamped as its old version, then upgraded past it
    assert LEGACY_TABLE not in tables
    (sub,) = await adopted.subscriptions()
    assert (sub.channel, sub.tz, sub.cadence, sub.weekday, sub.include_management, sub.subscriber) == (
        "C1", "Europe/Brussels", "weekly", 2, False, "U7")
    assert not await adopted.claim_event("Ev1")  # still claimed
    async with adopted.engine.connect() as conn:
        assert (await conn.execute(select(deliveries.c.ts))).scalars().all() == ["1.1"]
        assert (await conn.execute(select(func.count()).select_from(jobs))).scalar() == 0


async def test_concurrent_first_opens_of_an_old_database_adopt_it_once(
        open_store: Callable[[], Awaitable[Store]]) -> None:
    store = await open_store()
    async with store.engine.begin() as conn:
        await conn.run_sync(_seed_legacy)
    await store.close()
    stores = await asyncio.gather(*(open_store() for _ in range(4)))
    assert {s.schema_version for s in stores} == {head_revision()}
    diffs, revs, _ = await _state(stores[0])
    assert (diffs, revs) == ([], [head_revision()])
    assert len(await stores[1].subscriptions()) == 1


async def test_concurrent_first_opens_of_a_new_database_migrate_once(
        open_store: Callable[[], Awaitable[Store]]) -> None:
    stores = await asyncio.gather(*(open_store() for _ in range(4)))
    assert {s.schema_version for s in stores} == {head_revision()}
    assert (await _state(stores[0]))[1] == [head_revision()]


async def test_opening_again_keeps_the_data(open_store: Callable[[], Awaitable[Store]]) -> None:
    first = await open_store()
    await first.claim_event("Ev1")
    second = await open_store()
    assert second.schema_version == head_revision()
    assert not await second.claim_event("Ev1")


async def test_a_database_from_a_newer_release_is_used_as_it_is(
        open_store: Callable[[], Awaitable[Store]], caplog: pytest.LogCaptureFixture) -> None:
    store = await open_store()
    async with store.engine.begin() as conn:  # a later release's step, which this code has no script for
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with caplog.at_level(logging.WARNING, logger="bot.store.migrations"):
        rolled_back = await open_store()
    assert rolled_back.schema_version == "9999"
    assert "newer than this code's" in caplog.text
    assert await rolled_back.claim_event("Ev1")


async def test_every_step_downgrades_and_upgrades_again(store: Store) -> None:
    def down_and_up(conn: Connection) -> list[str]:
        config = alembic_config(conn)
        command.downgrade(config, "base")
        left = sorted(inspect(conn).get_table_names())
        command.upgrade(config, "head")
        return left

    async with store.engine.begin() as conn:
        assert await conn.run_sync(down_and_up) == ["alembic_version"]
        assert await conn.run_sync(schema_differences) == []
    await store.subscribe(channel="C1", team="T1", time="09:00", tz="UTC", weekdays=False)
    assert [s.channel for s in await store.subscriptions()] == ["C1"]


def _alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "alembic", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


async def test_the_alembic_command_line_finds_the_shipped_scripts_and_no_drift(store: Store, db_url: str) -> None:
    current = await asyncio.to_thread(_alembic, db_url, "current")
    assert current.returncode == 0, current.stderr
    assert f"{head_revision()} (head)" in current.stdout
    check = await asyncio.to_thread(_alembic, db_url, "check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_the_installed_package_carries_every_migration_file() -> None:
    """`natobot serve` migrates from the installed package: env.py, the template and each revision ship."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(find_packages(ROOT, include=setup["packages"]["find"]["include"]))
    data = setup["package-data"]["bot"]
    files = [p.relative_to(ROOT) for p in (ROOT / "bot" / "store" / "migrations").rglob("*") if p.is_file()
             and "__pycache__" not in p.parts]
    assert {f.name for f in files} >= {"env.py", "script.py.mako", "0001_initial.py"}
    for f in files:
        if f.suffix == ".py":
            assert ".".join(f.parent.parts) in packages, f
        else:
            assert any(fnmatch(f.relative_to("bot").as_posix(), pattern) for pattern in data), f
