"""handoffs

Which handoff messages went out: one row per schedule, shift start and person coming on call, so that
the message is sent once however many instances run or restart.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff",
        sa.Column("schedule", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("schedule", "starts_at", "person", name=op.f("pk_handoff")),
    )


def downgrade() -> None:
    op.drop_table("handoff")
