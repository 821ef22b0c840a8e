"""Files holding personal data are private to their owner, and the portal's errors do not
carry SQL parameters into its log."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Integer, String, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_sync_api.core.db import make_engine, session_scope
from station.cards_print import CardFace, write_sheets


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common 022 umask, under which files are world-readable unless made private."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_portal_sqlite_database_and_its_wal_are_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "portal.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert mode(path) == 0o600
        wal = path.with_name("portal.db-wal")
        assert wal.exists() and mode(wal) == 0o600
    finally:
        engine.dispose()


def test_cards_pdf_is_written_0600_even_over_an_older_0644_file(tmp_path: Path) -> None:
    out = tmp_path / "cartes.pdf"
    out.write_bytes(b"old")
    out.chmod(0o644)
    write_sheets([CardFace("Collège", "DUPONT Hervé", "6B", "1849-01234")], out)
    assert out.read_bytes().startswith(b"%PDF")
    assert mode(out) == 0o600


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)


def test_integrity_error_text_names_no_sql_parameter(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        _Base.metadata.create_all(engine)
        with session_scope(engine) as session:
            session.add(_Row(reference="FAMILLE-SECRETE", amount_cents=98765))
        with pytest.raises(IntegrityError) as caught, session_scope(engine) as session:
            session.add(_Row(reference="FAMILLE-SECRETE", amount_cents=43210))
        shown = str(caught.value)
        assert "UNIQUE constraint failed: rows.reference" in shown
        assert "43210" not in shown and "FAMILLE-SECRETE" not in shown
    finally:
        engine.dispose()
