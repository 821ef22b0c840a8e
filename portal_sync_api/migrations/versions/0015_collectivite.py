"""Collectivité administrators over several schools (``user_schools``), and the CSV files
uploaded for import kept between their preview and « Valider » (``import_uploads``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "user_schools",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_schools_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_user_schools_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("user_id", "school_id", name=op.f("pk_user_schools")),
    )
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("preview", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_import_uploads_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_import_uploads_school_id_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_uploads")),
    )
    op.create_index(op.f("ix_import_uploads_session_hash"), "import_uploads", ["session_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_uploads_session_hash"), table_name="import_uploads")
    op.drop_table("import_uploads")
    op.drop_table("user_schools")
