"""Station TOML configuration: contract keys, unknown keys, types, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.config import load_config
from station.core.errors import ConfigError

VALID = """
[station]
name = "ligne-1"
school = "1849"
database = "station.db"
timezone = "Europe/Paris"

[portal]
url = "https://portail.example.fr"
token = "secret"
sync_interval_seconds = 10

[[readers]]
kind = "wedge"

[[readers]]
kind = "serial"
port = "loop://"
baudrate = 9600
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_contract_keys_load_with_relative_database_beside_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID))
    assert config.station.name == "ligne-1" and config.station.school == "1849"
    assert config.station.database == tmp_path / "station.db"
    assert config.portal.sync_interval_seconds == 10
    assert [r.kind for r in config.readers] == ["wedge", "serial"]
    assert config.readers[1].options["port"] == "loop://"


def test_unknown_key_is_an_error_naming_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('timezone = "Europe/Paris"', 'colour = "bleu"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "station.colour" in err.value.message and str(path) in err.value.message


def test_unknown_reader_option_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"readers\[2\]\.speed"):
        load_config(write(tmp_path, VALID.replace("baudrate = 9600", "speed = 9600")))


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="portal.sync_interval_seconds"):
        load_config(write(tmp_path, VALID.replace("= 10", '= "dix"')))


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="station.school"):
        load_config(write(tmp_path, VALID.replace('school = "1849"\n', "")))


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TOML invalide"):
        load_config(write(tmp_path, "[station\nname="))


def test_unknown_timezone_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="station.timezone"):
        load_config(write(tmp_path, VALID.replace("Europe/Paris", "Mars/Olympus")))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="introuvable"):
        load_config(tmp_path / "absent.toml")


def test_reader_value_outside_its_allowed_values_is_named_with_them(tmp_path: Path) -> None:
    text = VALID + '\n[[readers]]\nkind = "camera"\ndecoder = "zbar"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "« readers[3].decoder » doit être l'un de zxing, pyzbar, reçu 'zbar'" in (
        err.value.message
    )


def test_reader_allowed_values_ignore_case_as_the_serial_reader_always_did(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path, VALID + 'terminator = "crlf"\n'))
    assert config.readers[1].options["terminator"] == "CRLF"


def test_exports_go_beside_the_database_unless_a_folder_is_configured(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(
        '[station]\nname = "l"\nschool = "1849"\ndatabase = "data/station.db"\n', "utf-8"
    )
    assert load_config(path).station.exports == tmp_path / "data" / "exports"
    path.write_text(
        '[station]\nname = "l"\nschool = "1849"\ndatabase = "data/station.db"\n'
        'export_dir = "bilans"\n',
        "utf-8",
    )
    assert load_config(path).station.exports == tmp_path / "bilans"
