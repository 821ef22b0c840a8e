"""Offline export → portal import: applied once, idempotent, tamper-proof, and a later
online sync of the same entries debits nobody twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from cantine_harness.portal import SEED_DAY, PortalProcess, SeededSchool
from portal_sync_api.cli import main as portal_main
from station.cli import main as station_main
from station.core.config import StationConfig, load_config
from station.engine import ServingLine
from station.store import Store, outbox
from station.sync.runner import sync_once
from tests.support.station import PARIS, write_config

HERVE = "C1849-42"
F1, F2, F3 = "F18491", "F18492", "F18493"
NOON = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, 12, 0, tzinfo=PARIS)


def balances(portal: PortalProcess, school: SeededSchool) -> dict[str, int]:
    with portal.client(school.intendance_token) as client:
        return {
            family: int(client.get(f"/v1/families/{family}/balance").json()["balance_cents"])
            for family in (F1, F2, F3)
        }


def meals_of(portal: PortalProcess, school: SeededSchool, child: str) -> list[dict[str, object]]:
    with portal.client(school.intendance_token) as client:
        return list(client.get(f"/v1/children/{child}/meals").json()["meals"])


@pytest.fixture
def station(
    tmp_path: Path, portal: PortalProcess, school: SeededSchool
) -> Iterator[tuple[StationConfig, ServingLine]]:
    """A station synced once, then serving offline: 3 meals and a void."""
    config = load_config(
        write_config(
            tmp_path,
            database=tmp_path / "station.db",
            url=portal.url,
            token=school.station_token,
        )
    )
    assert sync_once(config).ok
    store = Store(config.station.database)
    line = ServingLine(store, station="ligne-1", school="1849", timezone=PARIS)
    wrong = line.scan("1849-01234", at=NOON)  # Hervé, 415, voided (wrong child)...
    assert wrong.served and wrong.meal_id
    line.void(wrong.meal_id, at=NOON.replace(minute=1))
    assert line.scan("1849-01234", at=NOON.replace(minute=2)).served  # ...then served: 415
    assert line.scan("1849-01236", at=NOON.replace(minute=3)).served  # Tom, prepaid, 0
    yield config, line
    store.close()


def export(config: StationConfig, out: Path) -> int:
    return station_main(["--config", str(config.path), "export", "--out", str(out)])


def import_meals(portal: PortalProcess, path: Path) -> int:
    return portal_main(["--db", portal.database_url, "import", "meals", str(path)])


@pytest.fixture
def exported(
    station: tuple[StationConfig, ServingLine],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """The station's export file (its report to the terminal already read away)."""
    out = tmp_path / "export.json"
    assert export(station[0], out) == 0
    capsys.readouterr()
    return out


def test_export_writes_pending_items_in_order_signed_and_private(
    station: tuple[StationConfig, ServingLine], tmp_path: Path
) -> None:
    config, _line = station
    out = tmp_path / "export.json"
    assert export(config, out) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert (document["station"], document["school"]) == ("ligne-1", "1849")
    assert [i["kind"] for i in document["items"]] == ["meal", "void", "meal", "meal"]
    assert (document["version"], document["signature"]["alg"]) == (2, "Ed25519")
    assert out.stat().st_mode & 0o777 == 0o600


def test_import_applies_once_and_a_second_import_changes_nothing(
    exported: Path,
    portal: PortalProcess,
    school: SeededSchool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = balances(portal, school)

    assert import_meals(portal, exported) == 0
    first = capsys.readouterr().err
    assert "4 appliqué(s), 0 déjà reçu(s), 0 rejeté(s)" in first
    after = balances(portal, school)
    assert after == {F1: before[F1] - 415, F2: before[F2], F3: before[F3]}
    assert [m["voided"] for m in meals_of(portal, school, HERVE)] == [False, True]

    assert import_meals(portal, exported) == 0
    assert "0 appliqué(s), 4 déjà reçu(s)" in capsys.readouterr().err
    assert balances(portal, school) == after
    assert len(meals_of(portal, school, HERVE)) == 2


def test_later_online_sync_of_imported_entries_debits_nobody_twice(
    station: tuple[StationConfig, ServingLine],
    exported: Path,
    portal: PortalProcess,
    school: SeededSchool,
) -> None:
    config, line = station
    import_meals(portal, exported)
    after_import = balances(portal, school)

    result = sync_once(config)
    assert result.ok and result.push.acknowledged == 4 and result.push.rejected == 0
    with line.store.read() as conn:
        assert outbox.counts(conn) == (0, 0)
    assert balances(portal, school) == after_import


def test_tampered_file_is_refused_and_changes_nothing(
    exported: Path,
    portal: PortalProcess,
    school: SeededSchool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = balances(portal, school)
    document = json.loads(exported.read_text(encoding="utf-8"))
    document["items"][0]["charged_cents"] = 0  # a free lunch, edited on the way
    exported.write_text(json.dumps(document), encoding="utf-8")

    assert import_meals(portal, exported) == 1
    err = capsys.readouterr().err
    assert "signature invalide" in err and "rien n'a été importé" in err
    assert balances(portal, school) == before
    assert meals_of(portal, school, HERVE) == []


def test_file_signed_with_another_token_is_refused(
    station: tuple[StationConfig, ServingLine],
    portal: PortalProcess,
    school: SeededSchool,
    tmp_path: Path,
) -> None:
    config, _line = station
    forged = tmp_path / "forged.toml"
    forged.write_text(
        config.path.read_text(encoding="utf-8").replace(school.station_token, "st_guessed"),  # type: ignore[union-attr]
        encoding="utf-8",
    )
    out = tmp_path / "export.json"
    assert station_main(["--config", str(forged), "export", "--out", str(out)]) == 0
    assert import_meals(portal, out) == 1
    assert meals_of(portal, school, HERVE) == []


def test_export_without_token_is_a_config_error(tmp_path: Path, db_path: Path) -> None:
    path = write_config(tmp_path, database=db_path)
    assert station_main(["--config", str(path), "export", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()


def test_not_an_export_is_refused_with_a_clear_error(
    portal: PortalProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "roster.csv"
    bogus.write_text("child_id;last_name\n", encoding="utf-8")
    assert import_meals(portal, bogus) == 1
    assert "JSON invalide" in capsys.readouterr().err
