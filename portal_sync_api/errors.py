"""Errors of the portal's data layer; the CLI and the API decide how to show them."""

from __future__ import annotations


class PortalError(Exception):
    """Base of the portal's own errors."""


class DataError(PortalError):
    """Input that cannot be applied; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
