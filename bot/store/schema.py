"""The tables: the one schema source, for the store's queries, Alembic's env.py and its autogenerate check.

bot/store/migrations/versions holds the Alembic revisions that build it; tests/unit/test_migrations.py checks
the migrated database matches this MetaData exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

# Longest stored texts: the normalised question is a primary key (PostgreSQL's
# btree entries must stay well under 2.7 KB) and nobody needs a 56 KB question kept.
MAX_NORMALISED = 500
MAX_TEXT = 2000
MAX_KEY = 255
MAX_ID = 64


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on both backends.

    SQLite has no time zone type and would hand back naive values; storing UTC
    there and re-attaching it on the way out keeps comparisons and callers uniform.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The current shape of the tables, for queries: the one schema source. bot/store/migrations/versions holds the
# Alembic revisions that build it; tests/unit/test_migrations.py checks the migrated database matches it exactly.
metadata = MetaData()
events = Table(
    "events", metadata,
    Column("event_id", String(MAX_KEY), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False),
)
contexts = Table(
    "contexts", metadata,
    Column("key", String(MAX_KEY), primary_key=True),
    Column("entities", JSON, nullable=False),
    Column("intent", String(64)),
    Column("facet", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)
feedback = Table(
    "feedback", metadata,
    Column("team", String(MAX_ID), nullable=False),
    Column("channel", String(MAX_ID), nullable=False),
    Column("message_ts", String(MAX_ID), nullable=False),
    Column("user_id", String(MAX_ID), nullable=False),
    Column("question", Text, nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("vote", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
)
unanswered = Table(
    "unanswered", metadata,
    Column("normalised", String(MAX_NORMALISED), primary_key=True),
    Column("question", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("count", Integer, nullable=False),
    Column("first_asked", UTCDateTime, nullable=False),
    Column("last_asked", UTCDateTime, nullable=False),
)
subscriptions = Table(
    "subscriptions", metadata,
    Column("channel", String(MAX_ID), primary_key=True),
    Column("team", String(MAX_ID), nullable=False),
    Column("time", String(5), nullable=False),
    Column("tz", String(64), nullable=False),
    Column("weekdays", Boolean, nullable=False),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("cadence", String(8), nullable=False, server_default="daily"),
    Column("weekday", Integer),  # 0 = Monday, for the weekly cadence
    Column("include_management", Boolean, nullable=False, server_default=text("TRUE")),
    Column("subscriber", String(MAX_ID)),  # the person who set it up, told when posting fails
    # When the scheduler next looks at it (UTC; indexed with channel): the next due instant, or an instant in the
    # past for "look again" (a change, a failed post). Only a hint: the deliveries' claims keep it exactly once.
    Column("next_due", UTCDateTime),
)
deliveries = Table(
    "deliveries", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("status", String(8), nullable=False),  # "claimed" or "sent"
    Column("owner", String(64), nullable=False),  # the Store instance holding the claim
    Column("lease_until", UTCDateTime, nullable=False),
    Column("ts", String(MAX_ID)),
    Column("sent_at", UTCDateTime),
    PrimaryKeyConstraint("channel", "local_date"),
)
# Acknowledged work (bot.store.jobs): status "queued" (held by `owner` until `lease_until`), "done", "shed" or
# "dropped".
jobs = Table(
    "jobs", metadata,
    Column("key", String(MAX_KEY), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("owner", String(64)),
    Column("lease_until", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("reply_channel", String(MAX_ID)),
    Column("reply_ts", String(MAX_ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
replies = Table(
    "replies", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("question_ts", String(MAX_ID), nullable=False),
    Column("team", String(MAX_ID), nullable=False),
    Column("answer_channel", String(MAX_ID), nullable=False),
    Column("answer_ts", String(MAX_ID), nullable=False),
    Column("thread_ts", String(MAX_ID)),
    Column("context_key", String(MAX_KEY)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("channel", "question_ts"),
)
feedback_notes = Table(
    "feedback_notes", metadata,
    Column("team", String(MAX_ID), nullable=False),
    Column("channel", String(MAX_ID), nullable=False),
    Column("message_ts", String(MAX_ID), nullable=False),
    Column("user_id", String(MAX_ID), nullable=False),
    Column("question", Text, nullable=False),
    Column("entry", String(MAX_KEY)),
    Column("reasons", String(MAX_KEY), nullable=False),  # comma-separated reason codes
    Column("comment", Text),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
)
assistant_threads = Table(
    "assistant_threads", metadata,
    Column("channel", String(MAX_ID), nullable=False),
    Column("thread_ts", String(MAX_ID), nullable=False),
    Column("context", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("channel", "thread_ts"),
)

# Indexes for purging by age and for the digest's per-team lookups (named as the migrations create them).
Index("ix_events_expires_at", events.c.expires_at)
Index("ix_contexts_updated_at", contexts.c.updated_at)
Index("ix_feedback_updated_at", feedback.c.updated_at)
Index("ix_unanswered_last_asked", unanswered.c.last_asked)
Index("ix_subscriptions_team", subscriptions.c.team)
Index("ix_deliveries_local_date", deliveries.c.local_date)
Index("ix_jobs_status_lease", jobs.c.status, jobs.c.lease_until)
Index("ix_jobs_updated_at", jobs.c.updated_at)
Index("ix_replies_created_at", replies.c.created_at)
Index("ix_assistant_threads_updated_at", assistant_threads.c.updated_at)
Index("ix_subscriptions_next_due", subscriptions.c.next_due, subscriptions.c.channel)
