"""Station configuration (TOML, docs/design.md §4); works without a UI.

Every key is documented in ``config/station.example.toml``. An unknown key, a wrong type
or a missing required key is a ``ConfigError`` that names the key and the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.core.errors import ConfigError
from station.core.reader_kinds import COMMON_KEYS, READER_KINDS, key_table
from station.core.timeutil import zone

DEFAULT_CONFIG_PATH = Path("/etc/cantine/station.toml")

# key -> (python type, default); required keys have the default ``...``.
_STATION_KEYS: dict[str, tuple[type, Any]] = {
    "name": (str, ...),
    "school": (str, ...),
    "database": (str, ...),
    "timezone": (str, "Europe/Paris"),
    "school_name": (str, ""),
    "stale_after_hours": (int, 24),
    "export_dir": (str, ""),
}
_PORTAL_KEYS: dict[str, tuple[type, Any]] = {
    "url": (str, ""),
    "token": (str, ""),
    "sync_interval_seconds": (int, 10),
    "timeout_seconds": (float, 5.0),
    "ca_bundle": (str, ""),
    "batch_size": (int, 500),
    "page_size": (int, 5000),
}
_SYNC_KEYS: dict[str, tuple[type, Any]] = {
    "photo_cache_mb": (float, 50.0),
}
# What a [[readers]] entry may hold is declared once per kind, in station/core/reader_kinds.py;
# these are views of it in the form of the sections above (the example-file test reads them).
_READER_COMMON: dict[str, tuple[type, Any]] = key_table(COMMON_KEYS)
READER_KEYS: dict[str, dict[str, tuple[type, Any]]] = {
    name: key_table(kind.keys) for name, kind in READER_KINDS.items()
}


@dataclass(frozen=True)
class StationSection:
    """``[station]``: who this station is and where it keeps its data."""

    name: str
    school: str
    database: Path
    timezone: str = "Europe/Paris"
    school_name: str = ""
    stale_after_hours: int = 24
    export_dir: Path | None = None
    """Where F6 writes the day's CSV; empty in the file means ``exports/`` beside the
    database (never the current directory)."""

    @property
    def exports(self) -> Path:
        """The folder F6 exports go to."""
        return self.export_dir or self.database.parent / "exports"


@dataclass(frozen=True)
class PortalSection:
    """``[portal]``: how to reach the central portal."""

    url: str = ""
    token: str = ""
    sync_interval_seconds: int = 10
    timeout_seconds: float = 5.0
    ca_bundle: str = ""
    batch_size: int = 500
    page_size: int = 5000


@dataclass(frozen=True)
class SyncSection:
    """``[sync]``: what the station keeps from the portal beside its database."""

    photo_cache_mb: float = 50.0
    """Disk space the children's photos may take (MB); 0: no photo is fetched."""

    @property
    def photo_cache_bytes(self) -> int:
        return int(self.photo_cache_mb * 1024 * 1024)


@dataclass(frozen=True)
class ReaderConfig:
    """One ``[[readers]]`` entry: its kind and the options for that kind."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StationConfig:
    """The whole station configuration."""

    station: StationSection
    portal: PortalSection
    readers: tuple[ReaderConfig, ...]
    path: Path | None = None
    sync: SyncSection = SyncSection()


def _check_section(
    values: Any, spec: dict[str, tuple[type, Any]], where: str, path: Path
) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{where}] doit être une table")
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in spec:
            allowed = ", ".join(sorted(spec))
            raise ConfigError(
                f"{path}: clé inconnue « {where}.{key} » (clés possibles : {allowed})"
            )
        expected, _default = spec[key]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise ConfigError(
                f"{path}: « {where}.{key} » doit être de type {expected.__name__}, reçu {value!r}"
            )
        out[key] = value
    for key, (_expected, default) in spec.items():
        if key not in out:
            if default is ...:
                raise ConfigError(f"{path}: clé obligatoire manquante « {where}.{key} »")
            out[key] = default
    return out


def _check_reader(entry: Any, where: str, path: Path) -> ReaderConfig:
    """One ``[[readers]]`` entry against the keys its kind declares in the registry."""
    name = entry.get("kind") if isinstance(entry, dict) else None
    kind = READER_KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ConfigError(
            f"{path}: « {where}.kind » doit être l'un de {', '.join(READER_KINDS)}, reçu {name!r}"
        )
    keys = kind.all_keys
    options = _check_section(entry, key_table(keys.values()), where, path)
    for key in keys.values():
        if key.choices:
            allowed = key.choice(options[key.name])
            if allowed is None:
                raise ConfigError(
                    f"{path}: « {where}.{key.name} » doit être l'un de "
                    f"{', '.join(key.choices)}, reçu {options[key.name]!r}"
                )
            options[key.name] = allowed
    return ReaderConfig(kind=kind.name, options=options)


def parse_config(data: dict[str, Any], path: Path) -> StationConfig:
    """Validate already-parsed TOML ``data`` read from ``path``."""
    for top in data:
        if top not in ("station", "portal", "sync", "readers"):
            raise ConfigError(f"{path}: section inconnue « {top} »")
    station = _check_section(data.get("station", {}), _STATION_KEYS, "station", path)
    portal = _check_section(data.get("portal", {}), _PORTAL_KEYS, "portal", path)
    sync = _check_section(data.get("sync", {}), _SYNC_KEYS, "sync", path)
    if not 0 <= sync["photo_cache_mb"] <= 100_000:
        raise ConfigError(
            f"{path}: « sync.photo_cache_mb » doit être entre 0 et 100000, "
            f"reçu {sync['photo_cache_mb']!r}"
        )
    school = station["school"]
    if not (school.isascii() and school.isdigit()):
        raise ConfigError(
            f"{path}: « station.school » doit être un code numérique, reçu {school!r}"
        )
    try:
        zone(station["timezone"])
    except ValueError as e:
        raise ConfigError(f"{path}: « station.timezone » : {e}") from e
    database = Path(station["database"]).expanduser()
    if not database.is_absolute():
        database = (path.parent / database).resolve()
    exports = Path(station.pop("export_dir", "") or database.parent / "exports").expanduser()
    if not exports.is_absolute():
        exports = (path.parent / exports).resolve()
    readers_raw = data.get("readers", [])
    if not isinstance(readers_raw, list):
        raise ConfigError(f"{path}: « readers » doit être une liste [[readers]]")
    readers = [
        _check_reader(entry, f"readers[{i}]", path) for i, entry in enumerate(readers_raw, start=1)
    ]
    return StationConfig(
        station=StationSection(**(station | {"database": database, "export_dir": exports})),
        portal=PortalSection(**portal),
        readers=tuple(readers),
        path=path,
        sync=SyncSection(**sync),
    )


def config_path(explicit: str | None) -> Path:
    """The config file to use: ``--config``, then ``$STATION_CONFIG``, then the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("STATION_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_config(path: Path) -> StationConfig:
    """Read and validate the TOML file at ``path``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: fichier de configuration introuvable") from e
    except OSError as e:
        raise ConfigError(f"{path}: lecture impossible ({e.strerror})") from e
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: TOML invalide : {e}") from e
    return parse_config(data, path)
