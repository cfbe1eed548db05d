"""Initial schema: events, contexts, feedback, unanswered, subscriptions, deliveries (old version 1).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A snapshot of the DDL this step applies: types are spelled out here rather than taken from bot.store.schema's
# tables, so a later change to those never changes what a shipped step does. Never edit a step that has shipped.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Slack event ids seen; the primary key makes "first claim wins" a unique insert.
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("expires_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_events_expires_at", "events", ["expires_at"])
    op.create_table(
        "contexts",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("facet", sa.String(64)),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_contexts_updated_at", "contexts", ["updated_at"])
    op.create_table(
        "feedback",
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("entry", sa.String(255)),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
    )
    # One row per distinct normalised question: bounded by what people ask, not how often.
    op.create_table(
        "unanswered",
        sa.Column("normalised", sa.String(500), primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("entry", sa.String(255)),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_asked", UTC_TIME, nullable=False),
        sa.Column("last_asked", UTC_TIME, nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("weekdays", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_subscriptions_team", "subscriptions", ["team"])
    # One row per channel and local day; status "claimed" (with a lease) or "sent".
    op.create_table(
        "deliveries",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("lease_until", UTC_TIME, nullable=False),
        sa.Column("ts", sa.String(64)),
        sa.Column("sent_at", UTC_TIME),
        sa.PrimaryKeyConstraint("channel", "local_date"),
    )
    op.create_index("ix_deliveries_local_date", "deliveries", ["local_date"])


def downgrade() -> None:
    for table in ("deliveries", "subscriptions", "unanswered", "feedback", "contexts", "events"):
        op.drop_table(table)
