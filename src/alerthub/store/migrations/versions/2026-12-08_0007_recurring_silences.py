"""recurring silences

A silence may come back on a schedule (an iCalendar RRULE, each occurrence lasting a duration, read on a
time zone's clock): `POST /api/silences` with `recurrence`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("silence") as batch:
        batch.add_column(sa.Column("recurrence", json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("silence") as batch:
        batch.drop_column("recurrence")
