"""Statements as the tests read them back: a person's session on a real portal (logged in
through ``/connexion`` as a browser does), the text of a PDF (pypdfium2) and the rows and
totals of a statement CSV (plain helpers, no fixtures)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pypdfium2 as pdfium
import requests
from sqlalchemy import Engine, text

from portal_sync_api.core.db import make_engine

PARENT = "releves.dupont@example.fr"  # family F18491 (Hervé, Léa DUPONT)
NEIGHBOUR = "releves.martin@example.fr"  # family F18492 (Tom MARTIN)
INTENDANCE_1849 = "releves.intendance@college1849.fr"
INTENDANCE_1850 = "releves.intendance@college1850.fr"
PASSWORD = "mot de passe des relevés 1849"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class StatementsPortal:
    """A running portal (``url``) and its database."""

    url: str
    database_url: str
    _engine: Engine | None = None
    _sessions: dict[str, requests.Session] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.database_url)
        return self._engine

    def login(self, email: str) -> requests.Session:
        """A session of ``email`` logged in through the login form (once per address)."""
        if email in self._sessions:
            return self._sessions[email]
        browser = requests.Session()
        page = browser.get(f"{self.url}/connexion", timeout=30)
        token = _CSRF.search(page.text)
        assert token, page.text[:300]
        answer = browser.post(
            f"{self.url}/connexion",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text[:500]
        self._sessions[email] = browser
        return browser

    def get(self, email: str, path: str) -> requests.Response:
        """``GET path`` as ``email``."""
        return self.login(email).get(f"{self.url}{path}", allow_redirects=False, timeout=60)

    def balance_before(self, family: str, school: str, instant: str) -> int:
        """The family's ledger sum over the entries written before ``instant`` (ISO, UTC),
        straight from the database."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT l.amount_cents, l.at FROM ledger l"
                    " JOIN families f ON f.id = l.family_id"
                    " JOIN schools s ON s.id = f.school_id"
                    " WHERE f.ref = :family AND s.code = :school"
                ),
                {"family": family, "school": school},
            ).all()
        limit = datetime.fromisoformat(instant)
        return sum(int(cents) for cents, at in rows if datetime.fromisoformat(at) < limit)

    def close(self) -> None:
        for browser in self._sessions.values():
            browser.close()
        if self._engine is not None:
            self._engine.dispose()


def flat(text: str) -> str:
    """``text`` with the no-break spaces of the French formats as plain spaces (PDFium
    extracts them so)."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page of a PDF, as PDFium extracts it (no-break spaces as spaces,
    lines ending with ``\\n``)."""
    document = pdfium.PdfDocument(content)
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(flat(textpage.get_text_range().replace("\r\n", "\n")))
            textpage.close()
            page.close()
        return pages
    finally:
        document.close()


def pdf_page_png(content: bytes, path: Path, *, page: int = 0) -> Path:
    """Rasterise one page of a PDF to a PNG at ``path`` (to look at it)."""
    document = pdfium.PdfDocument(content)
    try:
        rendered = document[page].render(scale=1.5)
        path.parent.mkdir(parents=True, exist_ok=True)
        rendered.to_pil().save(path)
        rendered.close()
    finally:
        document.close()
    return path


def cents(cell: str) -> int:
    """``-4,15`` (a CSV amount) → ``-415``."""
    sign = -1 if cell.startswith("-") else 1
    whole, _, rest = cell.lstrip("-").partition(",")
    return sign * (int(whole) * 100 + int(rest or 0))


def csv_rows(content: bytes) -> list[dict[str, str]]:
    """The rows of a statement CSV (UTF-8 with BOM, ``;``) by column name; fails unless the
    file starts with the BOM."""
    assert content.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would misread accents"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@dataclass
class CsvStatement:
    """One family's figures read back from a statement CSV."""

    opening: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    operations: list[dict[str, str]] = field(default_factory=list)
    closing: int = 0


def csv_statements(content: bytes) -> dict[str, CsvStatement]:
    """Each family's statement in a CSV, by family id."""
    found: dict[str, CsvStatement] = {}
    for row in csv_rows(content):
        family = found.setdefault(row["famille"], CsvStatement())
        kind, amount = row["ligne"], cents(row["montant (€)"])
        if kind == "solde d'ouverture":
            family.opening = amount
        elif kind == "solde de clôture":
            family.closing = amount
        elif kind == "total":
            family.totals[row["opération"]] = amount
        else:
            assert kind == "opération", kind
            family.operations.append(row)
    return found
