"""The ``station`` command line as an outside user drives it (docs/design.md §4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def station(
    config: Path | None, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = [sys.executable, "-m", "station.cli"]
    if config is not None:
        base += ["--config", str(config)]
    return subprocess.run(base + list(args), capture_output=True, text=True, input=stdin)


def test_scan_served_prints_the_contract_json_and_exits_0(config_path: Path) -> None:
    done = station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:04:00+01:00", "--json")
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert {
        k: verdict[k]
        for k in (
            "status",
            "reason",
            "service",
            "business_date",
            "charged_cents",
            "balance_cents",
            "first_served_at",
        )
    } == {
        "status": "served",
        "reason": "reserved",
        "service": "dejeuner",
        "business_date": "2026-11-24",
        "charged_cents": 415,
        "balance_cents": 4585,
        "first_served_at": None,
    }
    assert verdict["child"] == {
        "id": "C0001",
        "last_name": "RESERVE",
        "first_name": "Rémi",
        "class": "6B",
        "diet": [],
        "allergies": [],
    }
    assert verdict["meal_id"] and verdict["warnings"] == []


def test_scan_refused_exits_3_with_first_served_at(config_path: Path) -> None:
    station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:04:00+01:00", "--json")
    again = station(
        config_path, "scan", "1849-00001", "--at", "2026-11-24T12:10:00+01:00", "--json"
    )
    assert again.returncode == 3
    verdict = json.loads(again.stdout)
    assert verdict["reason"] == "already_served"
    assert verdict["first_served_at"] == "2026-11-24T12:04:00+01:00"


def test_naive_at_is_school_local_time(config_path: Path) -> None:
    done = station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:04", "--json")
    assert json.loads(done.stdout)["scanned_at"] == "2026-11-24T12:04:00+01:00"


def test_manual_scan_serves_a_child_without_card(config_path: Path) -> None:
    done = station(config_path, "scan", "--manual", "C0001", "--at", "2026-11-24T12:00", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["source"] == "manual"


@pytest.mark.parametrize(
    "args",
    [("scan",), ("scan", "1849-00001", "--at", "pas une date"), ("frobnicate",)],
)
def test_usage_errors_exit_2(config_path: Path, args: tuple[str, ...]) -> None:
    assert station(config_path, *args).returncode == 2


def test_unknown_config_key_exits_2_naming_key_and_file(config_path: Path) -> None:
    config_path.write_text(config_path.read_text() + "\n[station2]\nx = 1\n")
    done = station(config_path, "scan", "1849-00001")
    assert done.returncode == 2 and "station2" in done.stderr and str(config_path) in done.stderr


def test_config_from_environment_variable(config_path: Path) -> None:
    import os

    env = {**os.environ, "STATION_CONFIG": str(config_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "station.cli",
            "scan",
            "1849-00002",
            "--json",
            "--at",
            "2026-11-24T12:00",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 3 and json.loads(done.stdout)["reason"] == "no_reservation"


def test_replay_prints_one_json_object_per_line(config_path: Path, tmp_path: Path) -> None:
    scans = tmp_path / "scans.txt"
    scans.write_text(
        "2026-11-24T12:00:00+01:00\t1849-00001\n"
        "\n"
        "2026-11-24T12:01:00+01:00\t1849-00001\n"
        "2026-11-24T12:02:00+01:00\t*1849-00006*\n"
        "2026-11-24T12:03:00+01:00\tgarbage\n",
        encoding="utf-8",
    )
    done = station(config_path, "replay", str(scans), "--json")
    assert done.returncode == 0, done.stderr
    reasons = [json.loads(line)["reason"] for line in done.stdout.splitlines()]
    assert reasons == ["reserved", "already_served", "reserved", "unreadable"]


def test_replay_with_a_bad_line_names_it_and_scans_nothing(
    config_path: Path, tmp_path: Path
) -> None:
    scans = tmp_path / "scans.txt"
    scans.write_text("2026-11-24T12:00\t1849-00001\nhier midi\t1849-00006\n", encoding="utf-8")
    done = station(config_path, "replay", str(scans), "--json")
    assert done.returncode == 2 and "ligne 2" in done.stderr and done.stdout == ""
    after = station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:05", "--json")
    assert json.loads(after.stdout)["reason"] == "reserved"


def test_void_within_window_then_report_counts_it(config_path: Path) -> None:
    served = json.loads(
        station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:00", "--json").stdout
    )
    station(config_path, "scan", "1849-00002", "--at", "2026-11-24T12:01", "--json")
    station(config_path, "scan", "1849-00006", "--at", "2026-11-24T12:02", "--json")
    voided = station(config_path, "void", served["meal_id"], "--at", "2026-11-24T12:05", "--json")
    assert voided.returncode == 0
    assert json.loads(voided.stdout)["refund_cents"] == 415
    report = json.loads(
        station(config_path, "report", "--day", "2026-11-24", "--format", "json").stdout
    )
    lunch = report["services"]["dejeuner"]
    assert (lunch["served"], lunch["voids"], lunch["charged_cents"]) == (1, 1, 415)
    assert lunch["refused_by_reason"] == {"no_reservation": 1}


def test_void_after_the_window_exits_3(config_path: Path) -> None:
    served = json.loads(
        station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:00", "--json").stdout
    )
    late = station(config_path, "void", served["meal_id"], "--at", "2026-11-24T12:30", "--json")
    assert late.returncode == 3 and json.loads(late.stdout)["reason"] == "undo_window_passed"


def test_report_csv_opens_in_french_excel(config_path: Path) -> None:
    station(config_path, "scan", "1849-00001", "--at", "2026-11-24T12:00", "--json")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "station.cli",
            "--config",
            str(config_path),
            "report",
            "--day",
            "2026-11-24",
            "--format",
            "csv",
        ],
        capture_output=True,
    )
    text = done.stdout.decode("utf-8")
    assert text.startswith("\ufeffDate;Ligne;Service")
    assert "total;;1;4,15" in text


def test_report_table_is_french(config_path: Path) -> None:
    station(config_path, "scan", "1849-00002", "--at", "2026-11-24T12:00")
    done = station(config_path, "report", "--day", "2026-11-24")
    assert "Refusés" in done.stdout and "Pas de réservation" in done.stdout


def test_doctor_reports_a_healthy_database(config_path: Path) -> None:
    done = station(config_path, "doctor")
    assert done.returncode == 0 and "journal des passages" in done.stdout


def test_every_command_has_help_text() -> None:
    from station.cli import build_parser

    _parser, commands = build_parser()
    for name, module in commands.items():
        assert module.HELP and module.__doc__, name


def test_config_option_is_also_accepted_after_the_command(config_path: Path) -> None:
    done = station(
        None,
        "scan",
        "1849-00001",
        "--at",
        "2026-11-24T12:00",
        "--json",
        "--config",
        str(config_path),
    )
    assert done.returncode == 0 and json.loads(done.stdout)["reason"] == "reserved"
