"""Password links, /connexion, /deconnexion, /mot-de-passe-oublie, throttling, CSRF and
the redirect after login."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from portal_sync_api.cli import main as cli
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import THROTTLED, WRONG_LOGIN
from portal_sync_api.crud.passwords import LINK_GONE
from portal_sync_api.models import User
from tests.support.account_pages import (
    INTENDANCE,
    INTENDANCE_PASSWORD,
    PASSWORD,
    Web,
    parent_with_password,
    validated_parent,
)


def _choose(web: Web, link: str, password: str = PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    token = web.form_token("/connexion")  # the anonymous form token of this browser
    return web.client.post(
        "/mot-de-passe/choisir",
        data={
            "csrf_token": token,
            "jeton": link.split("jeton=")[1],
            "password": password,
            "password_again": password if again is None else again,
        },
        follow_redirects=False,
    )


def test_password_link_works_once_then_says_it_is_no_longer_valid(web: Web) -> None:
    link = validated_parent(web)
    page = web.client.get(link)
    assert page.status_code == 200
    assert "parent@example.fr" in page.text
    assert _choose(web, link).status_code == 303
    reused = _choose(web, link, password="un autre mot de passe long")
    assert reused.status_code == 410
    assert LINK_GONE in html.unescape(reused.text)
    assert web.client.get(link).status_code == 410
    assert web.login("parent@example.fr", PASSWORD).status_code == 303
    assert web.login("parent@example.fr", "un autre mot de passe long").status_code == 401


def test_password_link_expires_after_48_hours(web: Web) -> None:
    link = validated_parent(web)
    web.clock.advance(hours=47, minutes=59)
    assert web.client.get(link).status_code == 200
    web.clock.advance(minutes=1)
    assert web.client.get(link).status_code == 410
    assert _choose(web, link).status_code == 410
    assert web.login("parent@example.fr", PASSWORD).status_code == 401


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("court", "court", "au moins 12 caractères"),
        (PASSWORD, PASSWORD + "x", "sont différents"),
    ],
)
def test_password_refused_by_the_rule_is_said_on_the_page_and_the_link_stays_valid(
    web: Web, password: str, again: str, message: str
) -> None:
    link = validated_parent(web)
    answer = _choose(web, link, password, again)
    assert answer.status_code == 422
    assert message in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert _choose(web, link).status_code == 303


def test_login_goes_to_the_home_of_the_role_and_wrong_password_is_text_on_the_page(
    web: Web,
) -> None:
    parent_with_password(web)
    wrong = web.login("parent@example.fr", "pas le bon mot de passe")
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("text/html")
    assert WRONG_LOGIN in wrong.text
    assert "cantine_session" not in wrong.headers.get("set-cookie", "")
    unknown = web.login("personne@example.fr", "pas le bon mot de passe")
    assert unknown.status_code == 401
    assert WRONG_LOGIN in unknown.text  # same answer: no way to probe addresses
    ok = web.login("PARENT@example.fr", PASSWORD)
    assert (ok.status_code, ok.headers["location"]) == (303, "/famille")
    staff = web.new_client()
    assert web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff).headers["location"] == (
        "/intendance"
    )
    assert staff.get("/", follow_redirects=False).headers["location"] == "/intendance"
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/famille"


def test_login_is_throttled_after_10_failures_for_the_address_even_with_the_right_password(
    web: Web,
) -> None:
    for _ in range(10):
        assert WRONG_LOGIN in web.login(INTENDANCE, "mauvais mot de passe").text
    throttled = web.login(INTENDANCE, INTENDANCE_PASSWORD)
    assert throttled.status_code == 429
    assert THROTTLED in throttled.text
    web.clock.advance(minutes=15, seconds=1)
    assert web.login(INTENDANCE, INTENDANCE_PASSWORD).status_code == 303


def test_login_is_throttled_per_ip_across_addresses(web: Web) -> None:
    for n in range(10):
        web.login(f"essai{n}@example.fr", "mauvais mot de passe")
    answer = web.login(INTENDANCE, INTENDANCE_PASSWORD)
    assert answer.status_code == 429
    assert THROTTLED in answer.text


def test_logout_is_a_post_with_csrf_and_ends_the_session(web: Web) -> None:
    web.login(INTENDANCE, INTENDANCE_PASSWORD)
    assert web.client.get("/intendance").status_code == 200
    form = web.client.get("/deconnexion")
    assert "Se déconnecter" in form.text
    refused = web.client.post("/deconnexion", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert web.client.get("/intendance").status_code == 200  # still logged in
    answer = web.post_form("/deconnexion", {}, page="/intendance")
    assert (answer.status_code, answer.headers["location"]) == (303, "/connexion")
    assert "Vous êtes déconnecté." in web.client.get("/connexion").text
    assert web.client.get("/intendance", follow_redirects=False).status_code == 303


def test_forgotten_password_same_answer_for_known_and_unknown_addresses(web: Web) -> None:
    parent_with_password(web)
    before = len(web.mails())
    known = web.post_form("/mot-de-passe-oublie", {"email": "parent@example.fr"})
    unknown = web.post_form("/mot-de-passe-oublie", {"email": "personne@example.fr"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("parent@example.fr", "X") == unknown.text.replace(
        "personne@example.fr", "X"
    )
    [mail] = web.mails()[before:]
    assert (mail.to_address, mail.template) == ("parent@example.fr", "password_reset")
    link = web.link_in(mail)
    assert _choose(web, link, password="nouveau mot de passe 2026").status_code == 303
    assert web.login("parent@example.fr", "nouveau mot de passe 2026").status_code == 303


@pytest.mark.parametrize(
    "suite",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "http:/evil", "famille"],
)
def test_login_never_redirects_to_another_site(web: Web, suite: str) -> None:
    answer = web.post_form(
        "/connexion", {"email": INTENDANCE, "password": INTENDANCE_PASSWORD, "suite": suite}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/intendance"


def test_login_comes_back_to_the_page_that_asked_for_it(web: Web) -> None:
    asked = web.client.get("/intendance/comptes-en-attente", follow_redirects=False)
    assert asked.headers["location"] == "/connexion?suite=/intendance/comptes-en-attente"
    page = web.client.get(asked.headers["location"])
    assert 'name="suite" value="/intendance/comptes-en-attente"' in page.text
    answer = web.post_form(
        "/connexion",
        {
            "email": INTENDANCE,
            "password": INTENDANCE_PASSWORD,
            "suite": "/intendance/comptes-en-attente",
        },
    )
    assert answer.headers["location"] == "/intendance/comptes-en-attente"


@pytest.mark.parametrize("token", [None, "", "faux-jeton", "jeton-inventé"])
def test_forms_without_the_right_csrf_token_are_refused_and_change_nothing(
    web: Web, token: str | None
) -> None:
    web.sign_up()
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    request_id = web.requests()[0].id
    data = {} if token is None else {"csrf_token": token}
    answer = staff.post(f"/intendance/comptes-en-attente/{request_id}/valider", data=data)
    assert answer.status_code == 403
    assert "Formulaire refusé" in answer.text
    assert web.requests()[0].status == "pending"
    assert web.mails() == []
    anonymous = web.new_client()
    anonymous.get("/inscription")
    signup = anonymous.post(
        "/inscription",
        data={
            **data,
            "card_digits": "01236",
            "last_name": "MARTIN",
            "first_name": "Tom",
            "email": "x@example.fr",
        },
    )
    assert signup.status_code == 403
    assert len(web.requests()) == 1
    login = anonymous.post(
        "/connexion", data={**data, "email": INTENDANCE, "password": INTENDANCE_PASSWORD}
    )
    assert login.status_code == 403
    assert "cantine_session" not in anonymous.cookies


def test_cli_user_password_prints_a_link_that_sets_the_password(
    web: Web, portal_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli(
            [
                "--db",
                portal_db,
                "user",
                "create",
                "--role",
                "intendance",
                "--email",
                "gestion@college1849.fr",
                "--school",
                "1849",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert cli(["--db", portal_db, "user", "password", "--email", "gestion@college1849.fr"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("http://127.0.0.1:8000/mot-de-passe/choisir?jeton=")
    web.clock.now = web.clock.now.now(web.clock.now.tzinfo)  # the CLI used the real time
    assert _choose(web, link.removeprefix("http://127.0.0.1:8000")).status_code == 303
    assert web.login("gestion@college1849.fr", PASSWORD).headers["location"] == "/intendance"
    assert cli(["--db", portal_db, "user", "password", "--email", "nobody@example.fr"]) == 1
    with session_scope(web.engine) as session:
        user = session.execute(
            select(User).where(User.email == "gestion@college1849.fr")
        ).scalar_one()
        assert user.password_changed_at is not None


@pytest.mark.parametrize("email", ["int\x00@college1849.fr", "é" * 300, "\ud800@x.fr"])
def test_strange_addresses_get_the_wrong_login_answer_not_an_error(web: Web, email: str) -> None:
    token = web.form_token("/connexion")
    answer = web.client.post(
        "/connexion",
        content=f"csrf_token={token}&password=x&email=".encode() + _form_bytes(email),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 401
    assert WRONG_LOGIN in answer.text


def _form_bytes(text: str) -> bytes:
    from urllib.parse import quote_from_bytes

    return quote_from_bytes(text.encode("utf-8", "surrogatepass")).encode()


def test_passwords_are_stored_as_argon2id_hashes(web: Web) -> None:
    email = parent_with_password(web)
    with session_scope(web.engine) as session:
        user = session.execute(select(User).where(User.email == email)).scalar_one()
        assert user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
