"""The hand-written migrator natobot used before Alembic, kept as test data: its three DDL snapshots and its
`schema_version` table, so tests can build a database exactly as the old code left one and check that it
is adopted. Copied from bot/store/migrations.py as it was before Alembic replaced it; never run by the bot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import JSON


def _v1_initial(conn: Connection) -> None:
    md = MetaData()
    # Slack event ids seen; the primary key makes "first claim wins" a unique insert.
    Table(
        "events", md,
        Column("event_id", String(255), primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )
    Table(
        "contexts", md,
        Column("key", String(255), primary_key=True),
        Column("entities", JSON, nullable=False),
        Column("intent", String(64)),
        Column("facet", String(64)),
        Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
    )
    Table(
        "feedback", md,
        Column("team", String(64), nullable=False),
        Column("channel", String(64), nullable=False),
        Column("message_ts", String(64), nullable=False),
        Column("user_id", String(64), nullable=False),
        Column("question", Text, nullable=False),
        Column("entry", String(255)),
        Column("vote", String(8), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
    )
    # One row per distinct normalised question: bounded by what people ask, not how often.
    Table(
        "unanswered", md,
        Column("normalised", String(500), primary_key=True),
        Column("question", Text, nullable=False),
        Column("status", String(32), nullable=False),
        Column("entry", String(255)),
        Column("count", Integer, nullable=False),
        Column("first_asked", DateTime(timezone=True), nullable=False),
        Column("last_asked", DateTime(timezone=True), nullable=False),
    )
    Table(
        "subscriptions", md,
        Column("channel", String(64), primary_key=True),
        Column("team", String(64), nullable=False, index=True),
        Column("time", String(5), nullable=False),
        Column("tz", String(64), nullable=False),
        Column("weekdays", Boolean, nullable=False),
        Column("error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    # One row per channel and local day; status "claimed" (with a lease) or "sent".
    deliveries = Table(
        "deliveries", md,
        Column("channel", String(64), nullable=False),
        Column("local_date", Date, nullable=False),
        Column("status", String(8), nullable=False),
        Column("owner", String(64), nullable=False),
        Column("lease_until", DateTime(timezone=True), nullable=False),
        Column("ts", String(64)),
        Column("sent_at", DateTime(timezone=True)),
        PrimaryKeyConstraint("channel", "local_date"),
    )
    Index("ix_deliveries_local_date", deliveries.c.local_date)
    md.create_all(conn)


def _v2_slack(conn: Connection) -> None:
    md = MetaData()
    # Which bot message answered which question, so an edit updates the answer and a deletion removes it.
    replies = Table(
        "replies", md,
        Column("channel", String(64), nullable=False),
        Column("question_ts", String(64), nullable=False),
        Column("team", String(64), nullable=False),
        Column("answer_channel", String(64), nullable=False),
        Column("answer_ts", String(64), nullable=False),
        Column("thread_ts", String(64)),
        Column("context_key", String(255)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("channel", "question_ts"),
    )
    Index("ix_replies_created_at", replies.c.created_at)
    # What was wrong with an answer, from the "Not helpful" form; one per person and message.
    Table(
        "feedback_notes", md,
        Column("team", String(64), nullable=False),
        Column("channel", String(64), nullable=False),
        Column("message_ts", String(64), nullable=False),
        Column("user_id", String(64), nullable=False),
        Column("question", Text, nullable=False),
        Column("entry", String(255)),
        Column("reasons", String(255), nullable=False),
        Column("comment", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
    )
    # Slack's assistant thread context (the channel the person is looking at), per assistant thread.
    threads = Table(
        "assistant_threads", md,
        Column("channel", String(64), nullable=False),
        Column("thread_ts", String(64), nullable=False),
        Column("context", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("channel", "thread_ts"),
    )
    Index("ix_assistant_threads_updated_at", threads.c.updated_at)
    md.create_all(conn)
    # Digest cadence and content per subscription, and who set it up (told when the channel refuses posts).
    for ddl in (
        "ALTER TABLE subscriptions ADD COLUMN cadence VARCHAR(8) NOT NULL DEFAULT 'daily'",
        "ALTER TABLE subscriptions ADD COLUMN weekday INTEGER",
        "ALTER TABLE subscriptions ADD COLUMN include_management BOOLEAN NOT NULL DEFAULT TRUE",
        "ALTER TABLE subscriptions ADD COLUMN subscriber VARCHAR(64)",
    ):
        conn.execute(text(ddl))
    conn.execute(text("UPDATE subscriptions SET cadence = 'weekdays' WHERE weekdays"))


def _v3_jobs(conn: Connection) -> None:
    md = MetaData()
    # Work acknowledged to Slack and not yet finished: recorded before the ack, so a crash loses none of it.
    # The key is the dedup key (event id, trigger id); a replica holds a queued job while its lease runs.
    jobs = Table(
        "jobs", md,
        Column("key", String(255), primary_key=True),
        Column("kind", String(32), nullable=False),
        Column("body", Text, nullable=False),
        Column("status", String(8), nullable=False),
        Column("owner", String(64)),
        Column("lease_until", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("reply_channel", String(64)),
        Column("reply_ts", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Index("ix_jobs_status_lease", jobs.c.status, jobs.c.lease_until)
    Index("ix_jobs_updated_at", jobs.c.updated_at)
    md.create_all(conn)
    # The unanswered and feedback tables are now pruned by age; these indexes keep that a range delete.
    Index("ix_unanswered_last_asked", Table("unanswered", MetaData(), Column("last_asked", DateTime)).c.last_asked
          ).create(conn)
    Index("ix_feedback_updated_at", Table("feedback", MetaData(), Column("updated_at", DateTime)).c.updated_at
          ).create(conn)


STEPS = ((1, "initial schema", _v1_initial),
         (2, "Slack: replies, feedback notes, assistant threads, digest cadence", _v2_slack),
         (3, "durable jobs; indexes for pruning", _v3_jobs))
LAST_VERSION = STEPS[-1][0]

_version_md = MetaData()
schema_version = Table(
    "schema_version", _version_md,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


def build(conn: Connection, version: int = LAST_VERSION) -> None:
    """Apply the old steps up to `version` and record them, as the old `migrate` did."""
    _version_md.create_all(conn)
    for number, name, apply in STEPS[:version]:
        apply(conn)
        conn.execute(schema_version.insert().values(version=number, name=name, applied_at=datetime.now(UTC)))


def drop_all_tables(conn: Connection) -> None:
    """Empty the database, whatever made it."""
    md = MetaData()
    md.reflect(conn)
    md.drop_all(conn)
