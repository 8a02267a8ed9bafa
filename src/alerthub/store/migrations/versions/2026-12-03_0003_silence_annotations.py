"""silence annotations

Alertmanager's postable silence may carry `annotations` (newer amtool and Grafana send them); they are
stored with the silence and shown again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("silence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "annotations",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'{}'"),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("silence", schema=None) as batch_op:
        batch_op.drop_column("annotations")
