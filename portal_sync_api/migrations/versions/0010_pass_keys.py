"""Day passes: each school's Ed25519 key pair that signs the parents' QR passes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "pass_keys",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("private_key", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_pass_keys_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_pass_keys")),
    )


def downgrade() -> None:
    op.drop_table("pass_keys")
