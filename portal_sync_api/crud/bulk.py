"""Set-based statements for batch writers, with one shape per dialect.

On PostgreSQL a batch costs one statement per table whatever its size: rows travel as
one array per column (``INSERT … SELECT … FROM unnest(…)``) and lookups as one array
(``col = ANY(…)``). The statement text never depends on the batch size, so psycopg
prepares it once per connection, and neither SQLAlchemy nor psycopg does per-row work
in Python. (An ``executemany`` of 500 rows costs ~500 parameter sets built, adapted and
pipelined one by one: it was most of the time of a meal batch.)

On SQLite, ``executemany`` is a C loop inside the driver and already fast, and ``IN``
lists are split under the bound-parameter limit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session

#: ``IN (…)`` list size that stays under SQLite's bound-parameter limit.
IN_CHUNK = 900


def is_postgres(session: Session) -> bool:
    """Whether the session's database is PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def member_of(
    session: Session,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Collection[Any],
) -> Iterator[ColumnElement[bool]]:
    """Conditions ``column ∈ values``, one per statement to run (none for no values).

    PostgreSQL: a single ``column = ANY(:array)``. SQLite: ``IN`` lists of at most
    :data:`IN_CHUNK` values.
    """
    ordered = sorted(set(values))
    if not ordered:
        return
    if is_postgres(session):
        yield column == any_(bindparam(None, ordered, type_=ARRAY(column.type)))
        return
    for start in range(0, len(ordered), IN_CHUNK):
        yield column.in_(ordered[start : start + IN_CHUNK])


def pg_array_type(session: Session, table: Table, column: str) -> str:
    """The SQL array type of a column, for ``CAST``s of unnested parameters."""
    return f"{table.c[column].type.compile(dialect=session.get_bind().dialect)}[]"


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings with the same keys, all columns of ``table``).

    A constraint violation raises :class:`sqlalchemy.exc.IntegrityError` on both
    dialects, and nothing of the statement is written.
    """
    if not rows:
        return
    if not is_postgres(session):
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    quote = session.get_bind().dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    arrays = ", ".join(f"%({c})s::{pg_array_type(session, table, c)}" for c in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) SELECT * FROM unnest({arrays})"
    params = {c: [row[c] for row in rows] for c in columns}
    session.connection().exec_driver_sql(sql, params)
