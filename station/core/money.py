"""Money is integer cents everywhere; this module only formats it for people."""

from __future__ import annotations


def format_euros(cents: int) -> str:
    """Format cents the French way: ``415`` -> ``4,15 €``, ``-320`` -> ``−3,20 €``.

    The minus sign is U+2212 so that it stays visible in large fonts.
    """
    sign = "\u2212" if cents < 0 else ""
    value = abs(cents)
    euros, rest = divmod(value, 100)
    grouped = f"{euros:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d} €"


def format_decimal(cents: int) -> str:
    """Format cents for a French spreadsheet cell: ``415`` -> ``4,15``, ``-5`` -> ``-0,05``."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros},{rest:02d}"
