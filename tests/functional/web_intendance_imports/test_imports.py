"""/intendance/imports: a CSV file goes through the CLI's import rules, is previewed (the
real import in a transaction rolled back), then applied by « Valider » exactly as
previewed, with an audit row; a refused file changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import select

from cantine_harness.portal import running_portal
from portal_sync_api.core.db import session_scope
from portal_sync_api.imports import load_credits
from portal_sync_api.models import AuditEntry, Child, LedgerEntry
from tests.support.import_pages import (
    INTENDANCE_0683,
    INTENDANCE_1849,
    INTENDANCE_PASSWORD,
    Site,
    counts,
    page_text,
    preview_path,
    roster,
    upload,
)

NEW_PUPILS = [
    "N0001;NOUVEAU;Anna;6B;1849;1849-02001;F18491",
    "N0002;NOUVEAU;Basile;6B;1849;1849-02002;F18492",
    "C1849-42;DUPONT;Hervé;5B;1849;;F18491",
]


def _valider(site: Site, client: TestClient, path: str) -> httpx.Response:
    """Press « Valider » on the preview at ``path``."""
    token = site.web.form_token(path, client)
    return client.post(f"{path}/valider", data={"csrf_token": token}, follow_redirects=False)


def test_a_roster_with_a_bad_line_7_is_refused_naming_line_7_and_changes_nothing(
    site: Site,
) -> None:
    client = site.client_of(INTENDANCE_1849)
    lines = [f"N000{n};NOM{n};Prénom{n};6B;1849;;F18491" for n in range(1, 8)]
    lines[5] = "N0006;;Prénom6;6B;1849;;F18491"  # the file's line 7 (line 1 is the header)
    before = site.state()

    answer = upload(site.web, client, "roster", "eleves.csv", roster(lines))

    assert answer.status_code == 422
    text = page_text(answer.text)
    assert "Ligne 7 — colonne last_name : valeur manquante" in text
    assert "Ligne 6" not in text and "Ligne 8" not in text
    assert "rien n'a été importé" in text
    assert site.state() == before
    assert site.count("FROM import_uploads") == 0
    assert site.count("FROM audit_log") == 0


def test_a_good_roster_is_previewed_without_change_then_applied_by_valider_with_an_audit_row(
    site: Site,
) -> None:
    client = site.client_of(INTENDANCE_1849)
    before = site.state()

    path = preview_path(upload(site.web, client, "roster", "eleves.csv", roster(NEW_PUPILS)))
    page = client.get(path)

    assert page.status_code == 200
    figures = counts(page.text)
    assert figures["Élèves ajoutés"] == 2
    assert figures["Élèves modifiés"] == 1
    assert figures["Élèves retirés"] == 0
    assert figures["Cartes ajoutées"] == 2
    text = page_text(page.text)
    assert "3 lignes, sans erreur" in text
    assert "Ligne 2 N0001 NOUVEAU Anna 6B 1849-02001 F18491" in text  # the sample's first line
    assert site.state() == before, "the preview changed the database"

    applied = _valider(site, client, path)

    assert applied.status_code == 303, applied.text[:1000]
    assert applied.headers["location"] == "/intendance/imports"
    with session_scope(site.engine) as session:
        pupils = {
            c.ref: c.class_name
            for c in session.execute(
                select(Child).where(Child.ref.in_(["N0001", "N0002", "C1849-42"]))
            ).scalars()
        }
        audit = session.execute(select(AuditEntry)).scalars().all()
    assert pupils == {"N0001": "6B", "N0002": "6B", "C1849-42": "5B"}
    assert len(audit) == 1
    entry = audit[0]
    assert (entry.actor, entry.action, entry.school_id is not None) == (
        INTENDANCE_1849,
        "csv_import",
        True,
    )
    after = json.loads(entry.detail)["after"]
    assert (after["file"], after["kind"]) == ("eleves.csv", "roster")
    assert after["counts"]["children_added"] == 2
    assert after["counts"]["children_changed"] == 1
    assert after["counts"]["cards_added"] == 2
    assert site.count("FROM import_uploads") == 0
    listing = page_text(client.get("/intendance/imports").text)
    assert "Fichier « eleves.csv » importé : 3 lignes, 2 élève(s) ajouté(s)" in listing
    assert "Liste des élèves 3 intendance@college1849.fr" in listing


def test_valider_after_the_data_changed_applies_nothing_and_shows_the_new_preview(
    site: Site, tmp_path: Path
) -> None:
    client = site.client_of(INTENDANCE_1849)
    credits = b"family_id;amount_cents;reference\nF18491;2000;VIR-1\nF18492;1500;VIR-2\n"
    path = preview_path(upload(site.web, client, "credits", "virements.csv", credits))
    page = client.get(path)
    assert counts(page.text)["Crédits"] == 2
    assert "35,00\u00a0€" in page.text
    # Meanwhile, the first transfer is imported from the command line.
    first = tmp_path / "un.csv"
    first.write_bytes(b"family_id;amount_cents;reference\nF18491;2000;VIR-1\n")
    with session_scope(site.engine) as session:
        assert load_credits(session, first, "1849") == 1

    refused = _valider(site, client, path)

    assert refused.status_code == 409
    text = page_text(refused.text)
    assert "Les données ont changé depuis l'aperçu : rien n'a été importé" in text
    assert counts(refused.text)["Crédits"] == 1
    assert "20,00\u00a0€" not in refused.text and "15,00\u00a0€" in refused.text
    assert site.count("FROM ledger WHERE reference = 'VIR-2'") == 0
    assert site.count("FROM audit_log") == 0

    applied = _valider(site, client, path)

    assert applied.status_code == 303
    assert site.count("FROM ledger WHERE reference = 'VIR-1'") == 1
    assert site.count("FROM ledger WHERE reference = 'VIR-2'") == 1
    with session_scope(site.engine) as session:
        detail = json.loads(session.execute(select(AuditEntry.detail)).scalar_one())
        total = session.execute(
            select(LedgerEntry.amount_cents).where(LedgerEntry.reference == "VIR-2")
        ).scalar_one()
    assert detail["after"]["counts"]["credits"] == 1
    assert detail["after"]["counts"]["credits_cents"] == 1500 == total


def test_reservations_preview_counts_bookings_added_and_cancelled(site: Site) -> None:
    client = site.client_of(INTENDANCE_1849)
    day = site.schools["1849"].day
    data = (
        "child_id;date;service;cancelled\n"
        f"C1849-43;{(day + timedelta(days=1)).isoformat()};dejeuner;0\n"
        f"C1849-42;{day.isoformat()};dejeuner;1\n"
    ).encode()
    before = site.state()

    page = client.get(preview_path(upload(site.web, client, "reservations", "resa.csv", data)))

    figures = counts(page.text)
    assert figures["Réservations ajoutées"] == 1
    assert figures["Réservations annulées"] == 1
    assert site.state() == before


def test_a_file_over_5_mo_is_refused_in_french_by_the_real_portal(site: Site) -> None:
    with running_portal(site.database_url, migrate_first=False) as portal:
        browser = requests.Session()
        login = browser.get(f"{portal.url}/connexion", timeout=30)
        token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = browser.post(
            f"{portal.url}/connexion",
            data={"csrf_token": token, "email": INTENDANCE_1849, "password": INTENDANCE_PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text[:500]
        form = browser.get(f"{portal.url}/intendance/imports", timeout=30)
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        big = roster(["N0001;NOUVEAU;Anna;6B;1849;;F18491"]) + b"x" * (6 * 1024 * 1024)

        refused = browser.post(
            f"{portal.url}/intendance/imports",
            data={"csrf_token": token, "type": "roster"},
            files={"fichier": ("gros.csv", big, "text/csv")},
            timeout=60,
        )

        assert refused.status_code == 413
        assert "text/html" in refused.headers["content-type"]
        assert "Le fichier dépasse 5 Mo : rien n'a été importé." in page_text(refused.text)
        # The same browser goes on (the page after a refusal is a working page).
        assert browser.get(f"{portal.url}/intendance/imports", timeout=30).status_code == 200
    assert site.count("FROM import_uploads") == 0
    assert site.count("FROM children WHERE ref = 'N0001'") == 0


def test_a_file_not_in_utf8_is_refused_with_a_clear_message(site: Site) -> None:
    client = site.client_of(INTENDANCE_1849)
    data = roster(["N0001;LEFÈVRE;Chloé;6B;1849;;F18491"]).decode().encode("cp1252")
    before = site.state()

    answer = upload(site.web, client, "roster", "excel.csv", data)

    assert answer.status_code == 422
    text = page_text(answer.text)
    assert (
        "n'est pas encodé en UTF-8 (premier caractère illisible à la ligne 2, il semble "
        "enregistré en Windows-1252 (« ANSI »))"
    ) in text
    assert "« CSV UTF-8 »" in text
    assert site.state() == before


def test_a_line_of_another_school_is_refused(site: Site) -> None:
    client = site.client_of(INTENDANCE_1849)
    data = roster(["N0001;NOUVEAU;Anna;6B;1849;;F18491", "N0002;AUTRE;Basile;6B;0683;;F06831"])

    answer = upload(site.web, client, "roster", "eleves.csv", data)

    assert answer.status_code == 422
    assert "Ligne 3 — colonne school : 0683 : ce fichier est importé pour l'école 1849" in (
        page_text(answer.text)
    )
    assert site.count("FROM children WHERE ref IN ('N0001', 'N0002')") == 0


def test_a_preview_belongs_to_its_session_and_school_and_expires(site: Site) -> None:
    client = site.client_of(INTENDANCE_1849)
    path = preview_path(upload(site.web, client, "roster", "eleves.csv", roster(NEW_PUPILS)))
    same_user_elsewhere = site.client_of(INTENDANCE_1849)
    other_school = site.client_of(INTENDANCE_0683)

    for stranger in (same_user_elsewhere, other_school):
        assert stranger.get(path).status_code == 404
        token = site.web.form_token("/intendance/imports", stranger)
        answer = stranger.post(f"{path}/valider", data={"csrf_token": token})
        assert answer.status_code == 200
        assert "Cet aperçu n'est plus disponible" in page_text(answer.text)
    assert site.count("FROM children WHERE ref = 'N0001'") == 0

    site.web.clock.advance(minutes=20)
    assert client.get("/intendance/imports").status_code == 200  # the session stays alive
    site.web.clock.advance(minutes=15)
    expired = client.get(path)
    assert expired.status_code == 404
    assert "envoyez le fichier à nouveau" in page_text(expired.text)


@pytest.mark.parametrize("kind", ["", "inconnu"])
def test_a_missing_type_is_asked_for(site: Site, kind: str) -> None:
    client = site.client_of(INTENDANCE_1849)

    answer = upload(site.web, client, kind, "eleves.csv", roster(NEW_PUPILS))

    assert answer.status_code == 422
    assert "Choisissez le type de fichier." in page_text(answer.text)


def test_a_second_valider_applies_nothing_more_and_abandonner_imports_nothing(
    site: Site,
) -> None:
    client = site.client_of(INTENDANCE_1849)
    credits = b"family_id;amount_cents;reference\nF18491;2000;VIR-1\n"
    path = preview_path(upload(site.web, client, "credits", "virements.csv", credits))
    token = site.web.form_token(path, client)

    first = client.post(f"{path}/valider", data={"csrf_token": token}, follow_redirects=False)
    again = client.post(f"{path}/valider", data={"csrf_token": token})

    assert first.status_code == 303
    assert again.status_code == 200
    assert "le fichier a déjà été importé ou abandonné" in page_text(again.text)
    assert site.count("FROM ledger WHERE reference = 'VIR-1'") == 1
    assert site.count("FROM audit_log") == 1

    other = b"family_id;amount_cents;reference\nF18491;2000;VIR-2\n"
    path = preview_path(upload(site.web, client, "credits", "virements.csv", other))
    token = site.web.form_token(path, client)
    gone = client.post(f"{path}/abandonner", data={"csrf_token": token})

    assert "Import abandonné : rien n'a été importé." in page_text(gone.text)
    assert client.get(path).status_code == 404
    assert site.count("FROM ledger WHERE reference = 'VIR-2'") == 0
    assert site.count("FROM import_uploads") == 0
