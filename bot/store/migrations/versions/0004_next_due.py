"""subscriptions.next_due, indexed, for the digest scheduler.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A snapshot of the DDL this step applies (see 0003). Never edit a step that has shipped.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # When each subscription is next due (UTC), so a scheduler pass reads only the due rows through the index
    # instead of every subscription. Existing rows get bot.store.digest.LOOK_AGAIN (2000-01-01, before any pass): the
    # first pass looks at each once and writes the real value.
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("next_due", UTC_TIME))
    if op.get_bind().dialect.name == "postgresql":
        look_again = "2000-01-01 00:00:00+00"
    else:  # as SQLAlchemy writes a UTC datetime there
        look_again = "2000-01-01 00:00:00.000000"
    op.execute(sa.text(f"UPDATE subscriptions SET next_due = '{look_again}'"))  # a literal: asyncpg takes no str
    op.create_index("ix_subscriptions_next_due", "subscriptions", ["next_due", "channel"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_next_due", "subscriptions")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("next_due")
