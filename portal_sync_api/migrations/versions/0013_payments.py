"""Payments: online top-ups through a provider and payments at the counter.

- ``payments``: one row per payment a family makes (online or at the counter), its state,
  the provider's transaction id (unique: one credit per transaction) and a counter
  payment's reference (unique per school: recording a cheque twice records it once).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("provider_txn", sa.String(128), nullable=True),
        sa.Column("redirect_url", sa.String(500), nullable=True),
        sa.Column("counter_reference", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=True),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_payments_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_payments_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("ref", name=op.f("uq_payments_ref")),
        sa.UniqueConstraint("provider_txn", name=op.f("uq_payments_provider_txn")),
        sa.UniqueConstraint("school_id", "counter_reference", name=op.f("uq_payments_school_id")),
    )
    op.create_index(op.f("ix_payments_family_id"), "payments", ["family_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payments_family_id"), table_name="payments")
    op.drop_table("payments")
