"""flapping

An alert that keeps changing between firing and resolved becomes flapping: since when (indexed: the
sweeper ends each spell, `GET /api/alerts?flapping=true` lists them) and its recent changes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("flapping_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("flap", json, nullable=True))
        batch.create_index("ix_alert_flapping_since", ["flapping_since"])


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_flapping_since")
        batch.drop_column("flap")
        batch.drop_column("flapping_since")
