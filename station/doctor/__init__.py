"""Health checks for installers (``station doctor``); each finding says what to fix.

Checks, in order: configuration, database (file, integrity, journal, mode 0600, free
disk, cache age, outbox, keyboard layout seen in the scan log), readers (device present,
opens, decoder library loads) and portal (reachable, token accepted, clock skew). Each
finding is French with the English technical term; ``BLOCKING`` means the line cannot
serve. Nothing here creates or changes the station's data.
"""

from __future__ import annotations

from station.core.config import StationConfig
from station.doctor.findings import Check, Finding, Level
from station.doctor.local import check_config, check_database
from station.doctor.portal import check_portal
from station.doctor.readers import check_readers

CHECKS: list[Check] = [check_config, check_database, check_readers, check_portal]

__all__ = ["CHECKS", "Check", "Finding", "Level", "blocking", "run_checks"]


def run_checks(config: StationConfig) -> list[Finding]:
    """Every check's findings; a check that crashes becomes a blocking finding itself."""
    findings: list[Finding] = []
    for check in CHECKS:
        try:
            findings.extend(check(config))
        except Exception as e:  # a doctor that dies tells the installer nothing
            findings.append(
                Finding(
                    f"diagnostic {check.__name__}",
                    Level.BLOCKING,
                    f"le contrôle a échoué : {type(e).__name__}: {e}",
                    "signalez ce message ; relancez `station doctor` après correction",
                    "doctor.internal",
                )
            )
    return findings


def blocking(findings: list[Finding]) -> bool:
    """True when at least one finding stops the line from serving."""
    return any(f.level is Level.BLOCKING for f in findings)
