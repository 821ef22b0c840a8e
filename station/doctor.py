"""Health checks for installers (``station doctor``); each finding says what to fix."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from station.config import StationConfig
from station.errors import StationError
from station.store import Store


class Level(StrEnum):
    OK = "ok"
    WARNING = "attention"
    BLOCKING = "bloquant"


@dataclass(frozen=True)
class Finding:
    """One check's outcome: what was checked, what was found, and the fix (French)."""

    check: str
    level: Level
    detail: str
    fix: str = ""


Check = Callable[[StationConfig], list[Finding]]


def check_database(config: StationConfig) -> list[Finding]:
    path = config.station.database
    findings: list[Finding] = []
    try:
        with Store(path) as store:
            integrity = store.integrity_check()
            journal = store.verify_journal()
            pending = store.conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND rejected_reason IS NULL"
            ).fetchone()[0]
            rejected = store.conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE rejected_reason IS NOT NULL"
            ).fetchone()[0]
    except StationError as e:
        return [
            Finding(
                "base de données",
                Level.BLOCKING,
                e.message,
                "vérifiez le chemin station.database, les droits et le disque",
            )
        ]
    if integrity == "ok":
        findings.append(Finding("intégrité SQLite", Level.OK, f"{path} : ok"))
    else:
        findings.append(
            Finding(
                "intégrité SQLite",
                Level.BLOCKING,
                integrity,
                "restaurez la dernière sauvegarde de la base",
            )
        )
    if journal.ok:
        findings.append(
            Finding(
                "journal des passages",
                Level.OK,
                f"{journal.records} enregistrements, chaîne intacte",
            )
        )
    else:
        findings.append(
            Finding(
                "journal des passages",
                Level.BLOCKING,
                f"position {journal.position} : {journal.problem}",
                "prévenez l'intendance : le journal a été modifié",
            )
        )
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        findings.append(
            Finding(
                "droits du fichier",
                Level.WARNING,
                f"{path} est en mode {mode:o} (lisible par d'autres)",
                f"chmod 600 {path}",
            )
        )
    else:
        findings.append(Finding("droits du fichier", Level.OK, f"mode {mode:o}"))
    if rejected:
        findings.append(
            Finding(
                "passages refusés par le portail",
                Level.WARNING,
                f"{rejected} passage(s) rejeté(s)",
                "consultez `station sync --once` et l'intendance",
            )
        )
    findings.append(Finding("passages en attente d'envoi", Level.OK, str(pending)))
    free = shutil.disk_usage(path.parent).free
    if free < 50 * 1024 * 1024:
        findings.append(
            Finding(
                "espace disque",
                Level.BLOCKING,
                f"{free // (1024 * 1024)} Mo libres",
                "libérez de la place sur le disque",
            )
        )
    else:
        findings.append(Finding("espace disque", Level.OK, f"{free // (1024 * 1024)} Mo libres"))
    return findings


CHECKS: list[Check] = [check_database]


def run_checks(config: StationConfig) -> list[Finding]:
    findings = [Finding("configuration", Level.OK, f"{config.path} valide")]
    for check in CHECKS:
        findings.extend(check(config))
    return findings
