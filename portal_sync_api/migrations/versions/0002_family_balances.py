"""Running family balances, kept by the database on every ledger insert.

The feed's ``balance`` rows used to be computed as ``SUM(ledger.amount_cents)`` per
family on every meal batch: ~500 families × their whole year of entries, 75 ms per
batch by June on PostgreSQL (more than the rest of the batch). ``family_balances``
holds the same sum, maintained inside the inserting statement's transaction by a
trigger, so it cannot drift from the append-only ledger whoever writes to it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:58:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# PostgreSQL: one statement-level trigger; the rows of the INSERT arrive as a transition
# table and become one upsert per family (in family order, so two writers never lock
# the same two families in opposite orders).
_PG_FUNCTION = """
CREATE FUNCTION ledger_to_family_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO family_balances (family_id, balance_cents)
    SELECT family_id, SUM(amount_cents) FROM new_entries
    GROUP BY family_id ORDER BY family_id
    ON CONFLICT (family_id)
    DO UPDATE SET balance_cents = family_balances.balance_cents + EXCLUDED.balance_cents;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = """
CREATE TRIGGER ledger_family_balances AFTER INSERT ON ledger
REFERENCING NEW TABLE AS new_entries
FOR EACH STATEMENT EXECUTE FUNCTION ledger_to_family_balances()
"""
# SQLite has row triggers only (cheap there: no client round trip per row).
_SQLITE_TRIGGER = """
CREATE TRIGGER ledger_family_balances AFTER INSERT ON ledger
BEGIN
    INSERT INTO family_balances (family_id, balance_cents)
    VALUES (NEW.family_id, NEW.amount_cents)
    ON CONFLICT (family_id)
    DO UPDATE SET balance_cents = balance_cents + excluded.balance_cents;
END
"""


def upgrade() -> None:
    op.create_table(
        "family_balances",
        sa.Column("family_id", sa.String(length=64), nullable=False),
        sa.Column("balance_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_id"], ["families.id"], name=op.f("fk_family_balances_family_id_families")
        ),
        sa.PrimaryKeyConstraint("family_id", name=op.f("pk_family_balances")),
    )
    op.execute(
        "INSERT INTO family_balances (family_id, balance_cents) "
        "SELECT family_id, SUM(amount_cents) FROM ledger GROUP BY family_id"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER ledger_family_balances"
        + (" ON ledger" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION ledger_to_family_balances()")
    op.drop_table("family_balances")
