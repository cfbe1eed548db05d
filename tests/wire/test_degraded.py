"""Degrade, don't apologise: a PostgreSQL database turned read-only under a running natobot, then back.

The database is made read-only for real (default_transaction_read_only, every session ended so the next one
starts read-only), not mocked. Answering goes on without an apology, /healthz says what is degraded, and once
the database takes writes again the store reconnects by itself and work is durable again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import slack_signing as sig
from db_fixtures import PG_URL, reset_postgres
from fakeslack import FakeSlack
from slack_harness import App, header, posted, running
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.engine import async_url

pytestmark = pytest.mark.skipif(not PG_URL, reason="NATOBOT_TEST_PG_URL is not set")


async def set_read_only(on: bool) -> None:
    assert PG_URL is not None
    name = make_url(PG_URL).database
    admin = create_async_engine(async_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            value = "on" if on else "off"
            await conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}'))
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    finally:
        await admin.dispose()


@pytest.fixture
async def pg_app(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[App]:
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    try:
        async with running(fake, tmp_path, database_url=PG_URL) as app:
            yield app
    finally:
        await set_read_only(False)


async def until(predicate_text: str, app: App, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        _, body = await app.get("/healthz")
        if predicate_text in body:
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(body)
        await asyncio.sleep(0.1)


async def test_read_only_postgresql_answers_without_apology_and_recovers(pg_app: App, fake: FakeSlack) -> None:
    app = pg_app
    await set_read_only(True)
    await app.event(sig.app_mention_event("who heads the IMS?", channel="C1"))
    [call] = await fake.wait_for("chat.postMessage")
    assert "International Military Staff" in header(posted(call))
    assert "Sorry" not in json.dumps(posted(call))
    status, body = await app.get("/healthz")
    assert status == 200 and "database: read-only" in body and "accepted work kept in memory" in body
    # Writable again: the store reconnects by itself, and new work is recorded durably again.
    await set_read_only(False)
    await app.event(sig.app_mention_event("where is SHAPE?", channel="C2"))
    await fake.wait_for("chat.postMessage", 2)
    await until("database: ok", app)
    counts = await app.deps.work.jobs.counts()
    assert sum(counts.values()) == 1  # the second question's job; the first was never written
