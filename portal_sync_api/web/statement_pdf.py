"""Monthly statements as PDF (A4, reportlab): the school's name and the period at the top
of every page, « page 1/3 » at the bottom, a summary (opening balance, a total per kind of
operation, closing balance), then one table per kind of operation whose header row is
repeated on each page it runs onto. Money and dates are written the French way
(``−4,15 €``, ``mardi 1 décembre 2026``) in a font that draws them (``pdf_fonts.py``).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from portal_sync_api.crud.family_view import KIND_LABELS
from portal_sync_api.crud.statements import MEAL_SECTIONS, Statement, StatementSection
from portal_sync_api.web.format import (
    euros,
    month_label,
    service_label,
    signed_euros,
    written_date,
)
from portal_sync_api.web.pdf_fonts import DocumentFont, document_font

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
#: Column widths of a meal table (day, child, service, reference, amount) and of the
#: others (date, operation, reference, amount), in fractions of the page's width.
MEAL_COLUMNS: tuple[float, ...] = (0.27, 0.21, 0.14, 0.22, 0.16)
OTHER_COLUMNS: tuple[float, ...] = (0.27, 0.32, 0.25, 0.16)
FONT_SIZE = 8.5
LEADING = 10.5
#: References are long ids (``meal:0193…``): smaller, so that most fit on one line.
SMALL_SIZE = 7.5
CELL_PADDING = 5
HEADER_FILL = colors.HexColor("#e8eef5")
RULE = colors.HexColor("#7a8794")


class _Styles:
    def __init__(self, font: DocumentFont) -> None:
        self.font = font
        base = ParagraphStyle("base", fontName=font.regular, fontSize=FONT_SIZE, leading=LEADING)
        self.cell = base
        self.reference = ParagraphStyle("reference", parent=base, fontSize=SMALL_SIZE, leading=9.5)
        self.body = ParagraphStyle("body", parent=base, fontSize=10, leading=14)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=font.bold, fontSize=16, leading=20, spaceAfter=4 * mm
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=font.bold,
            fontSize=12,
            leading=15,
            spaceBefore=6 * mm,
            spaceAfter=2 * mm,
        )

    def text(self, value: str) -> str:
        """``value`` as the font draws it (a table cell that never wraps)."""
        return self.font.text(value)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        """A paragraph of plain text (escaped: names and references are data)."""
        return Paragraph(escape(self.font.text(text)), style or self.cell)

    def fit(self, text: str, width: float, style: ParagraphStyle | None = None) -> Any:
        """A table cell of ``text`` in a column ``width`` wide: the text itself when it fits
        on one line (cheap to lay out), else a paragraph that wraps."""
        style = style or self.cell
        drawn = self.font.text(text)
        if stringWidth(drawn, style.fontName, style.fontSize) <= width - 2 * CELL_PADDING:
            return drawn
        return self.p(text, style)


def _table(
    font: DocumentFont,
    rows: list[list[Any]],
    widths: tuple[float, ...],
    *,
    bold_rows: tuple[int, ...] = (),
    small_column: int | None = None,
) -> Table:
    """A table with a header row and a total row (the last), amounts in the last column.

    Cells are plain text where it fits (see :meth:`_Styles.fit`), drawn in the document's
    font, bold in the header, the total and ``bold_rows``; ``small_column`` is in the small
    size of references. Amounts are always plain text, right-aligned, never wrapped (a
    paragraph would break ``1 234,56 €`` at its narrow space).
    """
    table = Table(rows, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), font.regular),
        ("FONTSIZE", (0, 0), (-1, -1), FONT_SIZE),
        ("LEADING", (0, 0), (-1, -1), LEADING),
        *(("FONTNAME", (0, row), (-1, row), font.bold) for row in (0, *bold_rows, -1)),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c9d1d9")),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ]
    if small_column is not None:
        commands.append(("FONTSIZE", (small_column, 1), (small_column, -2), SMALL_SIZE))
    table.setStyle(TableStyle(commands))
    return table


def _section(styles: _Styles, statement: Statement, section: StatementSection) -> list[Any]:
    zone = ZoneInfo(statement.timezone)
    fit = styles.fit
    meals = section.key in MEAL_SECTIONS
    widths = MEAL_COLUMNS if meals else OTHER_COLUMNS
    w = [f * WIDTH for f in widths]
    if meals:
        header = ["Jour du repas", "Enfant", "Service", "Référence", "Montant"]
        body = [
            [
                # A cancelled booking no longer says its meal: the day it was written.
                fit(
                    written_date(line.day)
                    if line.day
                    else f"opération du {written_date(line.at.astimezone(zone).date())}",
                    w[0],
                ),
                fit(line.child or "—", w[1]),
                fit(service_label(line.service) if line.service else "—", w[2]),
                fit(line.reference, w[3], styles.reference),
                styles.text(signed_euros(line.amount_cents)),
            ]
            for line in section.lines
        ]
    else:
        header = ["Date", "Opération", "Référence", "Montant"]
        body = [
            [
                fit(written_date(line.at.astimezone(zone).date()), w[0]),
                fit(KIND_LABELS.get(line.kind, line.kind), w[1]),
                fit(line.reference, w[2], styles.reference),
                styles.text(signed_euros(line.amount_cents)),
            ]
            for line in section.lines
        ]
    rows: list[list[Any]] = [header, *body]
    total = [styles.text(f"Total — {section.title.lower()}")] + [""] * (len(header) - 2)
    rows.append([*total, styles.text(signed_euros(section.total_cents))])
    table = _table(styles.font, rows, widths, small_column=len(header) - 2)
    table.setStyle(TableStyle([("SPAN", (0, -1), (-2, -1))]))
    # A title never stands alone at the foot of a page: it starts the next one then.
    return [CondPageBreak(35 * mm), styles.p(section.title, styles.h2), table]


def _summary(styles: _Styles, statement: Statement) -> Table:
    text = styles.text
    rows: list[list[Any]] = [
        ["Résumé du mois", "Montant"],
        [
            text(f"Solde d'ouverture au {written_date(statement.first_day)}"),
            text(euros(statement.opening_cents)),
        ],
    ]
    for section in statement.sections:
        if section.lines or section.key != "other":
            count = len(section.lines)
            rows.append(
                [
                    text(f"{section.title} ({count} opération{'s' if count > 1 else ''})"),
                    text(signed_euros(section.total_cents)),
                ]
            )
    rows.append(
        [
            text(f"Solde de clôture au {written_date(statement.last_day)}"),
            text(euros(statement.closing_cents)),
        ]
    )
    return _table(styles.font, rows, (0.75, 0.25), bold_rows=(1,))


def _story(styles: _Styles, statement: Statement) -> list[Any]:
    period = month_label(statement.year, statement.month)
    family = statement.family_ref
    if statement.children:
        family += " — " + ", ".join(statement.children)
    story: list[Any] = [
        styles.p(f"Relevé de compte de cantine — {period}", styles.title),
        styles.p(f"Établissement : {statement.school_name}", styles.body),
        styles.p(f"Famille : {family}", styles.body),
        styles.p(
            f"Période : du {written_date(statement.first_day)} "
            f"au {written_date(statement.last_day)}",
            styles.body,
        ),
        Spacer(1, 4 * mm),
        _summary(styles, statement),
    ]
    sections = [s for s in statement.sections if s.lines]
    if not sections:
        story.append(Spacer(1, 4 * mm))
        story.append(styles.p("Aucune opération sur le compte ce mois-ci.", styles.body))
    for section in sections:
        story.extend(_section(styles, statement, section))
    return story


def _cut(text: str, font_name: str, width: float, size: float = 9) -> str:
    """``text`` shortened with « … » until it fits ``width`` (a long name in the header)."""
    if stringWidth(text, font_name, size) <= width:
        return text
    while text and stringWidth(text + "…", font_name, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _canvas_maker(statement: Statement, font: DocumentFont) -> type[Canvas]:
    period = month_label(statement.year, statement.month)

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        """Keeps each page until the last one is known, then writes « page i/n »."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._frame(number, total)
                super().showPage()
            super().save()

        def _frame(self, number: int, total: int) -> None:
            top = A4[1] - 10 * mm
            right = font.text(f"Relevé de compte — {period}")
            self.setFont(font.regular, 9)
            self.drawRightString(A4[0] - MARGIN, top, right)
            room = WIDTH - stringWidth(right, font.regular, 9) - 6 * mm
            self.setFont(font.bold, 9)
            self.drawString(MARGIN, top, _cut(font.text(statement.school_name), font.bold, room))
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 2 * mm, A4[0] - MARGIN, top - 2 * mm)
            bottom = 9 * mm
            self.setFont(font.regular, 9)
            self.drawString(MARGIN, bottom, font.text(f"Famille {statement.family_ref}"))
            self.drawRightString(A4[0] - MARGIN, bottom, f"page {number}/{total}")

    return NumberedCanvas


def statement_pdf(statement: Statement) -> bytes:
    """The statement as an A4 PDF."""
    font = document_font()
    buffer = io.BytesIO()
    period = month_label(statement.year, statement.month)
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=18 * mm,
        bottomMargin=16 * mm,
        title=font.text(f"Relevé de compte de cantine — {period} — famille {statement.family_ref}"),
        author=font.text(statement.school_name),
        lang="fr-FR",
        invariant=True,
    )
    document.build(_story(_Styles(font), statement), canvasmaker=_canvas_maker(statement, font))
    return buffer.getvalue()
