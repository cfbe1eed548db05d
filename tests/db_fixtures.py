"""Database fixtures shared by the store and digest tests: a real SQLite file, and a real PostgreSQL
server when NATOBOT_TEST_PG_URL is set (`eval "$(scripts/postgres.sh)"` starts one)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.engine import async_url
from bot.store.state import Store

PG_ENV = "NATOBOT_TEST_PG_URL"
PG_URL = os.environ.get(PG_ENV)
NO_PG = f'{PG_ENV} is not set; run `eval "$(scripts/postgres.sh)"` to run the PostgreSQL tests'
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
# Monday 3 March 2025, 09:00 in Brussels.
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


class Clock:
    """A pinned clock shared by every Store of a test, so leases, expiry and due times are exact."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def reset_postgres(url: str) -> None:
    """Each test starts from an empty database, as the SQLite tests do with a new file."""
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            names = (await conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))).scalars().all()
            for name in names:
                await conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NO_PG))])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'natobot.db'}"
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def open_store(db_url: str, clock: Clock) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    """Opens any number of Store instances on the test's database; all are closed at the end."""
    opened: list[Store] = []

    async def _open() -> Store:
        store = await Store.open(db_url, clock=clock)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: Callable[[], Awaitable[Store]]) -> Store:
    return await open_store()
