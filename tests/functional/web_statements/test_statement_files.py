"""Monthly statements on a real portal: the parent's list of months, their PDF and CSV
whose figures are the ledger's, the intendance's statement of one family and its ZIP of
the whole school, and 404 for anything outside one's family or school."""

from __future__ import annotations

import html
import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal_sync_api.web.format import month_label
from tests.support.statement_files import (
    INTENDANCE_1849,
    INTENDANCE_1850,
    NEIGHBOUR,
    PARENT,
    StatementsPortal,
    csv_statements,
    pdf_page_png,
    pdf_pages,
)

PARIS = ZoneInfo("Europe/Paris")
#: Where the first page of a statement is rasterised, to look at it.
SHOTS = Path("/tmp/shots/statements")
MINUS = "\u2212"
NOT_FOUND = "Cette page n'existe pas, ou elle ne vous est pas accessible."
#: Instants that end September and October 2026 in Paris, in UTC.
END_OF_SEPTEMBER = "2026-09-30T22:00:00+00:00"
END_OF_OCTOBER = "2026-10-31T23:00:00+00:00"


def this_month() -> str:
    return datetime.now(PARIS).strftime("%Y-%m")


def next_month() -> str:
    today = datetime.now(PARIS)
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year:04d}-{month:02d}"


def test_the_parent_page_lists_the_months_with_activity_newest_first_with_pdf_and_csv(
    statements_portal: StatementsPortal,
) -> None:
    page = statements_portal.get(PARENT, "/famille/releves")
    assert page.status_code == 200
    now = datetime.now(PARIS)
    labels = [month_label(now.year, now.month), "octobre 2026", "septembre 2026"]
    positions = [page.text.index(label.capitalize()) for label in labels]
    assert positions == sorted(positions)
    for period in (this_month(), "2026-10", "2026-09"):
        assert f'href="/famille/releves/{period}.pdf"' in page.text
        assert f'href="/famille/releves/{period}.csv"' in page.text
    assert page.text.count("Télécharger le relevé (PDF)") == 3
    assert "août 2026".capitalize() not in page.text


def test_the_october_pdf_prints_the_months_lines_and_totals_equal_to_the_ledger(
    statements_portal: StatementsPortal,
) -> None:
    answer = statements_portal.get(PARENT, "/famille/releves/2026-10.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        (answer.headers["content-disposition"])
        == 'attachment; filename="releve-1849-F18491-2026-10.pdf"'
    )
    pages = pdf_pages(answer.content)
    text = "\n".join(pages)
    opening = statements_portal.balance_before("F18491", "1849", END_OF_SEPTEMBER)
    closing = statements_portal.balance_before("F18491", "1849", END_OF_OCTOBER)
    assert (opening, closing) == (2000, 1435)
    assert "Relevé de compte de cantine — octobre 2026" in text
    assert "Collège 1849" in pages[0]
    assert "F18491 — Hervé DUPONT, Léa DUPONT" in text
    assert "Solde d'ouverture au jeudi 1 octobre 2026 20,00 €" in text
    assert "Solde de clôture au samedi 31 octobre 2026 14,35 €" in text
    # The adjustment written at 00:30 on 1 October (Paris) is October's.
    assert f"AJUST-2026-10 {MINUS}1,50 €" in text
    # A prepaid booking still booked names its child, day and service.
    assert f"jeudi 15 octobre 2026 Hervé DUPONT Déjeuner booking:b-kept {MINUS}4,15 €" in text
    assert f"Total — réservations prépayées {MINUS}8,30 €" in text
    assert "Total — réservations annulées (remboursées) +4,15 €" in text
    assert pages[-1].rstrip().endswith(f"page {len(pages)}/{len(pages)}")
    pdf_page_png(answer.content, SHOTS / "releve-2026-10-page-1.png")


def test_this_months_csv_has_the_meals_a_station_synced_with_public_references(
    statements_portal: StatementsPortal,
) -> None:
    period = this_month()
    answer = statements_portal.get(PARENT, f"/famille/releves/{period}.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    family = csv_statements(answer.content)["F18491"]
    assert family.opening == 1435
    meals = [r for r in family.operations if r["opération"] == "Repas"]
    assert {(r["enfant"], r["jour du repas"], r["service"], r["référence"]) for r in meals} == {
        ("Hervé DUPONT", "20/10/2026", "Déjeuner", "meal:m-oct-20"),
        ("Hervé DUPONT", "02/11/2026", "Déjeuner", "meal:m-nov-02"),
    }
    assert family.totals["Repas"] == -830
    assert family.totals["Repas annulés (remboursés)"] == 415
    assert family.totals["Crédits et paiements"] == 5000
    assert family.closing == family.opening + sum(family.totals.values())
    end = datetime.now(PARIS).astimezone(ZoneInfo("UTC")).isoformat()
    assert family.closing == statements_portal.balance_before("F18491", "1849", end)


def test_the_pdf_and_the_csv_of_a_month_carry_the_same_figures(
    statements_portal: StatementsPortal,
) -> None:
    period = this_month()
    pdf = "\n".join(
        pdf_pages(statements_portal.get(PARENT, f"/famille/releves/{period}.pdf").content)
    )
    family = csv_statements(statements_portal.get(PARENT, f"/famille/releves/{period}.csv").content)
    figures = family["F18491"]
    for title, total in figures.totals.items():
        if total:
            shown = ("+" if total > 0 else MINUS) + f"{abs(total) // 100},{abs(total) % 100:02d}"
            assert f"Total — {title.lower()} {shown} €" in pdf


def test_a_parent_gets_only_their_own_familys_statement(
    statements_portal: StatementsPortal,
) -> None:
    answer = statements_portal.get(NEIGHBOUR, f"/famille/releves/{this_month()}.csv")
    families = csv_statements(answer.content)
    assert list(families) == ["F18492"]
    assert "DUPONT" not in answer.content.decode("utf-8-sig")
    # The intendance's paths are not the parents': the same 404 page as an unknown page.
    for path in (
        f"/intendance/familles/F18491/releves/{this_month()}.pdf",
        "/intendance/releves?mois=2026-10",
    ):
        page = statements_portal.get(NEIGHBOUR, path)
        assert page.status_code == 404, path
        assert NOT_FOUND in html.unescape(page.text)


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "octobre", "0000-01", "2026-10%0A"])
def test_a_malformed_month_is_the_404_page(
    statements_portal: StatementsPortal, period: str
) -> None:
    page = statements_portal.get(PARENT, f"/famille/releves/{period}.pdf")
    assert page.status_code == 404
    assert NOT_FOUND in html.unescape(page.text)


