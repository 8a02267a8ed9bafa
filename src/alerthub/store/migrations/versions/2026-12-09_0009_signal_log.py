"""signal log

Every signal ingest accepts, as the rules saw it, for `alerthub backtest` to replay through the rules and
the pipeline; pruned by `storage.retention.signals` (indexed by arrival for both).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "signal_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("labels", json, nullable=False),
        sa.Column("identity", json, nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passthrough", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_log")),
    )
    op.create_index("ix_signal_log_received_at", "signal_log", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_signal_log_received_at", table_name="signal_log")
    op.drop_table("signal_log")
