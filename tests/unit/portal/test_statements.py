"""Monthly statements against random ledgers: each month's totals are the ledger's sums,
a month opens on the balance the previous one closed on, and what the PDF prints and the
CSV holds, read back, are those same figures."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal_sync_api.crud.statements import (
    SECTIONS,
    LedgerRow,
    Statement,
    active_periods,
    build_statement,
    next_month,
    parse_period,
    section_key,
)
from portal_sync_api.web.render import environment
from portal_sync_api.web.routes import statements as _routes  # noqa: F401  (its template global)
from portal_sync_api.web.statement_csv import statements_csv
from portal_sync_api.web.statement_pdf import statement_pdf
from tests.support.statement_files import csv_statements, pdf_pages

PARIS = "Europe/Paris"
START = datetime(2026, 8, 25, tzinfo=UTC)
#: Ledger instants fall within these minutes after START (about five months), so that
#: every month boundary — in Paris time, not UTC — is crossed.
SPAN_MINUTES = 150 * 24 * 60
CHILDREN = ("Hervé DUPONT", "Léa DUPONT", "=Zoé ÇA-VA", "Noël L'HÔTE")
_AMOUNT = r"([+−]?)(\d{1,3}(?: \d{3})*),(\d{2}) €"


def _row(draw: st.DrawFn, index: int) -> LedgerRow:
    kind = draw(
        st.sampled_from(
            (
                "meal_charge",
                "void_refund",
                "booking_debit",
                "booking_refund",
                "credit",
                "payment",
                "adjustment",
                "later_kind",  # a kind a later feature adds: « Autres opérations »
            )
        )
    )
    cents = draw(st.integers(min_value=1, max_value=200_000))
    negative = kind in ("meal_charge", "booking_debit") or (
        kind in ("adjustment", "later_kind") and draw(st.booleans())
    )
    at = START + timedelta(minutes=draw(st.integers(0, SPAN_MINUTES)))
    about_a_meal = kind in ("meal_charge", "void_refund", "booking_debit", "booking_refund")
    return LedgerRow(
        id=index,
        kind=kind,
        amount_cents=-cents if negative else cents,
        # Short ids, and station-made uuids long enough to wrap in their column.
        reference=f"{'meal' if about_a_meal else 'PAY'}:"
        + draw(st.sampled_from((f"{index:05d}", f"0193a1b2-c3d4-7e5f-8a9b-{index:012d}"))),
        at=at,
        child=draw(st.sampled_from(CHILDREN)) if about_a_meal else None,
        day=(at - timedelta(days=draw(st.integers(0, 40)))).date() if about_a_meal else None,
        service=draw(st.sampled_from(("dejeuner", "diner"))) if about_a_meal else None,
    )


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerRow]:
    """A family's ledger: up to 40 entries of every kind over about five months."""
    count = draw(st.integers(min_value=0, max_value=40))
    return [_row(draw, index) for index in range(1, count + 1)]


def months(rows: list[LedgerRow]) -> list[tuple[int, int]]:
    """Every month from the ledger's first to its last (quiet months in between too)."""
    found = active_periods(rows, PARIS)
    if not found:
        return [(2026, 9)]
    current, last = min(found), max(found)
    result = [current]
    while current < last:
        current = next_month(*current)
        result.append(current)
    return result


def statement(rows: list[LedgerRow], year: int, month: int) -> Statement:
    return build_statement(
        rows,
        year=year,
        month=month,
        timezone=PARIS,
        school_code="1849",
        school_name="Collège Émile-Zola",
        family_ref="F18491",
        children=("Hervé DUPONT", "Léa DUPONT"),
    )


def ledger_sum_before(rows: list[LedgerRow], year: int, month: int) -> int:
    """The ledger's balance at the start of ``(year, month)`` in Paris, added up here."""
    limit = datetime(year, month, 1, tzinfo=ZoneInfo(PARIS))
    return sum(r.amount_cents for r in rows if r.at < limit)


def printed_cents(match: re.Match[str]) -> int:
    sign, whole, rest = match.groups()
    value = int(whole.replace(" ", "")) * 100 + int(rest)
    return -value if sign == "−" else value


