"""Two schools of one portal using the same ids in their files and from their stations:
each school's stations, intendance and parents see only their own (docs/design.md §7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cantine_harness.portal import SEED_DAY, create_station_token, create_user_token, meal
from cantine_harness.school import school_with_tariffs
from portal_sync_api.cli import main as cli
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.roster import transfer_child
from portal_sync_api.crud.schools import require_school
from portal_sync_api.errors import DataError
from portal_sync_api.imports import ImportFailed, load_credits, load_reservations, load_roster
from portal_sync_api.models import AuditEntry, Child

HEADER = (
    "child_id;last_name;first_name;class;birth_date;school;card_number;card_status;"
    "regime;forfait_days;tariff;diet;allergies;family_id;family_email;photo\n"
)
#: The same child, family and card number in both schools' files; the names differ.
PUPIL = {
    "1849": "C0042;DUPONT;Hervé;6B;;1849;00001;active;ticket;;T1;;;F1;dupont@example.fr;\n",
    "0683": "C0042;MARTIN;Léa;5A;;0683;00001;active;ticket;;T1;;;F1;martin@example.fr;\n",
}
PRICE = {"1849": 415, "0683": 300}
CREDIT = {"1849": 5000, "0683": 2000}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _run(portal_db: str, *args: str) -> int:
    return cli(["--db", portal_db, *args])


def _two_schools(portal_db: str, tmp_path: Path) -> None:
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            for code, price in PRICE.items():
                school_with_tariffs(
                    session,
                    code=code,
                    name=f"Collège {code}",
                    services={"dejeuner": ("11:15", "13:45")},
                    tariffs={"T1": price},
                )
        for code in PRICE:
            with session_scope(engine) as session:
                load_roster(session, _write(tmp_path / f"roster-{code}.csv", HEADER + PUPIL[code]))
        credits = "family_id;amount_cents;reference;school\n" + "".join(
            f"F1;{amount};VIR-{code};{code}\n" for code, amount in CREDIT.items()
        )
        reservations = "child_id;date;service;prepaid;school\n" + "".join(
            f"C0042;{SEED_DAY.isoformat()};dejeuner;0;{code}\n" for code in PRICE
        )
        with session_scope(engine) as session:
            load_credits(session, _write(tmp_path / "credits.csv", credits))
            load_reservations(session, _write(tmp_path / "reservations.csv", reservations))
    finally:
        engine.dispose()


def _feed(client: TestClient, token: str) -> dict[tuple[str, str], Any]:
    changes = client.get("/v1/sync/changes?limit=5000", headers=_auth(token)).json()["changes"]
    return {(c["kind"], c["key"]): c["data"] for c in changes}


def test_two_schools_with_the_same_ids_each_see_only_their_own(
    app_client: TestClient, portal_db: str, tmp_path: Path
) -> None:
    _two_schools(portal_db, tmp_path)
    station = {code: create_station_token(portal_db, school=code) for code in PRICE}
    intendance = {
        code: create_user_token(portal_db, role="intendance", school=code) for code in PRICE
    }
    parent = {
        code: create_user_token(portal_db, role="parent", family="F1", school=code)
        for code in PRICE
    }

    # Each school's stations receive their own C0042, card and balance.
    for code, last_name in (("1849", "DUPONT"), ("0683", "MARTIN")):
        feed = _feed(app_client, station[code])
        assert feed[("child", "C0042")]["last_name"] == last_name
        assert feed[("child", "C0042")]["family_id"] == "F1"
        assert feed[("card", f"{code}-00001")] == {
            "code": f"{code}-00001",
            "child_id": "C0042",
            "status": "active",
        }
        assert feed[("balance", "F1")] == {"family_id": "F1", "balance_cents": CREDIT[code]}
        assert feed[("reservation", f"C0042/{SEED_DAY.isoformat()}/dejeuner")]["child_id"] == (
            "C0042"
        )
        other = "0683" if code == "1849" else "1849"
        assert ("card", f"{other}-00001") not in feed

    # Both stations push a meal with the same id: both are applied, each in its school.
    results = {
        code: app_client.post(
            "/v1/sync/meals",
            json={"meals": [meal("m1", "C0042", charged_cents=PRICE[code])]},
            headers=_auth(station[code]),
        ).json()["results"][0]
        for code in PRICE
    }
    assert [r["status"] for r in results.values()] == ["applied", "applied"]
    again = app_client.post(
        "/v1/sync/meals",
        json={"meals": [meal("m1", "C0042", charged_cents=PRICE["1849"])]},
        headers=_auth(station["1849"]),
    ).json()["results"][0]
    assert (again["status"], again["seq"]) == ("duplicate", results["1849"]["seq"])

    for code in PRICE:
        # The intendance reads its own child's meal…
        meals = app_client.get("/v1/children/C0042/meals", headers=_auth(intendance[code])).json()
        assert [(m["meal_id"], m["charged_cents"]) for m in meals["meals"]] == [("m1", PRICE[code])]
        # …and the parent their own family's balance, naming the meal by its station id.
        balance = app_client.get("/v1/families/F1/balance", headers=_auth(parent[code])).json()
        assert balance["balance_cents"] == CREDIT[code] - PRICE[code]
        assert [e["reference"] for e in balance["entries"]] == ["meal:m1", f"VIR-{code}"]
        assert _feed(app_client, station[code])[("balance", "F1")]["balance_cents"] == (
            CREDIT[code] - PRICE[code]
        )


def test_a_school_import_never_changes_another_schools_rows(
    app_client: TestClient, portal_db: str, tmp_path: Path
) -> None:
    _two_schools(portal_db, tmp_path)
    token = create_station_token(portal_db, school="1849")
    before = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(token)).json()
    # 0683 re-imports its C0042 and F1 with new names and a new e-mail.
    changed = PUPIL["0683"].replace("MARTIN;Léa;5A", "MARTIN;Léa;4B").replace("martin@", "new@")
    assert (
        _run(portal_db, "import", "roster", str(_write(tmp_path / "r.csv", HEADER + changed))) == 0
    )
    after = app_client.get("/v1/sync/changes?limit=5000", headers=_auth(token)).json()
    # Not one change in 1849's feed (the answer's clock aside).
    assert (after["changes"], after["next"]) == (before["changes"], before["next"])
    assert (
        _feed(app_client, create_station_token(portal_db, school="0683"))[("child", "C0042")][
            "class"
        ]
        == "4B"
    )


def test_an_id_of_several_schools_must_name_its_school_in_files_and_commands(
    portal_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_schools(portal_db, tmp_path)
    ambiguous = _write(tmp_path / "res.csv", f"child_id;date;service\nC0042;{SEED_DAY};dejeuner\n")
    assert _run(portal_db, "import", "reservations", str(ambiguous)) == 1  # file refused
    assert "line 2: child_id: présent dans plusieurs écoles" in capsys.readouterr().err
    assert _run(portal_db, "import", "reservations", str(ambiguous), "--school", "0683") == 0
    parent = ["user", "create", "--role", "parent", "--email", "p@example.fr", "--family", "F1"]
    assert _run(portal_db, *parent) == 1
    assert "précisez --school" in capsys.readouterr().err
    assert _run(portal_db, *parent, "--school", "0683") == 0


def test_a_card_held_by_another_child_is_refused_with_its_line_unless_exchanged(
    portal_db: str, tmp_path: Path
) -> None:
    _two_schools(portal_db, tmp_path)
    engine = make_engine(portal_db)
    second = "C0043;PETIT;Zoé;6B;;1849;00001;active;ticket;;T1;;;F2;;\n"
    try:
        with pytest.raises(ImportFailed) as refused, session_scope(engine) as session:
            load_roster(session, _write(tmp_path / "steal.csv", HEADER + second))
        assert refused.value.problems == [
            "line 2: card_number: carte 1849-00001 déjà attribuée à l'enfant C0042 (donnez-lui "
            "une autre carte dans le même fichier pour la réattribuer)"
        ]
        with session_scope(engine) as session:  # nothing was written: C0043 does not exist
            assert session.execute(select(Child).where(Child.ref == "C0043")).first() is None
        exchange = PUPIL["1849"].replace(";00001;", ";00002;") + second
        with session_scope(engine) as session:
            load_roster(session, _write(tmp_path / "exchange.csv", HEADER + exchange))
    finally:
        engine.dispose()


def test_a_transfer_moves_the_child_and_the_old_schools_stations_drop_it(
    app_client: TestClient, portal_db: str, tmp_path: Path
) -> None:
    _two_schools(portal_db, tmp_path)
    station = {code: create_station_token(portal_db, school=code) for code in PRICE}
    engine = make_engine(portal_db)
    try:
        with pytest.raises(DataError) as taken, session_scope(engine) as session:
            transfer_child(
                session,
                school=require_school(session, code="1849"),
                child_id="C0042",
                to=require_school(session, code="0683"),
            )
        assert taken.value.field == "as"  # 0683 already has a C0042
    finally:
        engine.dispose()
    args = ["child", "transfer", "--school", "1849", "--child", "C0042", "--to", "0683"]
    assert _run(portal_db, *args, "--as", "C0099") == 0
    old = _feed(app_client, station["1849"])
    assert old[("child", "C0042")] is None
    assert old[("card", "1849-00001")] is None
    assert old[("reservation", f"C0042/{SEED_DAY.isoformat()}/dejeuner")] is None
    new = _feed(app_client, station["0683"])
    assert new[("child", "C0099")]["last_name"] == "DUPONT"
    assert new[("child", "C0042")]["last_name"] == "MARTIN"
    engine = make_engine(portal_db)
    try:
        with session_scope(engine) as session:
            entries = session.execute(select(AuditEntry)).scalars().all()
    finally:
        engine.dispose()
    assert {(e.action, e.actor) for e in entries} == {("child_transfer", "cli")}
    assert len(entries) == 2  # one in each school's journal
