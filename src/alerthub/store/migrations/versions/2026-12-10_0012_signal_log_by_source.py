"""signal log by source

Each source's last signal and its count since a moment (the Monitors page, `GET /api/monitoring/status`
`sources`) read from an index on (source, received_at): a few index lookups per source instead of a walk
through the whole log. Building it holds ingest back for as long as it takes (about a second per million
signals kept); nothing else changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_signal_log_source_received_at", "signal_log", ["source", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_signal_log_source_received_at", table_name="signal_log")
