"""The font of the portal's PDF documents.

reportlab's standard fonts (Helvetica…) encode only WinAnsi: they draw é, è, ç, « » and €,
but not the minus sign (U+2212) and the narrow no-break space (U+202F) of the French money
format (``−1 234,56 €``). DejaVu Sans (Debian's ``fonts-dejavu-core``, installed by
``scripts/ensure-system-packages.sh``) has them all and is embedded in each PDF. Without
it, Helvetica is used and those two characters are written as ``-`` and a plain space.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

#: Where Debian and most Linux distributions put DejaVu Sans.
DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
)
#: Characters Helvetica cannot draw, and what stands in for them.
_WINANSI_STAND_INS = str.maketrans({"\u2212": "-", "\u202f": " "})


@dataclass(frozen=True)
class DocumentFont:
    """The regular and bold names registered with reportlab, and whether they draw every
    character of the French formats."""

    regular: str
    bold: str
    unicode: bool

    def text(self, value: str) -> str:
        """``value`` as this font can draw it."""
        return value if self.unicode else value.translate(_WINANSI_STAND_INS)


@cache
def document_font() -> DocumentFont:
    """DejaVu Sans registered once per process, else Helvetica."""
    for folder in DEJAVU_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")
            return DocumentFont("DejaVuSans", "DejaVuSans-Bold", unicode=True)
    return DocumentFont("Helvetica", "Helvetica-Bold", unicode=False)
