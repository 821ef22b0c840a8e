"""Stations' journal proof: the chain head each station reports with its pushes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "station_states",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("last_pull_at", sa.String(length=40), nullable=True),
        sa.Column("last_push_at", sa.String(length=40), nullable=True),
        sa.Column("data_at", sa.String(length=40), nullable=True),
        sa.Column("pending", sa.Integer(), nullable=True),
        sa.Column("app_version", sa.String(length=40), nullable=True),
        sa.Column("clock_offset_seconds", sa.Integer(), nullable=True),
        sa.Column("sync_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("journal_first", sa.Integer(), nullable=True),
        sa.Column("journal_pos", sa.Integer(), nullable=True),
        sa.Column("journal_hash", sa.String(length=64), nullable=True),
        sa.Column("journal_at", sa.String(length=40), nullable=True),
        sa.Column("unlinked_meals", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("break_pos", sa.Integer(), nullable=True),
        sa.Column("break_kind", sa.String(length=8), nullable=True),
        sa.Column("break_ref", sa.String(length=64), nullable=True),
        sa.Column("break_problem", sa.String(length=200), nullable=True),
        sa.Column("break_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_station_states_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_states")),
    )
    op.create_table(
        "station_journal_links",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("pos", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_journal_links_station_id_stations"),
        ),
        sa.PrimaryKeyConstraint("station_id", "pos", name=op.f("pk_station_journal_links")),
    )


def downgrade() -> None:
    op.drop_table("station_journal_links")
    op.drop_table("station_states")
