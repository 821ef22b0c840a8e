"""Doctor checks on this machine: configuration, database directory and file, free disk."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import stat
from pathlib import Path
from urllib.parse import urlsplit

from station.core.config import StationConfig
from station.core.errors import StationError
from station.doctor.contents import check_contents
from station.doctor.findings import Finding, Level
from station.doctor.writable import check_writable
from station.store import Store

MIB = 1024 * 1024
#: Below this, SQLite may fail to commit a meal: the line must stop.
DISK_BLOCKING_BYTES = 50 * MIB
#: Below this, warn while there is time to act.
DISK_WARNING_BYTES = 500 * MIB


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_config(config: StationConfig) -> list[Finding]:
    """The file parsed (or the CLI would have stopped); now what it says."""
    findings = [
        Finding("configuration", Level.OK, f"{config.path} valide", code="config.ok"),
    ]
    path, portal = config.path, config.portal
    if path is not None and portal.token and path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o007:
            findings.append(
                Finding(
                    "droits de la configuration (file mode)",
                    Level.WARNING,
                    f"{path} est lisible par tous (mode {mode:o}) alors qu'il contient le jeton",
                    f"sudo chown root:cantine {path} && sudo chmod 640 {path}",
                    "config.permissions",
                )
            )
    if not portal.url:
        findings.append(
            Finding(
                "portail (portal url)",
                Level.WARNING,
                "aucune adresse de portail : le poste sert hors ligne, rien n'est synchronisé",
                "renseignez [portal] url, ou transportez les passages avec `station export`",
                "config.no_portal",
            )
        )
    else:
        parts = urlsplit(portal.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            findings.append(
                Finding(
                    "portail (portal url)",
                    Level.BLOCKING,
                    f"adresse de portail invalide : {portal.url!r}",
                    "écrivez-la sous la forme https://portail.example.fr dans [portal] url",
                    "config.bad_url",
                )
            )
        elif parts.scheme == "http" and not _is_loopback(parts.hostname):
            findings.append(
                Finding(
                    "portail (TLS)",
                    Level.WARNING,
                    f"{portal.url} n'est pas chiffré (http) : le jeton circule en clair",
                    "utilisez l'adresse https:// du portail",
                    "config.insecure_url",
                )
            )
        if not portal.token:
            findings.append(
                Finding(
                    "jeton du poste (token)",
                    Level.BLOCKING,
                    "[portal] token est vide : le portail refusera toute synchronisation",
                    "portal-sync-api station create --school CODE --name NOM, puis copiez le "
                    "jeton affiché dans [portal] token",
                    "config.no_token",
                )
            )
    if not config.readers:
        findings.append(
            Finding(
                "lecteurs (readers)",
                Level.OK,
                "aucun [[readers]] : le clavier sert de lecteur (keyboard wedge)",
                code="readers.default",
            )
        )
    return findings


def _disk(directory: Path) -> Finding:
    free = shutil.disk_usage(directory).free
    text = f"{free // MIB} Mo libres sur le disque de {directory}"
    if free < DISK_BLOCKING_BYTES:
        return Finding(
            "espace disque (free disk)",
            Level.BLOCKING,
            text + " : les passages risquent de ne plus être enregistrés",
            "libérez de la place (journalctl --vacuum-size=100M, apt clean, anciens exports)",
            "disk.full",
        )
    if free < DISK_WARNING_BYTES:
        return Finding(
            "espace disque (free disk)",
            Level.WARNING,
            text,
            "libérez de la place avant qu'il ne manque (journalctl --vacuum-size=100M, apt clean)",
            "disk.low",
        )
    return Finding("espace disque (free disk)", Level.OK, text, code="disk.ok")


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


def _give_back_sidecars(path: Path, before: set[Path]) -> None:
    """Run as root, opening the database may create -wal/-shm owned by root, which the
    station user could then not write: hand them to the database file's owner."""
    if os.geteuid() != 0:
        return
    owner = path.stat()
    for sidecar in _sidecars(path):
        if sidecar not in before and sidecar.exists():
            with contextlib.suppress(OSError):
                os.chown(sidecar, owner.st_uid, owner.st_gid)


def check_database(config: StationConfig) -> list[Finding]:
    """Database file, its directory and disk, then what is inside (without creating it)."""
    path = config.station.database
    directory = path.parent
    if not directory.is_dir():
        return [
            Finding(
                "dossier de la base (database directory)",
                Level.BLOCKING,
                f"le dossier {directory} n'existe pas",
                f"sudo install -d -o cantine -g cantine -m 0700 {directory} (sous systemd, "
                "StateDirectory=cantine le crée), ou corrigez station.database",
                "database.dir_missing",
            )
        ]
    findings = [_disk(directory)]
    if not os.access(directory, os.W_OK | os.X_OK):
        findings.append(
            Finding(
                "dossier de la base (database directory)",
                Level.BLOCKING,
                f"{directory} n'est pas accessible en écriture pour cet utilisateur",
                f"sudo chown cantine:cantine {directory} && sudo chmod 700 {directory} ; "
                "lancez le diagnostic en tant que cantine : sudo -u cantine station doctor",
                "database.dir_readonly",
            )
        )
        return findings
    if not path.exists():
        findings.append(
            Finding(
                "base de données (SQLite database)",
                Level.BLOCKING,
                f"{path} n'existe pas encore : le poste n'a jamais été synchronisé",
                "sudo -u cantine station sync --once (crée la base et charge l'école)",
                "database.missing",
            )
        )
        return findings
    before = {p for p in _sidecars(path) if p.exists()}
    try:
        with Store(path) as store:
            findings += check_contents(config, store)
            findings += check_writable(store)
    except StationError as e:
        findings.append(
            Finding(
                "base de données (SQLite database)",
                Level.BLOCKING,
                e.message,
                "vérifiez le chemin station.database, les droits et le disque ; sinon "
                "restaurez la dernière sauvegarde",
                "database.open",
            )
        )
    finally:
        _give_back_sidecars(path, before)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        findings.append(
            Finding(
                "droits de la base (file mode)",
                Level.WARNING,
                f"{path} est en mode {mode:o} : d'autres comptes peuvent lire les données "
                "des élèves (attendu : 600)",
                f"sudo chmod 600 {path}*",
                "database.mode",
            )
        )
    else:
        findings.append(
            Finding(
                "droits de la base (file mode)", Level.OK, f"mode {mode:o}", code="database.mode_ok"
            )
        )
    return findings
