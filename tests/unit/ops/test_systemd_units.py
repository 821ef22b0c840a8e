"""The systemd units carry the keys the deployment relies on, and systemd accepts them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
UNITS = ROOT / "systemd"


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """INI-like parse: section -> key -> every value (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section].get(key)
    assert values, f"[{section}] {key}= missing"
    return values[-1]


STATION_UNITS = ["cantine-station.service", "cantine-station-kiosk.service"]


@pytest.mark.parametrize("name", STATION_UNITS)
def test_station_units_notify_with_watchdog_restart_and_dedicated_user(name: str) -> None:
    unit = parse_unit(UNITS / name)
    assert one(unit, "Service", "Type") == "notify"
    assert int(one(unit, "Service", "WatchdogSec")) > 0
    assert one(unit, "Service", "Restart") == "always"
    assert one(unit, "Service", "User") == "cantine"
    assert set(one(unit, "Service", "SupplementaryGroups").split()) >= {"input", "dialout", "video"}
    assert one(unit, "Service", "StateDirectory") == "cantine"
    assert "station" in one(unit, "Service", "ExecStart") and " run" in one(
        unit, "Service", "ExecStart"
    )
    assert one(unit, "Install", "WantedBy")


@pytest.mark.parametrize("name", STATION_UNITS)
def test_station_units_are_hardened_but_keep_the_devices_visible(name: str) -> None:
    service = parse_unit(UNITS / name)["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
    }.items():
        assert service.get(key) == [value], key
    # PrivateDevices would hide /dev/input, /dev/ttyUSB* and /dev/video*: the scanners.
    assert "PrivateDevices" not in service


@pytest.mark.parametrize("name", STATION_UNITS)
def test_station_units_take_tty1_from_the_getty(name: str) -> None:
    unit = parse_unit(UNITS / name)
    assert one(unit, "Service", "TTYPath") == "/dev/tty1"
    assert one(unit, "Service", "StandardInput").startswith("tty")
    assert "getty@tty1.service" in one(unit, "Unit", "Conflicts")


def test_text_console_unit_draws_on_the_tty_and_logs_to_the_journal() -> None:
    service = parse_unit(UNITS / "cantine-station.service")["Service"]
    assert service["StandardOutput"] == ["tty"] and service["StandardError"] == ["journal"]


def test_kiosk_unit_runs_the_app_in_foot_inside_cage() -> None:
    unit = parse_unit(UNITS / "cantine-station-kiosk.service")
    command = one(unit, "Service", "ExecStart")
    assert command.startswith("/usr/bin/cage ") and "/usr/bin/foot" in command
    assert command.index("cage") < command.index("foot") < command.index("station")
    # The notifying process is cage's grandchild.
    assert one(unit, "Service", "NotifyAccess") == "all"


def test_portal_unit_migrates_then_serves_with_workers_from_an_env_file() -> None:
    unit = parse_unit(UNITS / "portal-sync-api.service")
    assert one(unit, "Service", "EnvironmentFile") == "/etc/cantine/portal.env"
    assert one(unit, "Service", "ExecStartPre").endswith("portal-sync-api migrate")
    command = one(unit, "Service", "ExecStart")
    assert "portal-sync-api serve" in command and "--workers" in command
    assert one(unit, "Service", "Restart") == "always"
    assert one(unit, "Service", "User") == "portal"


def test_udev_rule_gives_scanner_and_camera_stable_names_and_groups() -> None:
    rules = [
        line
        for line in (UNITS / "99-cantine-scanner.rules").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    by_subsystem = {line.split('"')[1]: line for line in rules}
    assert set(by_subsystem) == {"input", "tty", "video4linux"}
    for subsystem, group in (("input", "input"), ("tty", "dialout"), ("video4linux", "video")):
        assert "SYMLINK+=" in by_subsystem[subsystem]
        assert f'GROUP="{group}"' in by_subsystem[subsystem]


# What `systemd-analyze verify` says only because this machine is not a station.
_MACHINE_SPECIFIC = ("is not executable: No such file or directory",)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
@pytest.mark.parametrize("name", [*STATION_UNITS, "portal-sync-api.service"])
def test_systemd_analyze_verify_accepts_the_unit(name: str) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(UNITS / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and not any(m in line for m in _MACHINE_SPECIFIC)
    ]
    assert problems == []
