"""Initial schema: schools, roster, reservations, ledger, meals, stations, users, feed.

Revision ID: 0001
Revises: -
Create Date: 2026-11-24 03:24:19.159901
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "families",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_families")),
    )
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("unreserved_policy", sa.String(length=16), nullable=False),
        sa.Column("unreserved_surcharge_cents", sa.Integer(), nullable=False),
        sa.Column("overdraft_limit_cents", sa.Integer(), nullable=False),
        sa.Column("low_balance_threshold_cents", sa.Integer(), nullable=False),
        sa.Column("max_meals_per_service", sa.Integer(), nullable=False),
        sa.Column("undo_window_minutes", sa.Integer(), nullable=False),
        sa.Column("max_manual_serves_per_child_per_month", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("code", name=op.f("uq_schools_code")),
    )
    op.create_table(
        "changes",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_changes_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", "kind", "key", name=op.f("pk_changes")),
        sa.UniqueConstraint("school_id", "seq", name=op.f("uq_changes_school_id")),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("class_name", sa.String(length=32), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("regime", sa.String(length=16), nullable=False),
        sa.Column("forfait_days", sa.String(length=7), nullable=False),
        sa.Column("tariff", sa.String(length=32), nullable=False),
        sa.Column("diet", sa.String(length=500), nullable=False),
        sa.Column("allergies", sa.String(length=500), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=True),
        sa.Column("photo", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_children_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_children_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_children_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_school_id"), ["school_id"], unique=False)

    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_ledger_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger")),
        sa.UniqueConstraint("reference", name=op.f("uq_ledger_reference")),
    )
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_family_id"), ["family_id"], unique=False)

    op.create_table(
        "school_counters",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_school_counters_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_counters")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_services_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
        sa.UniqueConstraint("school_id", "code", name=op.f("uq_services_school_id")),
    )
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_stations_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("school_id", "name", name=op.f("uq_stations_school_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_stations_token_hash")),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("tariff", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_tariffs_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        sa.UniqueConstraint("school_id", "tariff", "service", name=op.f("uq_tariffs_school_id")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_users_family_id_families")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_users_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_users_token_hash")),
    )
    op.create_table(
        "cards",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_cards_child_id_children")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cards")),
    )
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cards_child_id"), ["child_id"], unique=False)

    op.create_table(
        "meals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("card", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("served_at", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("charged_cents", sa.Integer(), nullable=False),
        sa.Column("duplicate_pass", sa.Boolean(), nullable=False),
        sa.Column("clock_skew", sa.Boolean(), nullable=False),
        sa.Column("ack_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_meals_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_meals_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_meals_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meals")),
    )
    with op.batch_alter_table("meals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meals_child_day_service", ["child_id", "business_date", "service"], unique=False
        )
        batch_op.create_index("ix_meals_school_day", ["school_id", "business_date"], unique=False)

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service", sa.String(length=32), nullable=False),
        sa.Column("prepaid", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_reservations_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("child_id", "day", "service", name=op.f("uq_reservations_child_id")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index("ix_reservations_day_service", ["day", "service"], unique=False)

    op.create_table(
        "voids",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("meal_id", sa.String(length=64), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("voided_at", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("ack_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["meal_id"], ["meals.id"], name=op.f("fk_voids_meal_id_meals")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_voids_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voids")),
        sa.UniqueConstraint("meal_id", name=op.f("uq_voids_meal_id")),
    )


def downgrade() -> None:
    op.drop_table("voids")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_day_service")

    op.drop_table("reservations")
    with op.batch_alter_table("meals", schema=None) as batch_op:
        batch_op.drop_index("ix_meals_school_day")
        batch_op.drop_index("ix_meals_child_day_service")

    op.drop_table("meals")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cards_child_id"))

    op.drop_table("cards")
    op.drop_table("users")
    op.drop_table("tariffs")
    op.drop_table("stations")
    op.drop_table("services")
    op.drop_table("school_counters")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_family_id"))

    op.drop_table("ledger")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_school_id"))
        batch_op.drop_index(batch_op.f("ix_children_family_id"))

    op.drop_table("children")
    op.drop_table("changes")
    op.drop_table("schools")
    op.drop_table("families")
