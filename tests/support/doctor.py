"""``station doctor`` findings read by code and level (plain helpers for the ops tests)."""

from __future__ import annotations

from station.core.config import StationConfig
from station.doctor import Finding, Level, run_checks


def by_code(findings: list[Finding]) -> dict[str, Finding]:
    """The findings keyed by their code."""
    return {f.code: f for f in findings}


def doctor(config: StationConfig) -> dict[str, Finding]:
    """Every check of ``config``'s station, keyed by code."""
    return by_code(run_checks(config))


def blocking(findings: dict[str, Finding]) -> set[str]:
    """The codes of the findings that keep the line from serving."""
    return {code for code, f in findings.items() if f.level is Level.BLOCKING}
