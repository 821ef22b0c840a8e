"""The example configuration files document every key the code reads, and load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from station.core.config import (
    _PORTAL_KEYS,
    _READER_COMMON,
    _STATION_KEYS,
    _SYNC_KEYS,
    READER_KEYS,
    load_config,
)

ROOT = Path(__file__).resolve().parents[3]
STATION_EXAMPLE = ROOT / "config" / "station.example.toml"
PORTAL_EXAMPLE = ROOT / "config" / "portal.example.env"

# Commented-out TOML (no space after "#") is an example block to enable; prose has "# ".
_COMMENTED_TOML = re.compile(r"^#(\[\[readers\]\]|[a-z_]+ = )")


def _uncommented(text: str) -> str:
    return "\n".join(
        line[1:] if _COMMENTED_TOML.match(line) else line for line in text.splitlines()
    )


def _keys_in(text: str, section: str) -> set[str]:
    keys: set[str] = set()
    current = ""
    for line in text.splitlines():
        header = re.match(r"^\[+([a-z_]+)\]+", line)
        if header:
            current = header.group(1)
        elif current == section and (m := re.match(r"^([a-z_]+) = ", line)):
            keys.add(m.group(1))
    return keys


def test_station_example_loads_as_shipped() -> None:
    config = load_config(STATION_EXAMPLE)
    assert config.station.name and config.station.school == "1849"
    assert [r.kind for r in config.readers] == ["wedge"]


def test_station_example_documents_every_station_and_portal_key() -> None:
    text = STATION_EXAMPLE.read_text(encoding="utf-8")
    assert set(_STATION_KEYS) - _keys_in(text, "station") == set()
    assert set(_PORTAL_KEYS) - _keys_in(text, "portal") == set()
    assert set(_SYNC_KEYS) - _keys_in(text, "sync") == set()


def test_station_example_has_one_complete_reader_block_per_kind(tmp_path: Path) -> None:
    full = tmp_path / "full.toml"
    full.write_text(_uncommented(STATION_EXAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    config = load_config(full)
    by_kind = {r.kind: r for r in config.readers}
    assert set(by_kind) == set(READER_KEYS)
    text = full.read_text(encoding="utf-8")
    blocks = re.split(r"^\[\[readers\]\]$", text, flags=re.M)[1:]
    assert len(blocks) == len(READER_KEYS)
    for block in blocks:
        kind = re.search(r'^kind = "([a-z]+)"', block, re.M)
        assert kind, block
        written = set(re.findall(r"^([a-z_]+) = ", block, re.M))
        expected = set(_READER_COMMON) | set(READER_KEYS[kind.group(1)])
        assert expected - written == set(), kind.group(1)


def test_every_key_of_the_example_is_explained_by_a_comment_above_it() -> None:
    lines = _uncommented(STATION_EXAMPLE.read_text(encoding="utf-8")).splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            above = lines[max(0, i - 8) : i]
            assert any(a.startswith("# ") for a in above), line


def _env_names_read_by(package: str) -> set[str]:
    names: set[str] = set()
    for source in (ROOT / package).rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z_]+)\"", text))
        names |= set(re.findall(r"os\.environ\[\s*\"([A-Z_]+)\"\s*\]", text))
        # The portal's settings read through small helpers: _env("NAME"), _env_port("NAME", …)
        names |= set(re.findall(r"\b_env\w*\(\s*\"([A-Z_]+)\"", text))
    return names


def test_portal_example_env_documents_every_variable_the_portal_reads() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", PORTAL_EXAMPLE.read_text(encoding="utf-8"), re.M))
    read = _env_names_read_by("portal_sync_api")
    assert "PORTAL_DATABASE_URL" in read
    assert read - documented == set()


@pytest.mark.parametrize("line", ["PORTAL_DATABASE_URL=postgresql+psycopg://"])
def test_portal_example_points_at_postgresql(line: str) -> None:
    assert line in PORTAL_EXAMPLE.read_text(encoding="utf-8")
