"""Parents' space: a child's photo (256×256 JPEG, consent) and change requests sent to
the intendance (« signaler un changement »).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "child_photos",
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("consent_user_id", sa.Integer(), nullable=False),
        sa.Column("consent_email", sa.String(length=254), nullable=False),
        sa.Column("consent_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_photos_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["consent_user_id"], ["users.id"], name=op.f("fk_child_photos_consent_user_id_users")
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_child_photos")),
    )
    op.create_table(
        "child_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_child_change_requests_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_child_change_requests_school_id_schools")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_child_change_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_change_requests")),
    )
    op.create_index("ix_child_change_requests_child_id", "child_change_requests", ["child_id"])
    op.create_index("ix_child_change_requests_school_id", "child_change_requests", ["school_id"])


def downgrade() -> None:
    op.drop_index("ix_child_change_requests_school_id", table_name="child_change_requests")
    op.drop_index("ix_child_change_requests_child_id", table_name="child_change_requests")
    op.drop_table("child_change_requests")
    op.drop_table("child_photos")
