"""A collectivité administrator (``user create --role collectivite``) over schools 1849
and 0683, not 0999: first password by link, the summary of its schools, the
« Établissement » switcher that every intendance page follows, and an API token that sees
its schools and only them. An intendance of one school sees nothing of another."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cantine_harness.portal import meal
from portal_sync_api.cli import main
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.web_sessions import iso
from portal_sync_api.imports import load_roster
from portal_sync_api.models import School, Station, StationState, User, UserSchool
from tests.support.import_pages import (
    INTENDANCE_1849,
    Site,
    page_text,
    preview_path,
    roster,
    upload,
)

EMAIL = "direction@terre-de-camargue.fr"
PASSWORD = "collectivite mot de passe"


def _create(site: Site, capsys: pytest.CaptureFixture[str], *schools: str) -> str:
    """The collectivité user made by the command line; returns its API token."""
    assert main(["--db", site.database_url, "user", "create", "--role", "collectivite",
                 "--email", EMAIL, *schools]) == 0  # fmt: skip
    return capsys.readouterr().out.strip()


def _first_login(site: Site, capsys: pytest.CaptureFixture[str]) -> TestClient:
    """Choose the password through the link ``user password`` prints, then log in."""
    assert main(["--db", site.database_url, "user", "password", "--email", EMAIL]) == 0
    link = capsys.readouterr().out.strip()
    path = link[link.index("/mot-de-passe/choisir") :]
    client = site.web.new_client()
    chosen = site.web.post_form(
        "/mot-de-passe/choisir",
        {"jeton": path.split("jeton=")[1], "password": PASSWORD, "password_again": PASSWORD},
        page=path,
        client=client,
    )
    assert chosen.status_code == 303, chosen.text[:500]
    client.cookies.clear()
    logged = site.web.login(EMAIL, PASSWORD, client=client)
    assert logged.status_code == 303, logged.text[:500]
    assert logged.headers["location"] == "/intendance"
    return client


def _push(site: Site, code: str, *meals: tuple[str, int]) -> None:
    """Meals of the seed day pushed by school ``code``'s station."""
    day = site.schools[code].day
    items = [meal(f"{code}-m{n}", child, day=day, charged_cents=cents)
             for n, (child, cents) in enumerate(meals)]  # fmt: skip
    answer = site.web.client.post(
        "/v1/sync/meals",
        json={"meals": items},
        headers={"Authorization": f"Bearer {site.schools[code].station_token}"},
    )
    assert answer.status_code == 200, answer.text
    assert {r["status"] for r in answer.json()["results"]} == {"applied"}


def _school_name(page: str) -> str:
    return page.split('<span class="etablissement">')[1].split("<")[0]


@pytest.mark.parametrize(
    "schools", [["--school", "1849", "--school", "0683"], ["--schools", "1849,0683"]]
)
def test_the_command_line_makes_a_collectivite_of_the_schools_in_their_order(
    site: Site, capsys: pytest.CaptureFixture[str], schools: list[str]
) -> None:
    token = _create(site, capsys, *schools)

    assert token.startswith("us_")
    with session_scope(site.engine) as session:
        user = session.execute(select(User).where(User.email == EMAIL)).scalar_one()
        codes = (
            session.execute(
                select(School.code)
                .join(UserSchool, UserSchool.school_id == School.id)
                .where(UserSchool.user_id == user.id)
                .order_by(UserSchool.position)
            )
            .scalars()
            .all()
        )
    assert (user.role, user.school_id, codes) == ("collectivite", None, ["1849", "0683"])


def test_a_collectivite_needs_a_school_and_an_intendance_only_one(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", site.database_url, "user", "create", "--role", "collectivite",
                 "--email", EMAIL]) == 1  # fmt: skip
    assert "--school" in capsys.readouterr().err
    assert main(["--db", site.database_url, "user", "create", "--role", "intendance",
                 "--email", "x@example.fr", "--schools", "1849,0683"]) == 1  # fmt: skip
    assert "une seule école" in capsys.readouterr().err
    assert site.count("FROM users WHERE email IN (:a, :b)", a=EMAIL, b="x@example.fr") == 0


