"""Slack: replies, feedback notes, assistant threads, digest cadence (old version 2).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A snapshot of the DDL this step applies: types are spelled out here rather than taken from bot.store.schema's
# tables, so a later change to those never changes what a shipped step does. Never edit a step that has shipped.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
CADENCE_COLUMNS = ("cadence", "weekday", "include_management", "subscriber")


def upgrade() -> None:
    # Which bot message answered which question, so an edit updates the answer and a deletion removes it.
    op.create_table(
        "replies",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("question_ts", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("answer_channel", sa.String(64), nullable=False),
        sa.Column("answer_ts", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64)),
        sa.Column("context_key", sa.String(255)),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "question_ts"),
    )
    op.create_index("ix_replies_created_at", "replies", ["created_at"])
    # What was wrong with an answer, from the "Not helpful" form; one per person and message.
    op.create_table(
        "feedback_notes",
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("message_ts", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("entry", sa.String(255)),
        sa.Column("reasons", sa.String(255), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("team", "channel", "message_ts", "user_id"),
    )
    # Slack's assistant thread context (the channel the person is looking at), per assistant thread.
    op.create_table(
        "assistant_threads",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("thread_ts", sa.String(64), nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "thread_ts"),
    )
    op.create_index("ix_assistant_threads_updated_at", "assistant_threads", ["updated_at"])
    # Digest cadence and content per subscription, and who set it up (told when the channel refuses posts).
    # ADD COLUMN, which SQLite does in place: the existing subscriptions keep their rows.
    op.add_column("subscriptions", sa.Column("cadence", sa.String(8), nullable=False, server_default="daily"))
    op.add_column("subscriptions", sa.Column("weekday", sa.Integer))
    op.add_column("subscriptions", sa.Column("include_management", sa.Boolean, nullable=False,
                                             server_default=sa.text("TRUE")))
    op.add_column("subscriptions", sa.Column("subscriber", sa.String(64)))
    op.execute("UPDATE subscriptions SET cadence = 'weekdays' WHERE weekdays")


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        for column in CADENCE_COLUMNS:
            batch.drop_column(column)
    for table in ("assistant_threads", "feedback_notes", "replies"):
        op.drop_table(table)
