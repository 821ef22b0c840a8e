"""Web sessions (expiry, end on password change, cookie flags), the visibility of a
logged-in parent, and the web core's error pages and body limits."""

from __future__ import annotations

import dataclasses
import html

from cantine_harness.portal import create_user_token
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.accounts import principal_for
from portal_sync_api.crud.logins import lookup_session
from tests.support.account_pages import (
    INTENDANCE,
    INTENDANCE_PASSWORD,
    PASSWORD,
    Web,
    parent_with_password,
)


def _logged_in(web: Web, client=None) -> bool:  # type: ignore[no-untyped-def]
    page = (client or web.client).get("/intendance", follow_redirects=False)
    return page.status_code == 200


def test_session_ends_after_30_minutes_without_a_request(web: Web) -> None:
    web.login(INTENDANCE, INTENDANCE_PASSWORD)
    web.clock.advance(minutes=29)
    assert _logged_in(web)  # a request 29 min later keeps it alive...
    web.clock.advance(minutes=29)
    assert _logged_in(web)
    web.clock.advance(minutes=30)
    assert not _logged_in(web)  # ...30 min of silence ends it
    assert web.client.get("/intendance", follow_redirects=False).headers["location"] == (
        "/connexion?suite=/intendance"
    )


def test_session_ends_12_hours_after_login_however_busy(web: Web) -> None:
    web.login(INTENDANCE, INTENDANCE_PASSWORD)
    for _ in range(11 * 3 + 2):  # every 20 minutes for 11 h 40
        web.clock.advance(minutes=20)
        assert _logged_in(web)
    web.clock.advance(minutes=19)
    assert _logged_in(web)  # 11 h 59
    web.clock.advance(minutes=1)
    assert not _logged_in(web)  # 12 h


def test_a_password_change_ends_every_session_of_that_person(web: Web) -> None:
    email = parent_with_password(web)
    phone, laptop, staff = web.new_client(), web.new_client(), web.new_client()
    for client in (phone, laptop):
        web.login(email, PASSWORD, client=client)
        assert client.get("/", follow_redirects=False).headers["location"] == "/famille"
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    web.post_form("/mot-de-passe-oublie", {"email": email}, client=phone)
    link = web.link_in(web.mails(email)[-1])
    token = web.form_token("/connexion", client=web.client)
    web.client.post(
        "/mot-de-passe/choisir",
        data={
            "csrf_token": token,
            "jeton": link.split("jeton=")[1],
            "password": "encore un autre mot de passe",
            "password_again": "encore un autre mot de passe",
        },
    )
    for client in (phone, laptop):
        assert client.get("/", follow_redirects=False).headers["location"] == "/connexion"
    assert _logged_in(web, staff)  # someone else's session is untouched


def test_session_cookie_is_httponly_samesite_lax_and_not_secure_on_loopback_http(
    web: Web,
) -> None:
    answer = web.login(INTENDANCE, INTENDANCE_PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("cantine_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_is_secure_when_the_portal_is_public_over_https(web: Web) -> None:
    app = web.client.app
    app.state.settings = dataclasses.replace(  # type: ignore[attr-defined]
        app.state.settings,  # type: ignore[attr-defined]
        public_url="https://cantine.example.fr",
    )
    answer = web.login(INTENDANCE, INTENDANCE_PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_logged_in_parent_has_exactly_the_visibility_of_the_familys_api_token(
    web: Web, portal_db: str
) -> None:
    email = parent_with_password(web)
    web.login(email, PASSWORD)
    session_id = web.client.cookies["cantine_session"]
    token = create_user_token(portal_db, role="parent", family=web.school.families[0])
    with session_scope(web.engine) as session:
        person = lookup_session(session, session_id=session_id, now=web.clock.now)
        assert person is not None
        assert person.principal == principal_for(session, token=token)


def test_web_paths_get_french_html_errors_and_the_api_keeps_json(web: Web) -> None:
    page = web.client.get("/nulle-part")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text and "Page introuvable" in page.text
    api = web.client.get("/v1/nulle-part")
    assert api.status_code == 404
    assert api.json()["detail"]
    assert web.client.put("/connexion").status_code == 405
    assert "Action impossible" in web.client.put("/connexion").text


def test_parent_reaching_an_intendance_page_gets_the_404_page(web: Web) -> None:
    parent_with_password(web)
    web.login("parent@example.fr", PASSWORD)
    page = web.client.get("/intendance/comptes-en-attente")
    assert page.status_code == 404
    assert "Page introuvable" in page.text


def test_body_limit_is_1_mib_except_on_the_photo_upload(web: Web) -> None:
    two_mib = b"x" * (2 * 1024 * 1024)
    headers = {"content-type": "application/octet-stream"}
    assert web.client.post("/inscription", content=two_mib, headers=headers).status_code == 413
    photo = web.client.post("/famille/enfants/C1849-42/photo", content=two_mib, headers=headers)
    assert photo.status_code != 413
    eleven_mb = b"x" * (11 * 1024 * 1024)
    too_big = web.client.post("/famille/enfants/C1849-42/photo", content=eleven_mb, headers=headers)
    assert too_big.status_code == 413
    assert "Fichier trop volumineux" in too_big.text


def test_every_page_has_lang_skip_link_main_and_accessibility_link(web: Web) -> None:
    for path in ("/connexion", "/inscription", "/mot-de-passe-oublie", "/accessibilite"):
        page = web.client.get(path)
        assert page.status_code == 200, path
        for part in (
            '<html lang="fr">',
            'href="#contenu"',
            '<main id="contenu"',
            'href="/accessibilite"',
            'href="/static/portail.css"',
        ):
            assert part in page.text, (path, part)
    statement = web.client.get("/accessibilite").text
    assert "Déclaration d'accessibilité" in statement
    assert "conformité : à compléter par l'exploitant" in statement
    assert "RGAA" in statement
    assert web.client.get("/static/portail.css").status_code == 200


def test_form_labels_and_buttons_are_the_contracts(web: Web) -> None:
    login = html.unescape(web.client.get("/connexion").text)
    for part in (
        '<label for="email">Adresse e-mail</label>',
        '<label for="password">Mot de passe</label>',
        ">Se connecter</button>",
    ):
        assert part in login
    signup = html.unescape(web.client.get("/inscription").text)
    for part in (
        '<label for="card_digits">5 derniers chiffres de la carte</label>',
        '<label for="last_name">Nom de l\'élève</label>',
        '<label for="first_name">Prénom de l\'élève</label>',
        '<label for="email">Adresse e-mail</label>',
        ">Créer mon compte</button>",
    ):
        assert part in signup


def test_a_login_deletes_expired_sessions_and_stale_attempts(web: Web) -> None:
    from sqlalchemy import func, select

    from portal_sync_api.models import LoginAttempt, WebSession

    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=web.new_client())
    web.login("autre@example.fr", "mauvais mot de passe")  # not cleared by a success
    web.clock.advance(minutes=31)
    web.login(INTENDANCE, INTENDANCE_PASSWORD)
    with session_scope(web.engine) as session:
        assert session.execute(select(func.count()).select_from(WebSession)).scalar() == 1
        assert session.execute(select(func.count()).select_from(LoginAttempt)).scalar() == 0