def pdf_figures(text: str) -> tuple[int, int, dict[str, int], dict[str, int]]:
    """Opening, closing, the summary's amount per section and each section's printed
    total, read from the PDF's text."""
    opening = re.search(r"Solde d'ouverture au [^\n]*? " + _AMOUNT, text)
    closing = re.search(r"Solde de clôture au [^\n]*? " + _AMOUNT, text)
    assert opening and closing, text
    summary, totals = {}, {}
    for _, title, _ in SECTIONS:
        found = re.search(re.escape(title) + r" \(\d+ opérations?\) " + _AMOUNT, text)
        if found:
            summary[title] = printed_cents(found)
        total = re.search("Total — " + re.escape(title.lower()) + " " + _AMOUNT, text)
        if total:
            totals[title] = printed_cents(total)
    return printed_cents(opening), printed_cents(closing), summary, totals


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(rows=ledgers())
def test_statement_totals_are_the_ledgers_sums_and_pdf_and_csv_print_them(
    rows: list[LedgerRow],
) -> None:
    previous_closing = None
    for year, month in months(rows):
        made = statement(rows, year, month)
        upcoming = next_month(year, month)
        # The statement is the ledger: opening and closing are its balances at the month's
        # bounds, each section's total is the sum of its kinds' entries in the month.
        assert made.opening_cents == ledger_sum_before(rows, year, month)
        assert made.closing_cents == ledger_sum_before(rows, *upcoming)
        assert made.closing_cents == made.opening_cents + made.movements_cents
        start = datetime(year, month, 1, tzinfo=ZoneInfo(PARIS))
        end = datetime(*upcoming, 1, tzinfo=ZoneInfo(PARIS))
        in_month = [r for r in rows if start <= r.at < end]
        for section in made.sections:
            mine = [r for r in in_month if section_key(r.kind) == section.key]
            assert sorted(r.id for r in section.lines) == sorted(r.id for r in mine)
            assert section.total_cents == sum(r.amount_cents for r in mine)
        if previous_closing is not None:
            assert made.opening_cents == previous_closing
        previous_closing = made.closing_cents

        opening, closing, summary, totals = pdf_figures("\n".join(pdf_pages(statement_pdf(made))))
        assert (opening, closing) == (made.opening_cents, made.closing_cents)
        for section in made.sections:
            if section.lines or section.key != "other":
                assert summary[section.title] == section.total_cents
            if section.lines:
                assert totals[section.title] == section.total_cents

        read_back = csv_statements(statements_csv([made]))["F18491"]
        assert (read_back.opening, read_back.closing) == (made.opening_cents, made.closing_cents)
        assert read_back.totals == {s.title: s.total_cents for s in made.sections}
        assert len(read_back.operations) == len(in_month)


def test_an_instant_belongs_to_the_month_of_the_schools_clock() -> None:
    # 22:30 UTC on 30 September is 00:30 on 1 October in Paris.
    row = LedgerRow(1, "credit", 1000, "CHQ-1", datetime(2026, 9, 30, 22, 30, tzinfo=UTC))
    assert statement([row], 2026, 9).closing_cents == 0
    october = statement([row], 2026, 10)
    assert (october.opening_cents, october.closing_cents) == (0, 1000)


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    row = LedgerRow(
        1,
        "meal_charge",
        -415,
        "meal:m1",
        datetime(2026, 10, 5, 10, tzinfo=UTC),
        child='=HYPERLINK("x") DUPONT',
        day=date(2026, 10, 5),
        service="dejeuner",
    )
    content = statements_csv([statement([row], 2026, 10)]).decode("utf-8-sig")
    assert "'=HYPERLINK" in content
    assert ";-4,15\r\n" in content  # amounts stay numbers


@pytest.mark.parametrize(
    "wrong",
    ["2026-13", "2026-1", "26-12", "2026-12-01", " 2026-12", "2026-12\n", "0000-01", "٢٠٢٦-12"],
)
def test_a_month_is_written_yyyy_mm(wrong: str) -> None:
    assert parse_period("2026-12") == (2026, 12)
    with pytest.raises(ValueError):
        parse_period(wrong)


def test_the_family_partial_links_the_last_six_months_of_the_schools_clock() -> None:
    # 23:30 UTC on 31 January is already February in Paris.
    clock = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(clock=lambda: clock)))
    school = SimpleNamespace(timezone=PARIS)
    family = SimpleNamespace(ref="F 12")
    html = environment.get_template("intendance/_releves_famille.html").render(
        request=request, school=school, family=family
    )
    links = re.findall(r'href="([^"]+)"', html)
    assert links[:2] == [
        "/intendance/familles/F%2012/releves/2027-02.pdf",
        "/intendance/familles/F%2012/releves/2027-02.csv",
    ]
    assert links[-3:] == [
        "/intendance/familles/F%2012/releves/2026-09.pdf",
        "/intendance/familles/F%2012/releves/2026-09.csv",
        "/intendance/releves",
    ]
    assert "Février 2027" in html and "Septembre 2026" in html