def test_a_month_to_come_has_no_statement(statements_portal: StatementsPortal) -> None:
    for who, path in (
        (PARENT, f"/famille/releves/{next_month()}.pdf"),
        (INTENDANCE_1849, f"/intendance/familles/F18491/releves/{next_month()}.csv"),
    ):
        assert statements_portal.get(who, path).status_code == 404


def test_the_intendance_gets_a_familys_statement_the_same_as_the_parent(
    statements_portal: StatementsPortal,
) -> None:
    for extension in ("csv", "pdf"):
        theirs = statements_portal.get(
            INTENDANCE_1849, f"/intendance/familles/F18491/releves/2026-10.{extension}"
        )
        parents = statements_portal.get(PARENT, f"/famille/releves/2026-10.{extension}")
        assert theirs.status_code == 200
        assert theirs.content == parents.content


def test_another_schools_intendance_gets_the_404_page_for_a_family(
    statements_portal: StatementsPortal,
) -> None:
    for path in (
        "/intendance/familles/F18491/releves/2026-10.pdf",  # a family of school 1849
        "/intendance/familles/F99999/releves/2026-10.pdf",  # nobody
    ):
        page = statements_portal.get(INTENDANCE_1850, path)
        assert page.status_code == 404, path
        assert NOT_FOUND in html.unescape(page.text)
        assert "DUPONT" not in page.text


def test_the_bulk_zip_has_every_familys_pdf_and_one_csv_whose_totals_are_the_ledgers(
    statements_portal: StatementsPortal,
) -> None:
    period = this_month()
    answer = statements_portal.get(INTENDANCE_1849, f"/intendance/releves?mois={period}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = sorted(archive.namelist())
    assert names == [
        f"releve-1849-F18491-{period}.pdf",
        f"releve-1849-F18492-{period}.pdf",
        f"releves-1849-{period}.csv",
    ]  # F18493 has no ledger entry; school 1850's families are not there
    families = csv_statements(archive.read(f"releves-1849-{period}.csv"))
    assert sorted(families) == ["F18491", "F18492"]
    end = datetime.now(PARIS).astimezone(ZoneInfo("UTC")).isoformat()
    for ref, figures in families.items():
        assert figures.closing == figures.opening + sum(figures.totals.values())
        assert figures.closing == statements_portal.balance_before(ref, "1849", end)
        pdf = "\n".join(pdf_pages(archive.read(f"releve-1849-{ref}-{period}.pdf")))
        whole, rest = divmod(abs(figures.closing), 100)
        sign = MINUS if figures.closing < 0 else ""
        assert f"{sign}{whole},{rest:02d} €" in pdf.split("Solde de clôture")[1]
    # The other school's intendance gets its own families only.
    theirs = statements_portal.get(INTENDANCE_1850, f"/intendance/releves?mois={period}")
    names_1850 = zipfile.ZipFile(io.BytesIO(theirs.content)).namelist()
    assert all("1850" in name for name in names_1850)


def test_the_bulk_page_asks_for_a_month_and_says_why_a_month_is_refused(
    statements_portal: StatementsPortal,
) -> None:
    page = statements_portal.get(INTENDANCE_1849, "/intendance/releves")
    assert page.status_code == 200
    assert '<label for="mois">Mois</label>' in page.text
    assert "Télécharger les relevés (ZIP)" in page.text
    wrong = statements_portal.get(INTENDANCE_1849, "/intendance/releves?mois=2026-13")
    assert wrong.status_code == 400
    assert "choisissez un mois dans la liste" in html.unescape(wrong.text)
    to_come = statements_portal.get(INTENDANCE_1849, f"/intendance/releves?mois={next_month()}")
    assert to_come.status_code == 400
    assert "Ce mois n'a pas encore commencé" in html.unescape(to_come.text)
    empty = statements_portal.get(INTENDANCE_1849, "/intendance/releves?mois=2020-01")
    assert empty.status_code == 200
    assert "Aucun relevé pour janvier 2020" in html.unescape(empty.text)
