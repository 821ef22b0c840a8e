"""``station doctor`` names each local fault, says how to fix it, and blocks only when
the line cannot serve."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.core.config import load_config
from station.doctor import Level, run_checks
from station.engine import ServingLine
from station.readers import decode
from tests.support.doctor import blocking, doctor
from tests.support.station import NOON, write_config


def station_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_healthy_offline_station_is_ready_to_serve(config: object) -> None:
    findings = doctor(config)  # type: ignore[arg-type]
    assert blocking(findings) == set()
    assert {"config.ok", "database.ok", "journal.ok", "cache.ok", "outbox.ok", "disk.ok"} <= set(
        findings
    )
    assert findings["database.mode_ok"].detail == "mode 600"
    assert findings["config.no_portal"].level is Level.WARNING


def test_unknown_config_key_is_named_with_the_file_and_exit_2(
    tmp_path: Path, db_path: Path
) -> None:
    path = write_config(tmp_path, database=db_path, extra_station='nmae = "typo"\n')
    done = station_cli(path, "doctor")
    assert done.returncode == 2
    assert "station.nmae" in done.stderr and str(path) in done.stderr


def test_missing_database_directory_blocks_with_the_command_to_create_it(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, database=tmp_path / "absent" / "station.db"))
    findings = doctor(config)
    assert "database.dir_missing" in blocking(findings)
    assert "install -d -o cantine" in findings["database.dir_missing"].fix
    assert not (tmp_path / "absent").exists()  # doctor created nothing


def test_missing_database_file_blocks_and_is_not_created(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    config = load_config(write_config(tmp_path, database=tmp_path / "empty" / "station.db"))
    assert "database.missing" in blocking(doctor(config))
    assert list((tmp_path / "empty").iterdir()) == []


def test_world_readable_database_is_reported_with_chmod(config: object, db_path: Path) -> None:
    db_path.chmod(0o644)
    finding = doctor(config)["database.mode"]  # type: ignore[arg-type]
    assert finding.level is Level.WARNING and "644" in finding.detail
    assert finding.fix == f"sudo chmod 600 {db_path}*"


def test_tampered_journal_blocks(config: object, line: ServingLine, db_path: Path) -> None:
    verdict = line.scan("1849-00001", at=NOON)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meals SET charged_cents = 0 WHERE id = ?", (verdict.meal_id,))
    conn.commit()
    conn.close()
    findings = doctor(config)  # type: ignore[arg-type]
    assert "journal.broken" in blocking(findings)
    assert "intendance" in findings["journal.broken"].fix


def test_corrupt_database_file_blocks(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    path.write_bytes(b"this is not a database" * 100)
    path.chmod(0o600)
    findings = doctor(load_config(write_config(tmp_path, database=path)))
    assert "database.open" in blocking(findings)
    assert "sauvegarde" in findings["database.open"].fix


def test_low_disk_warns_and_nearly_full_disk_blocks(
    config: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 10**9, 200 * 2**20))
    assert doctor(config)["disk.low"].level is Level.WARNING  # type: ignore[arg-type]
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**9, 10**9, 10 * 2**20))
    findings = doctor(config)  # type: ignore[arg-type]
    assert "disk.full" in blocking(findings) and "10 Mo" in findings["disk.full"].detail


def test_stale_cache_warns_with_sync_or_export(config: object, db_path: Path) -> None:
    old = (datetime.now(UTC) - timedelta(hours=72)).isoformat()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'pulled_at'", (old,))
    conn.commit()
    conn.close()
    finding = doctor(config)["cache.stale"]  # type: ignore[arg-type]
    assert finding.level is Level.WARNING and "72 h" in finding.detail
    assert "station sync --once" in finding.fix and "station export" in finding.fix


def test_empty_cache_blocks(tmp_path: Path) -> None:
    from station.store import Store

    path = tmp_path / "fresh.db"
    Store(path).close()
    assert "cache.empty" in blocking(doctor(load_config(write_config(tmp_path, database=path))))


def test_old_pending_and_rejected_outbox_entries_are_reported(
    config: object, line: ServingLine, db_path: Path
) -> None:
    first = line.scan("1849-00001", at=NOON)
    line.scan("1849-00002", at=NOON)
    conn = sqlite3.connect(db_path)
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    conn.execute("UPDATE outbox SET created_at = ?", (old,))
    conn.execute(
        "UPDATE outbox SET rejected_reason = 'unknown_child' WHERE record_id = ?", (first.meal_id,)
    )
    conn.commit()
    conn.close()
    findings = doctor(config)  # type: ignore[arg-type]
    assert findings["outbox.pending_old"].level is Level.WARNING
    assert "1 passage" in findings["outbox.pending_old"].detail
    assert "unknown_child ×1" in findings["outbox.rejected"].detail
    assert blocking(findings) == set()


def test_azerty_garbled_scans_give_a_keyboard_layout_hint_without_showing_them(
    config: object, line: ServingLine
) -> None:
    line.scan("&)àà&", at=NOON)  # nonsense in the shifted row
    line.scan("&)àààà&", at=NOON)  # 1-00001 typed by a US scanner on AZERTY
    line.scan("&_(ç)ààààé", at=NOON)  # 1849-00002
    finding = doctor(config)["readers.azerty"]  # type: ignore[arg-type]
    assert finding.level is Level.WARNING
    assert "3 des 3" in finding.detail and "AZERTY" in finding.detail
    assert 'kind = "evdev"' in finding.fix
    assert "àààà" not in finding.detail + finding.fix


def _with_readers(tmp_path: Path, db_path: Path, readers: str) -> object:
    return load_config(write_config(tmp_path, database=db_path, readers=readers))


def test_absent_serial_port_blocks_with_what_to_check(tmp_path: Path, db_path: Path) -> None:
    config = _with_readers(
        tmp_path, db_path, '[[readers]]\nkind = "serial"\nport = "/dev/ttyCANTINE-absent"\n'
    )
    findings = doctor(config)  # type: ignore[arg-type]
    assert "readers.serial_absent" in blocking(findings)
    assert "/dev/ttyCANTINE-absent" in findings["readers.serial_absent"].detail
    assert "udev" in findings["readers.serial_absent"].fix


def test_serial_port_that_opens_is_ok(tmp_path: Path, db_path: Path) -> None:
    config = _with_readers(tmp_path, db_path, '[[readers]]\nkind = "serial"\nport = "loop://"\n')
    findings = run_checks(config)  # type: ignore[arg-type]
    assert [f.level for f in findings if "serial" in f.check] == [Level.OK]


def test_absent_evdev_scanner_blocks(tmp_path: Path, db_path: Path) -> None:
    config = _with_readers(
        tmp_path, db_path, '[[readers]]\nkind = "evdev"\ndevice = "/dev/input/cantine-absent"\n'
    )
    assert "readers.evdev_absent" in blocking(doctor(config))  # type: ignore[arg-type]


def test_absent_camera_blocks(tmp_path: Path, db_path: Path) -> None:
    config = _with_readers(
        tmp_path, db_path, '[[readers]]\nkind = "camera"\ndevice = "/dev/video-cantine-absent"\n'
    )
    findings = doctor(config)  # type: ignore[arg-type]
    assert "readers.camera_absent" in blocking(findings)
    assert findings["readers.decoder_ok"].level is Level.OK


def test_camera_that_cannot_be_opened_blocks(tmp_path: Path, db_path: Path) -> None:
    not_a_camera = tmp_path / "video0"
    not_a_camera.write_bytes(b"\0" * 64)
    config = _with_readers(
        tmp_path, db_path, f'[[readers]]\nkind = "camera"\ndevice = "{not_a_camera}"\n'
    )
    assert "readers.camera_open" in blocking(doctor(config))  # type: ignore[arg-type]


def test_missing_libzbar_says_apt_install_libzbar0(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyzbar raises ImportError when libzbar.so is absent; make its import fail the same way.
    monkeypatch.setitem(sys.modules, "pyzbar", None)
    decode._pyzbar.cache_clear()
    try:
        config = _with_readers(
            tmp_path,
            db_path,
            '[[readers]]\nkind = "camera"\ndevice = "/dev/video-cantine-absent"\n'
            'decoder = "pyzbar"\n',
        )
        finding = doctor(config)["readers.decoder"]  # type: ignore[arg-type]
    finally:
        decode._pyzbar.cache_clear()
    assert finding.level is Level.BLOCKING
    assert "apt install libzbar0" in finding.detail and finding.fix == "sudo apt install libzbar0"


def test_one_missing_reader_only_warns_when_another_works(tmp_path: Path, db_path: Path) -> None:
    config = _with_readers(
        tmp_path,
        db_path,
        '[[readers]]\nkind = "wedge"\n\n[[readers]]\nkind = "serial"\nport = "/dev/ttyNOPE"\n',
    )
    findings = doctor(config)  # type: ignore[arg-type]
    assert findings["readers.serial_absent"].level is Level.WARNING
    assert blocking(findings) == set()


def test_world_readable_config_with_token_is_reported(tmp_path: Path, db_path: Path) -> None:
    path = write_config(tmp_path, database=db_path, url="https://portail.example.fr", token="t")
    path.chmod(0o644)
    findings = by_code_no_portal(path)
    assert findings["config.permissions"].level is Level.WARNING
    assert "chmod 640" in findings["config.permissions"].fix


def by_code_no_portal(path: Path) -> dict[str, object]:
    from station.doctor.local import check_config

    return {f.code: f for f in check_config(load_config(path))}


def test_cli_exits_1_and_prints_the_fix_when_something_blocks(tmp_path: Path) -> None:
    path = write_config(tmp_path, database=tmp_path / "nowhere" / "station.db")
    done = station_cli(path, "doctor")
    assert done.returncode == 1
    assert "[KO] dossier de la base (database directory)" in done.stdout
    assert "→ à faire : sudo install -d" in done.stdout
    assert "ne peut pas servir" in done.stdout


def test_cli_json_lists_codes_and_exits_0_when_only_warnings(tmp_path: Path, db_path: Path) -> None:
    path = write_config(tmp_path, database=db_path)
    done = station_cli(path, "doctor", "--json")
    assert done.returncode == 0, done.stdout
    codes = {item["code"]: item["level"] for item in json.loads(done.stdout)}
    assert codes["config.no_portal"] == "attention" and codes["database.ok"] == "ok"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_database_directory_blocks(tmp_path: Path, db_path: Path) -> None:
    config = load_config(write_config(tmp_path, database=db_path))
    db_path.parent.chmod(0o500)
    try:
        assert "database.dir_readonly" in blocking(doctor(config))
    finally:
        db_path.parent.chmod(0o700)
