"""schedule overrides

Someone on call in a schedule's place for a while (`POST /api/schedules/{name}/overrides`), stored so
that overrides survive a restart and every instance sees the same ones.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_override",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_override")),
    )
    op.create_index("ix_schedule_override_schedule_ends_at", "schedule_override", ["schedule", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_override_schedule_ends_at", table_name="schedule_override")
    op.drop_table("schedule_override")
