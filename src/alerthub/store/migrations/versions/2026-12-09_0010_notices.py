"""notices

The alerts a silence or a time interval held back, per group, until the mute ends and its receiver is
sent one summary of what fired and resolved inside it; which silences' coming ends were warned of; and
which weekly noise reports went out.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mute_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("route_path", sa.String(length=500), nullable=False),
        sa.Column("group_key", sa.String(length=500), nullable=False),
        sa.Column("cause", sa.String(length=300), nullable=False),
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_mute_log_alert_id_alert"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mute_log")),
    )
    op.create_index(
        "ix_mute_log_group_key_cause_alert_id_episode",
        "mute_log",
        ["group_key", "cause", "alert_id", "episode"],
        unique=True,
    )
    op.create_table(
        "silence_warning",
        sa.Column("silence_id", sa.String(length=36), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("route_path", sa.String(length=500), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["silence_id"], ["silence.id"], name=op.f("fk_silence_warning_silence_id_silence"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("silence_id", "ends_at", "route_path", name=op.f("pk_silence_warning")),
    )
    op.create_table(
        "noise_report",
        sa.Column("receiver", sa.String(length=200), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("receiver", "period_end", name=op.f("pk_noise_report")),
    )


def downgrade() -> None:
    op.drop_table("noise_report")
    op.drop_table("silence_warning")
    op.drop_index("ix_mute_log_group_key_cause_alert_id_episode", table_name="mute_log")
    op.drop_table("mute_log")
