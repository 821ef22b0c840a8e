"""Tokens: a station's offline-export verification key and its revocation, a user
token's expiry and revocation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("export_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", sa.String(length=40), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_expires_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("token_revoked_at", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_revoked_at")
        batch_op.drop_column("token_expires_at")
    with op.batch_alter_table("stations", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("export_key")
