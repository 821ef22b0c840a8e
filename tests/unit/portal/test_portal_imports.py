"""CSV imports: sniffed separator, BOM, whole file or nothing, `line N: field: problem`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.schools import set_school
from portal_sync_api.imports import ImportFailed, load_credits, load_reservations, load_roster
from portal_sync_api.models import Card, Child, LedgerEntry, Reservation

HEADER = (
    "child_id;last_name;first_name;class;birth_date;school;card_number;card_status;"
    "regime;forfait_days;tariff;diet;allergies;family_id;family_email;photo"
)


def _school(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_school(session, code="1849", services={"dejeuner": ("11:15", "13:45")})


def _count(engine: Engine, model: type[Child] | type[Card] | type[Reservation]) -> int:
    with session_scope(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _write(tmp_path: Path, text: str, bom: bool = False) -> Path:
    path = tmp_path / "file.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_roster_with_bom_and_semicolons_creates_children_cards_and_lists(
    engine: Engine, tmp_path: Path
) -> None:
    _school(engine)
    path = _write(
        tmp_path,
        HEADER + "\nC1;DUPONT;Hervé;6B;2014-03-02;1849;01234;active;"
        "forfait;1245;T1;sans_porc|vegetarien;arachide;F1;a@b.fr;\n",
        bom=True,
    )
    with session_scope(engine) as session:
        assert load_roster(session, path) == 2
    with session_scope(engine) as session:
        child = session.execute(select(Child).where(Child.ref == "C1")).scalar_one()
        assert (child.first_name, child.diet, child.forfait_days) == (
            "Hervé",
            "sans_porc|vegetarien",
            "1245",
        )
        assert session.get_one(Card, "1849-01234").child_id == child.id


def test_roster_with_commas_is_accepted(engine: Engine, tmp_path: Path) -> None:
    _school(engine)
    path = _write(
        tmp_path,
        "child_id,last_name,first_name,class,school,card_number\nC1,DUPONT,Hervé,6B,1849,01234\n",
    )
    with session_scope(engine) as session:
        load_roster(session, path)
    assert _count(engine, Child) == 1


def test_roster_bad_row_is_reported_with_line_and_field_and_nothing_imported(
    engine: Engine, tmp_path: Path
) -> None:
    _school(engine)
    path = _write(
        tmp_path,
        HEADER
        + "\nC1;DUPONT;Hervé;6B;;1849;01234;active;ticket;;T1;;;F1;;"
        + "\nC2;MARTIN;Léa;6B;;1849;01235;volé;ticket;;T1;;;F1;;"
        + "\nC3;PETIT;Tom;6B;;1849;12;active;ticket;;T1;;;F1;;\n",
    )
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as session:
        load_roster(session, path)
    assert failed.value.problems[0].startswith("line 3: card_status: ")
    assert failed.value.problems[1].startswith("line 4: card_number: ")
    assert _count(engine, Child) == 0 and _count(engine, Card) == 0


def test_missing_column_is_reported_on_line_1(engine: Engine, tmp_path: Path) -> None:
    _school(engine)
    path = _write(tmp_path, "child_id;date\nC1;2025-11-24\n")
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as session:
        load_reservations(session, path)
    assert failed.value.problems == ["line 1: service: colonne manquante"]


def test_reservations_unknown_child_or_bad_date_refuses_whole_file(
    engine: Engine, tmp_path: Path
) -> None:
    _school(engine)
    with session_scope(engine) as session:
        load_roster(session, _write(tmp_path, HEADER + "\nC1;A;B;6B;;1849;;;;;;;;F1;;\n"))
    path = _write(
        tmp_path,
        "child_id;date;service;prepaid\nC1;2025-11-24;dejeuner;1\n"
        "C1;2025-13-01;dejeuner;0\nC9;2025-11-25;dejeuner;0\n",
    )
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as session:
        load_reservations(session, path)
    assert [p.split(":")[0:2] for p in failed.value.problems] == [
        ["line 3", " date"],
        ["line 4", " child_id"],
    ]
    assert _count(engine, Reservation) == 0


def test_credits_reimport_is_idempotent_on_reference(engine: Engine, tmp_path: Path) -> None:
    _school(engine)
    with session_scope(engine) as session:
        load_roster(session, _write(tmp_path, HEADER + "\nC1;A;B;6B;;1849;;;;;;;;F1;;\n"))
    path = _write(tmp_path, "family_id;amount_cents;reference\nF1;5000;PAY-1\nF1;2000;PAY-2\n")
    with session_scope(engine) as session:
        assert load_credits(session, path) == 2
    with session_scope(engine) as session:
        assert load_credits(session, path) == 0
        total = session.execute(select(func.sum(LedgerEntry.amount_cents))).scalar_one()
    assert total == 7000


def test_credit_with_unknown_family_or_zero_amount_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    _school(engine)
    path = _write(tmp_path, "family_id,amount_cents,reference\nF404,5000,P1\n")
    with pytest.raises(ImportFailed) as failed, session_scope(engine) as session:
        load_credits(session, path)
    assert failed.value.problems == ["line 2: family_id: famille inconnue: F404"]
