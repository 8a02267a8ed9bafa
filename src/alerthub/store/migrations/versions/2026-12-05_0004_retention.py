"""retention: daily rule rollups, the resolved-alert index, incremental vacuum on SQLite

`daily_rule_stats` keeps what pruned alerts contributed to the overview; `ix_alert_state_resolved_at`
lets the pruner find alerts resolved before its cut-off. On SQLite the file is switched to
`auto_vacuum=INCREMENTAL` so that `PRAGMA incremental_vacuum` after a prune gives the space back: the
setting only takes effect through a VACUUM, which cannot run inside a transaction (hence the autocommit
block) and rewrites the whole file once (a large database takes a while and needs its size free on disk).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_INCREMENTAL = 2


def upgrade() -> None:
    op.create_table(
        "daily_rule_stats",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        *(_count(name) for name in ("firings", "alerts", "episodes", "acknowledged")),
        sa.Column("ack_seconds", sa.Float(), server_default=sa.text("0"), nullable=False),
        _count("ack_timed"),
        _count("resolved"),
        sa.Column("resolve_seconds", sa.Float(), server_default=sa.text("0"), nullable=False),
        _count("resolve_timed"),
        sa.PrimaryKeyConstraint("day", "rule_name", "severity", name=op.f("pk_daily_rule_stats")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index("ix_alert_state_resolved_at", ["state", "resolved_at"], unique=False)
    _set_auto_vacuum("INCREMENTAL", _INCREMENTAL)


def downgrade() -> None:
    _set_auto_vacuum("NONE", 0)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_state_resolved_at")
    op.drop_table("daily_rule_stats")


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def _set_auto_vacuum(mode: str, value: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL's autovacuum already reuses the space of deleted rows
    if bind.exec_driver_sql("PRAGMA auto_vacuum").scalar() == value:
        return
    with op.get_context().autocommit_block():
        bind.exec_driver_sql(f"PRAGMA auto_vacuum={mode}")
        bind.exec_driver_sql("VACUUM")
