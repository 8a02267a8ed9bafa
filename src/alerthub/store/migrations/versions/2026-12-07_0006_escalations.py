"""escalations

One row per alert episode and receiver run through an escalation policy: where it stands and when its
next step is due, so a restart or a second instance carries on exactly where it stopped.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("cycle_no", sa.Integer(), nullable=False),
        sa.Column("round_no", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("paged", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_escalation_alert_id_alert"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
    )
    op.create_index(
        "ix_escalation_alert_id_episode_receiver", "escalation", ["alert_id", "episode", "receiver"], unique=True
    )
    op.create_index("ix_escalation_state_next_at", "escalation", ["state", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_escalation_state_next_at", table_name="escalation")
    op.drop_index("ix_escalation_alert_id_episode_receiver", table_name="escalation")
    op.drop_table("escalation")
