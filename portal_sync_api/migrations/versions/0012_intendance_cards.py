"""Intendance: cards blocked and replaced from the pages, meal corrections.

- ``card_counters``: the highest card number each school ever issued from the pages, so a
  replacement card never reuses a number (even one whose card row was removed since);
- ``voids.station_id`` becomes nullable: a meal voided by the intendance from its pages
  was voided at no station (who did it is in ``audit_log``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "card_counters",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_card_counters_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_card_counters")),
    )
    with op.batch_alter_table("voids", schema=None) as batch_op:
        batch_op.alter_column("station_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # A void made at no station has no place in a schema that requires one: refuse
    # rather than drop a void whose refund stays in the ledger.
    made_here = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM voids WHERE station_id IS NULL"))
        .scalar_one()
    )
    if made_here:
        raise RuntimeError(f"{made_here} repas annulés par l'intendance : retour impossible")
    with op.batch_alter_table("voids", schema=None) as batch_op:
        batch_op.alter_column("station_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("card_counters")
