"""« Journal » of the intendance: the school's audit rows (who, when, what, before and
after), filtered by person, kind of action and days, paginated, exported as CSV; only the
school's own rows; no route changes it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud import audit
from portal_sync_api.crud.schools import require_school
from portal_sync_api.models import AuditEntry
from tests.support.family_pages import INTENDANCE, Family

JOURNAL = "/intendance/journal"
OTHER = "secretariat@college1849.fr"


def _seed(pages: Family) -> None:
    """Rows of school 1849 by two people on three days, and one row of school 1850."""
    with session_scope(pages.engine) as session:
        school = require_school(session, code="1849")
        other = require_school(session, code="1850")
        rows = [
            (INTENDANCE, "card_block", "child C1849-42", datetime(2025, 11, 3, 9, 0, tzinfo=UTC)),
            (OTHER, "meal_void", "child C1849-44", datetime(2025, 11, 4, 22, 30, tzinfo=UTC)),
            (INTENDANCE, "card_issue", "=cmd|' /C calc'!A0", datetime(2025, 11, 6, tzinfo=UTC)),
        ]
        for actor, action, subject, at in rows:
            audit.record(
                session,
                school=school,
                actor=actor,
                action=action,
                subject=subject,
                before={"statut": "active"},
                after={"statut": "blocked", "motif": "perdue"},
                now=at,
            )
        audit.record(
            session,
            school=other,
            actor="intendance@college1850.fr",
            action="card_block",
            subject="child C1850-42",
            before=None,
            after={"statut": "lost"},
            now=datetime(2025, 11, 4, tzinfo=UTC),
        )


def _subjects(html: str) -> list[str]:
    return re.findall(r'<td data-label="Objet">([^<]*)</td>', html)


def test_the_journal_lists_the_schools_rows_newest_first_with_before_and_after(
    pages: Family,
) -> None:
    _seed(pages)
    page = pages.intendance.client.get(JOURNAL)
    assert page.status_code == 200
    assert _subjects(page.text) == [
        "=cmd|&#39; /C calc&#39;!A0",
        "élève C1849-44",
        "élève C1849-42",
    ]
    assert "C1850-42" not in page.text  # another school's row
    assert "Carte bloquée" in page.text and "Repas annulé" in page.text
    assert "statut : active" in page.text and "statut : bloquée, motif : perdue" in page.text
    # 22:30 UTC on 4 November is 23:30 in Paris, the school's clock.
    assert "04/11/2025 à 23:30" in page.text


def test_filters_by_person_action_and_days_in_school_time(pages: Family) -> None:
    _seed(pages)
    client = pages.intendance.client
    by_person = client.get(JOURNAL, params={"personne": OTHER})
    assert _subjects(by_person.text) == ["élève C1849-44"]
    by_action = client.get(JOURNAL, params={"action": "card_block"})
    assert _subjects(by_action.text) == ["élève C1849-42"]
    # 4 November in Paris runs from 3 November 23:00 UTC to 4 November 23:00 UTC.
    one_day = client.get(JOURNAL, params={"du": "2025-11-04", "au": "2025-11-04"})
    assert _subjects(one_day.text) == ["élève C1849-44"]
    from_the_5th = client.get(JOURNAL, params={"du": "2025-11-05"})
    assert len(_subjects(from_the_5th.text)) == 1
    nothing = client.get(JOURNAL, params={"personne": OTHER, "action": "card_issue"})
    assert _subjects(nothing.text) == []
    assert "Aucune modification pour ces critères." in nothing.text


def test_a_bad_date_is_said_on_the_page_and_named_for_machines(pages: Family) -> None:
    _seed(pages)
    client = pages.intendance.client
    page = client.get(JOURNAL, params={"du": "31/13/2025"})
    assert page.status_code == 422
    assert "Date invalide" in page.text and 'aria-invalid="true"' in page.text
    backwards = client.get(JOURNAL, params={"du": "2025-11-06", "au": "2025-11-01"})
    assert "La date de fin précède la date de début." in backwards.text
    export = client.get(JOURNAL + ".csv", params={"au": "hier"})
    assert export.status_code == 422
    assert export.json()["field"] == "au"


def test_the_journal_is_paginated(pages: Family) -> None:
    with session_scope(pages.engine) as session:
        school = require_school(session, code="1849")
        start = datetime(2025, 10, 1, tzinfo=UTC)
        for n in range(audit.PAGE_SIZE + 5):
            audit.record(
                session,
                school=school,
                actor=INTENDANCE,
                action="card_issue",
                subject=f"child C{n:04d}",
                before=None,
                after={"n": n},
                now=start + timedelta(minutes=n),
            )
    first = pages.intendance.client.get(JOURNAL)
    assert len(_subjects(first.text)) == audit.PAGE_SIZE
    assert "page 1 sur 2" in first.text and "Page suivante" in first.text
    second = pages.intendance.client.get(JOURNAL, params={"page": "2"})
    assert _subjects(second.text) == [f"élève C{n:04d}" for n in range(4, -1, -1)]


def test_the_csv_export_is_for_french_excel_with_formulas_neutralised(pages: Family) -> None:
    _seed(pages)
    answer = pages.intendance.client.get(JOURNAL + ".csv", params={"du": "2025-11-01"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["date (UTC)", "personne", "action", "objet", "avant", "après"]
    assert [line[3] for line in lines[1:]] == [
        "élève C1849-42",
        "élève C1849-44",
        "'=cmd|' /C calc'!A0",
    ]
    assert lines[1][1:3] == [INTENDANCE, "Carte bloquée"]
    assert lines[1][4:] == ["statut : active", "statut : bloquée, motif : perdue"]
    only_other = pages.intendance.client.get(JOURNAL + ".csv", params={"personne": OTHER})
    assert len(only_other.content.decode("utf-8-sig").strip().splitlines()) == 2


def test_no_route_changes_the_journal(pages: Family) -> None:
    _seed(pages)
    browser = pages.intendance
    token = browser.token(JOURNAL)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        answer = browser.client.request(
            method, JOURNAL, data={"csrf_token": token} if method == "POST" else None
        )
        assert answer.status_code == 405, method
    with session_scope(pages.engine) as session:
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 4
    # Another school's intendance sees none of 1849's rows.
    assert _subjects(pages.other_intendance.client.get(JOURNAL).text) == ["élève C1850-42"]
