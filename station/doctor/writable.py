"""Doctor checks that a scan could be recorded now: the schema is the one the migrations
build, and a write transaction goes through (then is rolled back)."""

from __future__ import annotations

import sqlite3

from station.core.errors import StoreError
from station.doctor.findings import Finding, Level
from station.store import Store, db, migrations

_FIX_SCHEMA = "arrêtez le poste et restaurez la dernière sauvegarde de la base"
_FIX_WRITE = (
    "fermez l'autre programme qui écrit dans la base (une autre `station`, un outil "
    "SQLite), vérifiez les droits et le disque, puis relancez le diagnostic"
)


def _shape(conn: sqlite3.Connection) -> dict[tuple[str, str], frozenset[str]]:
    """Every table, index and trigger by (type, name), with a table's column names."""
    objects = conn.execute(
        "SELECT type, name FROM sqlite_master "
        "WHERE type IN ('table', 'index', 'trigger') AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    shape: dict[tuple[str, str], frozenset[str]] = {}
    for kind, name in objects:
        columns: frozenset[str] = frozenset()
        if kind == "table":
            columns = frozenset(
                str(row[1]) for row in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))
            )
        shape[(str(kind), str(name))] = columns
    return shape


def _expected_shape() -> dict[tuple[str, str], frozenset[str]]:
    """The schema the migrations build on an empty database."""
    conn = sqlite3.connect(":memory:")
    try:
        migrations.migrate(conn)
        return _shape(conn)
    finally:
        conn.close()


def schema_problems(conn: sqlite3.Connection) -> list[str]:
    """What the file lacks of the migrations' schema (missing objects or columns), in French."""
    actual = _shape(conn)
    problems = []
    for (kind, name), columns in sorted(_expected_shape().items()):
        if (kind, name) not in actual:
            problems.append(f"{kind} {name} absent")
        elif missing := columns - actual[(kind, name)]:
            problems.append(f"{kind} {name} sans {', '.join(sorted(missing))}")
    return problems


def check_writable(store: Store) -> list[Finding]:
    """The schema against the migrations, then a write transaction rolled back."""
    findings: list[Finding] = []
    try:
        problems = schema_problems(store.conn)
    except sqlite3.Error as e:
        problems = [db.translate(e, store.path).message]
    except UnicodeDecodeError:
        problems = [db.damaged(store.path).message]
    if problems:
        findings.append(
            Finding(
                "schéma de la base (schema)",
                Level.BLOCKING,
                "schéma endommagé, les passages échoueraient : " + " ; ".join(problems[:5]),
                _FIX_SCHEMA,
                "database.schema",
            )
        )
    else:
        findings.append(
            Finding("schéma de la base (schema)", Level.OK, "conforme", code="database.schema_ok")
        )
    try:
        db.probe_write(store.conn, store.path)
    except StoreError as e:
        findings.append(
            Finding(
                "écriture d'un passage (write transaction)",
                Level.BLOCKING,
                e.message,
                _FIX_WRITE,
                "database.write",
            )
        )
    else:
        findings.append(
            Finding(
                "écriture d'un passage (write transaction)",
                Level.OK,
                "transaction d'essai écrite puis annulée",
                code="database.write_ok",
            )
        )
    return findings
