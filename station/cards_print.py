"""Printable card sheets for ``station cards print``: the drawing is shared with the
portal's cards page (``cantine_contract/card_sheet.py``); the school's title is the
station's own choice."""

from __future__ import annotations

from cantine_contract.card_sheet import (
    BAR_HEIGHT,
    CARD_HEIGHT,
    CARD_WIDTH,
    CARDS_PER_PAGE,
    COLUMNS,
    MARGIN_X,
    MARGIN_Y,
    MODULE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    ROWS,
    CardFace,
    barcode_modules,
    card_origin,
    draw_card,
    write_sheets,
)

__all__ = [
    "BAR_HEIGHT",
    "CARDS_PER_PAGE",
    "CARD_HEIGHT",
    "CARD_WIDTH",
    "COLUMNS",
    "MARGIN_X",
    "MARGIN_Y",
    "MODULE",
    "PAGE_HEIGHT",
    "PAGE_WIDTH",
    "ROWS",
    "CardFace",
    "barcode_modules",
    "card_origin",
    "draw_card",
    "school_title",
    "write_sheets",
]


def school_title(configured: str, pulled: str, code: str) -> str:
    """The school name a card shows: the configured one, else the name the station pulled
    from the portal, else « Établissement CODE » (before the first sync)."""
    return configured.strip() or pulled.strip() or f"Établissement {code}"
