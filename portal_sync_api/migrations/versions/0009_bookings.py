"""Parents' bookings: the school's booking settings, closure days, who booked a
reservation and what a prepaid booking debited.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_SCHOOL_COLUMNS = (
    sa.Column("booking_mode", sa.String(16), nullable=False, server_default="pay_at_line"),
    sa.Column("booking_cutoff", sa.String(32), nullable=False, server_default="hours_before=48"),
    sa.Column("cancel_cutoff", sa.String(32), nullable=True),
    sa.Column("min_topup_cents", sa.Integer(), nullable=False, server_default="1000"),
    sa.Column("closed_weekdays", sa.String(16), nullable=False, server_default="3,6,7"),
    sa.Column("holiday_zone", sa.String(1), nullable=True),
)


def upgrade() -> None:
    for column in _SCHOOL_COLUMNS:
        op.add_column("schools", column)
    op.add_column("reservations", sa.Column("booking_ref", sa.String(32), nullable=True))
    op.add_column("reservations", sa.Column("booked_by", sa.Integer(), nullable=True))
    op.add_column("reservations", sa.Column("booked_at", sa.String(40), nullable=True))
    op.add_column(
        "reservations",
        sa.Column("debit_cents", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(
            "fk_reservations_booked_by_users", "reservations", "users", ["booked_by"], ["id"]
        )
    op.create_table(
        "school_closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_school_closures_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_closures")),
    )
    op.create_index(
        "ix_school_closures_school_day", "school_closures", ["school_id", "day"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_school_closures_school_day", table_name="school_closures")
    op.drop_table("school_closures")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_reservations_booked_by_users", "reservations", type_="foreignkey")
    for name in ("debit_cents", "booked_at", "booked_by", "booking_ref"):
        op.drop_column("reservations", name)
    for column in reversed(_SCHOOL_COLUMNS):
        op.drop_column("schools", column.name)
