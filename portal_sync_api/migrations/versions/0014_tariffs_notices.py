"""Income-based tariffs (quotient familial) and balance notices.

- ``tariff_brackets``: a school's QF brackets per service, with their price;
- ``family_quotients``: each family's QF and its validity, as recorded (history kept);
- ``family_notice_states``: per family, the low-balance and relance state of its e-mails;
- ``children.qf_tariff``: the bracket's tariff category in force today, sent to stations;
- ``schools.relance_days``: the relance schedule (days after the balance went negative).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tariff_brackets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("min_qf", sa.Integer(), nullable=False),
        sa.Column("max_qf", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_tariff_brackets_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_brackets")),
        sa.UniqueConstraint(
            "school_id", "service", "min_qf", name=op.f("uq_tariff_brackets_school_id")
        ),
    )
    op.create_table(
        "family_quotients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("qf", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("set_at", sa.String(40), nullable=False),
        sa.Column("set_by", sa.String(254), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_family_quotients_family_id_families")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_quotients")),
    )
    op.create_index(
        "ix_family_quotients_family_from", "family_quotients", ["family_id", "valid_from"]
    )
    op.create_table(
        "family_notice_states",
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("low_balance_notice", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("low_since", sa.String(40), nullable=True),
        sa.Column("negative_since", sa.String(40), nullable=True),
        sa.Column("relances_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_relance_at", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["families.id"],
            name=op.f("fk_family_notice_states_family_id_families"),
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_family_notice_states")),
    )
    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("qf_tariff", sa.String(32), nullable=True))
    with op.batch_alter_table("schools") as batch:
        batch.add_column(
            sa.Column("relance_days", sa.String(64), nullable=False, server_default="0,7,21")
        )


def downgrade() -> None:
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("relance_days")
    with op.batch_alter_table("children") as batch:
        batch.drop_column("qf_tariff")
    op.drop_table("family_notice_states")
    op.drop_index("ix_family_quotients_family_from", table_name="family_quotients")
    op.drop_table("family_quotients")
    op.drop_table("tariff_brackets")
