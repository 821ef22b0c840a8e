"""Payments: online top-ups through a provider and payments at the counter.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
