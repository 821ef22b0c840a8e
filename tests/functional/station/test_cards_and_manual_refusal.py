"""Printed cards carry the school name pulled from the portal; an unknown child named for a
manual serve is a refusal (``unknown_child``, exit 3), in JSON when asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium

from station.cli import main
from station.store import Store
from station.store.cache import apply_changes
from tests.support.readers import write_station_config


def _pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_printed_cards_show_the_school_name_pulled_from_the_portal(tmp_path: Path) -> None:
    config = write_station_config(tmp_path)  # no school_name in the configuration
    changes = [
        {"kind": "school", "key": "1849", "seq": 1,
         "data": {"name": "Collège Jean Moulin", "timezone": "Europe/Paris"}},
        {"kind": "child", "key": "C0001", "seq": 2,
         "data": {"id": "C0001", "last_name": "Dupont", "first_name": "Hervé", "class": "6B"}},
        {"kind": "card", "key": "1849-00001", "seq": 3,
         "data": {"child_id": "C0001", "status": "active"}},
    ]  # fmt: skip
    store = Store(tmp_path / "station.db")
    with store.write() as conn:
        apply_changes(conn, changes, "ligne-1")
    store.close()
    out = tmp_path / "cartes.pdf"
    assert main(["--config", str(config), "cards", "print", "--all", "--out", str(out)]) == 0
    text = _pdf_text(out)
    assert "Collège Jean Moulin" in text
    assert "Établissement 1849" not in text


def _station(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "station.cli", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True)


def test_manual_serve_of_unknown_child_in_json_is_an_unknown_child_refusal(
    config_path: Path,
) -> None:
    done = _station(config_path, "scan", "--manual", "C9999", "--at", "2026-11-24T12:00", "--json")
    assert done.returncode == 3, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["status"] == "refused" and verdict["reason"] == "unknown_child"
    assert verdict["source"] == "manual" and verdict["business_date"] == "2026-11-24"
    assert verdict["child"] is None and verdict["charged_cents"] == 0
    assert "Traceback" not in done.stderr


def test_manual_serve_of_unknown_child_in_text_is_a_french_refusal(config_path: Path) -> None:
    done = _station(config_path, "scan", "--manual", "C9999", "--at", "2026-11-24T12:00")
    assert done.returncode == 3
    assert "Élève inconnu" in done.stdout and "C9999" in done.stdout
