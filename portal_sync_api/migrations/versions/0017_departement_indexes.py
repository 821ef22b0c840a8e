"""Indexes the pages need at département size (docs/query-plans.md).

At 100 schools, 100 000 pupils and a term of meals, three reads of one school scanned a
whole table shared by every school:

- the intendance's « Journal » (count, page, actors and actions of the school's
  ``audit_log`` rows, newest first): ``ix_audit_log_school_at``;
- the « Postes » page (meals each station sent today, by ``received_at``): the school's
  index by business day read every meal of the school's year, now
  ``ix_meals_school_received``;
- a family by the school's id (``families.ref``) across schools, as a family's page and
  the lookups by reference do: ``ix_families_ref``;
- a login by its address, compared without case (``lower(email)``), and a family's
  parents (``users.family_id``, their notices): with a web login for every family, both
  read every user: ``ix_users_email_lower`` and ``ix_users_family_id``.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None

#: (index, table, columns or expressions), mirrored in the models' ``__table_args__``.
INDEXES = (
    ("ix_audit_log_school_at", "audit_log", ["school_id", "at", "id"]),
    ("ix_meals_school_received", "meals", ["school_id", "received_at"]),
    ("ix_families_ref", "families", ["ref"]),
    ("ix_users_email_lower", "users", [sa.text("lower(email)")]),
    ("ix_users_family_id", "users", ["family_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
