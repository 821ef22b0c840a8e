"""Money is integer cents everywhere; this module writes it the French way for people
(pages, e-mails, PDFs, messages). It imports nothing of the portal, so ``crud`` modules,
the payment provider and the pages all use it without an import cycle."""

from __future__ import annotations

#: Between the amount and ``€``: a no-break space, so ``4,15`` and ``€`` never part at a
#: line end on a phone screen.
NBSP = "\u00a0"
#: Thousands separator (French typography: a narrow no-break space).
NNBSP = "\u202f"
#: A visible minus sign (U+2212), as on the station's screen.
MINUS = "\u2212"


def euros(cents: int) -> str:
    """``415`` → ``4,15 €``; ``-320`` → ``−3,20 €``; ``123456`` → ``1 234,56 €``."""
    sign = MINUS if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", NNBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"
