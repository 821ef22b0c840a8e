"""``[sync] photo_cache_mb``: the disk the children's photos may take beside the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.config import load_config
from station.core.errors import ConfigError
from station.sync.photos import photo_dir

BASE = '[station]\nname = "ligne-1"\nschool = "1849"\ndatabase = "data/station.db"\n'


def config(tmp_path: Path, extra: str = ""):  # type: ignore[no-untyped-def]
    path = tmp_path / "station.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_config(path)


def test_the_cap_defaults_to_50_mb_and_the_folder_is_beside_the_database(
    tmp_path: Path,
) -> None:
    loaded = config(tmp_path)
    assert loaded.sync.photo_cache_mb == 50.0
    assert loaded.sync.photo_cache_bytes == 50 * 1024 * 1024
    assert photo_dir(loaded.station.database) == tmp_path / "data" / "station-photos"


def test_a_whole_or_decimal_number_of_megabytes_and_zero_are_accepted(tmp_path: Path) -> None:
    assert config(tmp_path, "[sync]\nphoto_cache_mb = 20\n").sync.photo_cache_bytes == 20 << 20
    assert config(tmp_path, "[sync]\nphoto_cache_mb = 0.5\n").sync.photo_cache_bytes == 1 << 19
    assert config(tmp_path, "[sync]\nphoto_cache_mb = 0\n").sync.photo_cache_bytes == 0


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("[sync]\nphoto_cache_mb = -1\n", "sync.photo_cache_mb"),
        ('[sync]\nphoto_cache_mb = "50"\n', "sync.photo_cache_mb"),
        ("[sync]\nphoto_cache_mo = 50\n", "sync.photo_cache_mo"),
    ],
)
def test_a_wrong_value_or_key_is_refused_naming_it(tmp_path: Path, extra: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        config(tmp_path, extra)
