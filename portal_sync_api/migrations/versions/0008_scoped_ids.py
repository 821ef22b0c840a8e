"""Tenancy: the ids of the school's files and of its stations are scoped to the school.

Children, families, meals and voids get ``ref`` (the school's own id, unique within the
school) beside ``id`` (the internal key other tables refer to). Rows made before keep
their id as key and get it as ref too, so nothing that refers to them moves. Families
get the school that imported them (the school of their first child). Voids get their
meal's school. ``audit_log`` records administrative changes such as a child's transfer
from one school to another.

SQLite cannot make an added column NOT NULL without rebuilding the table (and the
rebuild would drop tables that others refer to); there the columns stay nullable at the
database level and the application always fills them. PostgreSQL gets NOT NULL, except
for ``families.school_id``: a family of an old database may have no school to belong to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 07:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_SCOPED = ("children", "families", "meals", "voids")

_BACKFILL = (
    "UPDATE children SET ref = id",
    "UPDATE meals SET ref = id",
    "UPDATE voids SET ref = id",
    "UPDATE voids SET school_id = (SELECT meals.school_id FROM meals"
    " WHERE meals.id = voids.meal_id)",
    "UPDATE families SET ref = id",
    "UPDATE families SET school_id = (SELECT MIN(children.school_id) FROM children"
    " WHERE children.family_id = families.id)",
    # A family no child names (none is deleted, but be safe): the first school, if any.
    "UPDATE families SET school_id = (SELECT MIN(id) FROM schools) WHERE school_id IS NULL",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in _SCOPED:
        op.add_column(name, sa.Column("ref", sa.String(length=64), nullable=True))
    for name in ("families", "voids"):
        op.add_column(name, sa.Column("school_id", sa.Integer(), nullable=True))
    for statement in _BACKFILL:
        op.execute(statement)
    if postgres:
        for name in _SCOPED:
            op.alter_column(name, "ref", nullable=False)
        op.alter_column("voids", "school_id", nullable=False)
        for name in ("families", "voids"):
            op.create_foreign_key(
                f"fk_{name}_school_id_schools", name, "schools", ["school_id"], ["id"]
            )
    for name in _SCOPED:
        op.create_index(f"ix_{name}_school_ref", name, ["school_id", "ref"], unique=True)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_audit_log_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_log")
    for name in _SCOPED:
        op.drop_index(f"ix_{name}_school_ref", table_name=name)
    for name in ("families", "voids"):
        if postgres:
            op.drop_constraint(f"fk_{name}_school_id_schools", name, type_="foreignkey")
        op.drop_column(name, "school_id")
    for name in _SCOPED:
        op.drop_column(name, "ref")
