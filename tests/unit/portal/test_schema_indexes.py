"""The migrations and the models describe the same indexes: an index added to one and
forgotten in the other (a model's ``__table_args__``, a migration) fails here, on SQLite
and on PostgreSQL. Compared with Alembic's autogenerate on a freshly migrated database."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

import portal_sync_api.crud.family_tables
import portal_sync_api.crud.passes
import portal_sync_api.mail.models  # noqa: F401  (their tables join Base.metadata)
from portal_sync_api.migrate import alembic_config, upgrade
from portal_sync_api.models import Base

# SQLite cannot reflect an expression index (``lower(email)``): autogenerate skips it
# there with a warning, and the catalog test below checks it by name.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*expression-based index"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based"),
]

INDEX_OPS = {"add_index", "remove_index", "add_constraint", "remove_constraint"}


def index_differences(engine: Engine) -> list[tuple[str, str | None]]:
    """(operation, index name) for every index or unique constraint that the models and
    the migrated database disagree on."""
    with engine.connect() as conn:
        diff: list[Any] = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    return sorted(
        (op[0], op[1].name) for op in diff if isinstance(op, tuple) and op[0] in INDEX_OPS
    )


def test_the_migrated_schema_has_exactly_the_models_indexes(engine: Engine) -> None:
    assert index_differences(engine) == []


def index_names(engine: Engine) -> set[str]:
    """Every index of the database by name, from the catalog (the inspector leaves out
    expression indexes such as ``lower(email)`` on SQLite)."""
    query = (
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index'"
    )
    with engine.connect() as conn:
        return {str(name) for (name,) in conn.execute(text(query))}


ADDED_BY_0017 = {
    "ix_audit_log_school_at",
    "ix_meals_school_received",
    "ix_families_ref",
    "ix_users_email_lower",
    "ix_users_family_id",
}


def test_migration_0017_removes_its_indexes_on_downgrade_and_adds_them_back(
    portal_db: str, engine: Engine
) -> None:
    assert index_names(engine) >= ADDED_BY_0017
    with engine.begin() as conn:
        config = alembic_config(portal_db)
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
    assert not ADDED_BY_0017 & index_names(engine)
    upgrade(portal_db)
    assert index_names(engine) >= ADDED_BY_0017
    assert index_differences(engine) == []
