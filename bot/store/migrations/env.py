"""Alembic's environment for natobot's schema.

The store's start-up (bot.store.migrations.migrate) hands over its own connection, already in a transaction and
holding the migration lock. Run from the `alembic` command line instead (to write a revision with
--autogenerate, or look at history), it connects to DATABASE_URL (natobot's default SQLite file when unset),
takes the PostgreSQL advisory lock and adopts an old database as start-up does. On SQLite the command line
does not hold the write lock for the whole run: it is for a scratch database, while live ones migrate at start.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.settings import load_settings
from bot.store.engine import async_url
from bot.store.migrations import prepare
from bot.store.schema import UTCDateTime, metadata


def render_item(type_: str, obj: Any, _autogen: AutogenContext) -> str | Literal[False]:
    """Revisions are snapshots: the store's UTCDateTime is written as the column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection: Connection) -> None:
    # Batch operations, so a generated step that alters a column also works on SQLite (which recreates the table).
    context.configure(connection=connection, target_metadata=metadata, render_item=render_item, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_locked(connection: Connection) -> None:
    prepare(connection, ScriptDirectory.from_config(context.config))
    run(connection)


async def run_from_command_line() -> None:
    # The same DATABASE_URL (environment or .env) the bot reads: pyproject.toml holds no database address.
    url = async_url(load_settings().database)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)  # as Store.open does
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_locked)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("natobot migrates over a live connection; offline (--sql) mode is not supported")
connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    asyncio.run(run_from_command_line())
