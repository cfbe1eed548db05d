"""Durable jobs; indexes for pruning (old version 3).

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A snapshot of the DDL this step applies: types are spelled out here rather than taken from bot.store.schema's
# tables, so a later change to those never changes what a shipped step does. Never edit a step that has shipped.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Work acknowledged to Slack and not yet finished: recorded before the ack, so a crash loses none of it.
    # The key is the dedup key (event id, trigger id); a replica holds a queued job while its lease runs.
    op.create_table(
        "jobs",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("lease_until", UTC_TIME, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("reply_channel", sa.String(64)),
        sa.Column("reply_ts", sa.String(64)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_jobs_status_lease", "jobs", ["status", "lease_until"])
    op.create_index("ix_jobs_updated_at", "jobs", ["updated_at"])
    # The unanswered and feedback tables are pruned by age; these indexes keep that a range delete.
    op.create_index("ix_unanswered_last_asked", "unanswered", ["last_asked"])
    op.create_index("ix_feedback_updated_at", "feedback", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_updated_at", "feedback")
    op.drop_index("ix_unanswered_last_asked", "unanswered")
    op.drop_table("jobs")
