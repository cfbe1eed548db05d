"""Schema migrations for the state store, run by Alembic.

bot/store/schema.py's MetaData is the one description of the tables; each revision in versions/ is a snapshot of the
DDL one step applied, and tests/unit/test_migrations.py checks that the revisions bring an empty database to exactly
that MetaData (Alembic's autogenerate comparison) on SQLite and PostgreSQL.

`migrate` runs at every start-up over the store's own connection, inside its transaction, and is safe when
several processes start at once: on PostgreSQL a transaction-scoped advisory lock serialises them (DDL is
transactional there, so a failed step leaves nothing half done); on SQLite the store begins every transaction
with BEGIN IMMEDIATE, which takes the database's write lock up front.

Databases made before Alembic carry the old hand-written migrator's `schema_version` table. They are adopted in
the same transaction: stamped with the revision that reproduces their version, the old table dropped, then
upgraded like any other.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)

# Any constant works as long as nothing else in the database uses it; this is
# the ASCII of "natobot" folded into a signed 64-bit key.
ADVISORY_LOCK_KEY = 0x6E61746F626F74
SCRIPT_LOCATION = Path(__file__).resolve().parent
# The old migrator's version table, and the revision that reproduces each of its versions.
LEGACY_TABLE = "schema_version"
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003"}


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the shipped scripts; with `connection`, env.py migrates over it."""
    config = Config()
    # ConfigParser would read a "%" in the path as interpolation.
    config.set_main_option("script_location", SCRIPT_LOCATION.as_posix().replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def lock(conn: Connection) -> None:
    """Hold off every other migrator until this transaction ends (SQLite's BEGIN IMMEDIATE already has)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def adopt_legacy(conn: Connection, script: ScriptDirectory) -> str | None:
    """Stamp a database made by the old migrator with the matching revision; returns it (None if not one)."""
    if not inspect(conn).has_table(LEGACY_TABLE):
        return None
    version = conn.execute(text(f"SELECT MAX(version) FROM {LEGACY_TABLE}")).scalar()
    revision = LEGACY_REVISIONS.get(version) if version is not None else None
    if version is not None and revision is None:
        raise RuntimeError(f"the database's {LEGACY_TABLE} says version {version}, which no revision reproduces")
    if revision is not None:
        log.info("adopting a database at schema version %d as Alembic revision %s", version, revision)
        MigrationContext.configure(conn).stamp(script, revision)
    conn.execute(text(f"DROP TABLE {LEGACY_TABLE}"))
    return revision


def current_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions the database's alembic_version table records (none for a new database)."""
    return tuple(MigrationContext.configure(conn).get_current_heads())


def prepare(conn: Connection, script: ScriptDirectory) -> tuple[str, ...]:
    """Lock and adopt before Alembic looks at the version table; returns the database's revisions."""
    lock(conn)
    adopt_legacy(conn, script)
    return current_revisions(conn)


def head_revision(script: ScriptDirectory | None = None) -> str:
    """The newest revision the shipped scripts reach."""
    head = (script or ScriptDirectory.from_config(alembic_config())).get_current_head()
    assert head is not None, "bot/store/migrations/versions holds no revision"
    return head


def _upgrade(conn: Connection) -> str:
    config = alembic_config(conn)
    script = ScriptDirectory.from_config(config)
    head = head_revision(script)
    current = prepare(conn, script)
    known = {rev.revision for rev in script.walk_revisions()}
    if any(rev not in known for rev in current):
        # A rolled-back deployment meeting a newer schema: steps are additive, so carry on.
        log.warning("database schema is at revision %s, newer than this code's %s", ",".join(current), head)
        return ",".join(current)
    if current != (head,):  # an up-to-date database (every start but the first after a release) skips env.py
        log.info("migrating the database schema from %s to %s", ",".join(current) or "empty", head)
        command.upgrade(config, "head")
    return head


async def migrate(conn: AsyncConnection) -> str:
    """Bring the schema up to date inside the caller's transaction; returns the revision now in place."""
    return await conn.run_sync(_upgrade)
