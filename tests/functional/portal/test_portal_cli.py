"""The ``portal-sync-api`` command line (docs/design.md §5)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cantine_harness.portal import free_port
from portal_sync_api.cli import main


def _csv(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_fresh_directory_migrate_then_serve_answers_healthz(tmp_path: Path) -> None:
    env = {"PATH": "", "HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "portal_sync_api"]
    subprocess.run([*cli, "migrate"], cwd=tmp_path, env=env, check=True, timeout=60)
    assert (tmp_path / "portal.db").exists()
    port = free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        assert answer.json() == {"status": "ok", "database": "ok"}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_school_station_user_and_imports_through_the_cli(
    portal_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", portal_db]
    assert (
        main(
            [
                *db,
                "school",
                "set",
                "1849",
                "--name",
                "Collège Jean Moulin",
                "--service",
                "dejeuner=11:15-13:45",
                "--setting",
                "unreserved_policy=allow",
            ]
        )
        == 0
    )
    roster = _csv(
        tmp_path,
        "roster.csv",
        "\ufeffchild_id;last_name;first_name;class;school;card_number;family_id\n"
        "C1;DUPONT;Hervé;6B;1849;01234;F1\n",
    )
    assert main([*db, "import", "roster", roster]) == 0
    tariffs = _csv(tmp_path, "t.csv", "school,tariff,service,price_cents\n1849,T1,dejeuner,415\n")
    assert main([*db, "import", "tariffs", tariffs]) == 0
    reservations = _csv(
        tmp_path, "r.csv", "child_id;date;service;prepaid\nC1;2025-11-24;dejeuner;1\n"
    )
    assert main([*db, "import", "reservations", reservations]) == 0
    credits = _csv(tmp_path, "c.csv", "family_id;amount_cents;reference\nF1;5000;P1\n")
    assert main([*db, "import", "credits", credits]) == 0
    capsys.readouterr()
    assert main([*db, "station", "create", "--school", "1849", "--name", "ligne-1"]) == 0
    station_token = capsys.readouterr().out.strip()
    assert station_token.startswith("st_") and len(station_token) > 40
    assert (
        main([*db, "user", "create", "--role", "parent", "--email", "p@x.fr", "--family", "F1"])
        == 0
    )
    assert capsys.readouterr().out.strip().startswith("us_")


def test_bad_csv_row_prints_line_field_problem_exits_1_and_imports_nothing(
    portal_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--db", portal_db, "school", "set", "1849", "--service", "dejeuner=11:15-13:45"])
    roster = _csv(
        tmp_path,
        "roster.csv",
        "child_id,last_name,first_name,class,school,regime\n"
        "C1,DUPONT,Hervé,6B,1849,ticket\nC2,MARTIN,Léa,6B,1849,pension\n",
    )
    capsys.readouterr()
    assert main(["--db", portal_db, "import", "roster", roster]) == 1
    err = capsys.readouterr().err
    assert "line 3: regime: " in err
    assert (
        main(
            [
                "--db",
                portal_db,
                "user",
                "create",
                "--role",
                "parent",
                "--email",
                "a@b.fr",
                "--family",
                "F1",
            ]
        )
        == 1
    )  # F1 would exist only if C1 had been imported


def test_usage_errors_exit_2_and_data_errors_exit_1(
    portal_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["--db", portal_db, "import", "pupils", "x.csv"])
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as bad_pair:
        main(["--db", portal_db, "school", "set", "1849", "--setting", "oops"])
    assert bad_pair.value.code == 2
    assert main(["--db", portal_db, "station", "create", "--school", "9999", "--name", "x"]) == 1
    assert "école inconnue: 9999" in capsys.readouterr().err
    assert (
        main(["--db", portal_db, "school", "set", "1849", "--setting", "max_meals_per_service=0"])
        == 1
    )
    assert main(["--db", portal_db, "school", "set", "1849", "--timezone", "Mars/Olympus"]) == 1
    assert (
        main(["--db", portal_db, "school", "set", "1849", "--service", "dejeuner=13:45-11:15"]) == 1
    )
