"""The migrations and the models describe the same indexes: an index added to one and
forgotten in the other (a model's ``__table_args__``, a migration) fails here, on SQLite
and on PostgreSQL. Compared with Alembic's autogenerate on a freshly migrated database."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import portal_sync_api.crud.family_tables
import portal_sync_api.crud.passes
import portal_sync_api.mail.models  # noqa: F401  (their tables join Base.metadata)
from portal_sync_api.migrate import alembic_config, upgrade
from portal_sync_api.models import Base

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


def index_names(engine: Engine, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


def test_migration_0017_removes_its_indexes_on_downgrade_and_adds_them_back(
    portal_db: str, engine: Engine
) -> None:
    added = {"ix_audit_log_school_at", "ix_meals_school_received", "ix_families_ref"}
    tables = ("audit_log", "meals", "families")
    assert added <= set().union(*(index_names(engine, t) for t in tables))
    with engine.begin() as conn:
        config = alembic_config(portal_db)
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
    assert not added & set().union(*(index_names(engine, t) for t in tables))
    upgrade(portal_db)
    assert added <= set().union(*(index_names(engine, t) for t in tables))
    assert index_differences(engine) == []
