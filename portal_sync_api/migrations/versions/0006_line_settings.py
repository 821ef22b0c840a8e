"""School settings for the serving line: the monthly cap of supervised overrides (F4)
and whether staff must acknowledge an allergy verdict (F8) before the next pass.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "max_overrides_per_child_per_month",
                sa.Integer(),
                nullable=False,
                server_default="3",
            )
        )
        batch_op.add_column(
            sa.Column(
                "allergy_ack_required", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("allergy_ack_required")
        batch_op.drop_column("max_overrides_per_child_per_month")