def test_the_summary_shows_each_of_its_schools_today_and_not_a_third(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(site, capsys, "--school", "1849", "--school", "0683")
    client = _first_login(site, capsys)
    # Hervé (family F18491, credited) and Zoé (family F18493, no credit) eat at 1849.
    _push(site, "1849", ("C1849-42", 415), ("C1849-45", 415))

    page = client.get("/intendance/collectivite")

    assert page.status_code == 200
    text = page_text(page.text)
    assert '<a href="/intendance/collectivite" aria-current="page">Collectivité</a>' in page.text
    assert "Collège 1849 (1849) 3 2 8,30 € 1 famille 1, aucun silencieux Voir ses pages" in text
    assert "Collège 0683 (0683) 3 0 0,00 € 0 famille 1, aucun silencieux Voir ses pages" in text
    assert "Total 6 2 8,30 € 1 famille 0 silencieux" in text
    assert "le lundi 24 novembre 2025" in text
    assert "0999" not in text


def test_a_station_silent_during_the_service_is_counted_in_its_school(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(site, capsys, "--school", "1849", "--school", "0683")
    client = _first_login(site, capsys)
    _push(site, "0683", ("C0683-42", 415))  # the station of 0683 has synced once
    last = iso(site.web.clock.now - timedelta(minutes=20))  # 12:10 in Paris, lunch is open
    with session_scope(site.engine) as session:
        station = session.execute(
            select(Station).join(School).where(School.code == "0683")
        ).scalar_one()
        state = session.get_one(StationState, station.id)
        state.last_pull_at = state.last_push_at = last
        state.sync_interval_seconds = 60

    text = page_text(client.get("/intendance/collectivite").text)

    assert "Collège 0683 (0683) 3 1 4,15 € 0 famille 1 silencieux sur 1 Voir ses pages" in text
    assert "Collège 1849 (1849) 3 0 0,00 € 0 famille 1, aucun silencieux" in text
    assert "Total 6 1 4,15 € 0 famille 1 silencieux" in text


def test_the_switcher_chooses_the_school_every_intendance_page_shows(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    _create(site, capsys, "--school", "1849", "--school", "0683")
    client = _first_login(site, capsys)
    assert _school_name(client.get("/intendance/imports").text) == "Collège 1849"

    token = site.web.form_token("/intendance/imports", client)
    switched = client.post(
        "/intendance/etablissement",
        data={"csrf_token": token, "etablissement": "0683", "suite": "/intendance/imports"},
        follow_redirects=False,
    )

    assert switched.status_code == 303
    assert switched.headers["location"] == "/intendance/imports"
    assert _school_name(client.get("/intendance/imports").text) == "Collège 0683"
    # The other intendance pages follow: a family of 0683 is found, one of 1849 is not.
    assert client.get("/intendance/familles/F06831").status_code == 200
    assert client.get("/intendance/familles/F18491").status_code == 404
    # An import now goes to 0683, and refuses a line of 1849.
    mixed = roster(["N0001;NOUVEAU;Anna;6B;0683;;F06831", "N0002;AUTRE;Basile;6B;1849;;F18491"])
    refused = upload(site.web, client, "roster", "eleves.csv", mixed)
    assert "ce fichier est importé pour l'école 0683" in page_text(refused.text)
    good = roster(["N0001;NOUVEAU;Anna;6B;0683;;F06831"])
    path = preview_path(upload(site.web, client, "roster", "eleves.csv", good))
    token = site.web.form_token(path, client)
    assert client.post(f"{path}/valider", data={"csrf_token": token}).status_code == 200
    assert (
        site.count(
            "FROM children c JOIN schools s ON s.id = c.school_id WHERE c.ref = 'N0001'"
            " AND s.code = '0683'"
        )
        == 1
    )
    # A school that is not theirs is not a choice.
    refused_school = client.post(
        "/intendance/etablissement",
        data={"csrf_token": token, "etablissement": "0999", "suite": "/intendance"},
    )
    assert refused_school.status_code == 404
    assert _school_name(client.get("/intendance").text) == "Collège 0683"


def test_an_intendance_of_one_school_gets_404_on_another_schools_pages_and_api(
    site: Site,
) -> None:
    client = site.client_of(INTENDANCE_1849)
    token = site.web.form_token("/intendance/imports", client)

    assert client.get("/intendance/collectivite").status_code == 404
    switched = client.post(
        "/intendance/etablissement",
        data={"csrf_token": token, "etablissement": "0683", "suite": "/intendance"},
    )
    assert switched.status_code == 404
    client.cookies.set("cantine_etablissement", "0683")
    assert _school_name(client.get("/intendance").text) == "Collège 1849"
    assert "Collectivité" not in client.get("/intendance").text
    assert client.get("/intendance/familles/F18491").status_code == 200
    assert client.get("/intendance/familles/F06831").status_code == 404

    api = site.web.client
    own = {"Authorization": f"Bearer {site.schools['1849'].intendance_token}"}
    day = site.schools["1849"].day.isoformat()
    for path in ("/v1/children/C1849-42/meals", "/v1/families/F18491/balance",
                 f"/v1/schools/1849/consumption?day={day}"):  # fmt: skip
        assert api.get(path, headers=own).status_code == 200, path
    for path in ("/v1/children/C0683-42/meals", "/v1/families/F06831/balance",
                 f"/v1/schools/0683/consumption?day={day}",
                 f"/v1/children/C0683-42/reservations?from={day}&to={day}"):  # fmt: skip
        assert api.get(path, headers=own).status_code == 404, path


def test_a_collectivite_token_sees_its_two_schools_on_the_api_and_not_a_third(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _create(site, capsys, "--schools", "1849,0683")
    api = site.web.client
    bearer = {"Authorization": f"Bearer {token}"}
    day = site.schools["1849"].day.isoformat()

    for code in ("1849", "0683"):
        for path in (f"/v1/children/C{code}-42/meals", f"/v1/families/F{code}1/balance",
                     f"/v1/schools/{code}/consumption?day={day}",
                     f"/v1/schools/{code}/forecast?from={day}&to={day}",
                     f"/v1/children/C{code}-42/reservations?from={day}&to={day}"):  # fmt: skip
            answer = api.get(path, headers=bearer)
            assert answer.status_code == 200, (path, answer.text)
    for path in ("/v1/children/C0999-42/meals", "/v1/families/F09991/balance",
                 f"/v1/schools/0999/consumption?day={day}",
                 f"/v1/children/C0999-42/reservations?from={day}&to={day}"):  # fmt: skip
        answer = api.get(path, headers=bearer)
        assert answer.status_code == 404, (path, answer.text)
    assert api.get("/v1/sync/changes", headers=bearer).status_code == 404


def test_an_id_present_in_two_of_its_schools_is_not_guessed(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _create(site, capsys, "--schools", "1849,0683")
    # 0683 also has a pupil C1849-42 (ids belong to each school).
    with session_scope(site.engine) as session:
        data = roster(["C1849-42;HOMONYME;Jean;6B;0683;;F06831"])
        assert load_roster(session, data, "0683") > 0
    bearer = {"Authorization": f"Bearer {token}"}
    api = site.web.client

    assert api.get("/v1/children/C1849-42/meals", headers=bearer).status_code == 404
    assert api.get("/v1/children/C1849-43/meals", headers=bearer).status_code == 200
    own = {"Authorization": f"Bearer {site.schools['1849'].intendance_token}"}
    assert api.get("/v1/children/C1849-42/meals", headers=own).status_code == 200
