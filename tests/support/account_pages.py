"""The account pages as a browser uses them in tests: a client that fills the forms (CSRF
token included), the app's clock the test moves, and sign-up, validation and password
steps of a parent (plain helpers, no fixtures; the ``web`` fixture is in
tests/functional/web_accounts)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from cantine_harness.portal import SeededSchool
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import create_login
from portal_sync_api.mail.models import OutboxMail
from portal_sync_api.models import AccountRequest, Child, Family

INTENDANCE = "intendance@college1849.fr"
INTENDANCE_PASSWORD = "intendance-1849-secret"
PASSWORD = "un mot de passe assez long"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"(/mot-de-passe/choisir\?jeton=[A-Za-z0-9_\-]+)")


class Clock:
    """The app's clock: a fixed instant the test moves forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class RequestRow:
    """A sign-up request as the tests read it: ids are the school's own."""

    id: int
    child_id: str
    family_id: str | None
    email: str
    status: str
    decided_at: str | None


@dataclass
class Web:
    """A browser-like client of the portal's pages, the app's clock and its database."""

    client: TestClient
    clock: Clock
    engine: Engine
    school: SeededSchool
    new_client: Callable[[], TestClient]

    def form_token(self, path: str, client: TestClient | None = None) -> str:
        """The CSRF token of the form on ``path`` (as a browser would read it)."""
        page = (client or self.client).get(path)
        found = _CSRF.search(page.text)
        assert found, (path, page.status_code, page.text[:500])
        return found.group(1)

    def post_form(
        self,
        path: str,
        data: dict[str, str],
        *,
        page: str | None = None,
        client: TestClient | None = None,
    ) -> httpx.Response:
        """Open ``page`` (default ``path``), then post its form with ``data``."""
        client = client or self.client
        token = self.form_token(page or path, client)
        return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)

    def login(self, email: str, password: str, client: TestClient | None = None) -> httpx.Response:
        """Log in through /connexion (not following the redirect)."""
        return self.post_form("/connexion", {"email": email, "password": password}, client=client)

    def sign_up(self, **fields: str) -> httpx.Response:
        """Post /inscription with DUPONT Hervé's card by default."""
        data = {
            "card_digits": "01234",
            "last_name": "DUPONT",
            "first_name": "Hervé",
            "email": "parent@example.fr",
        }
        data.update(fields)
        return self.post_form("/inscription", data)

    def requests(self) -> list[RequestRow]:
        """Every sign-up request, oldest first, with the school's ids of child and family."""
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(AccountRequest, Child.ref, Family.ref)
                .join(Child, Child.id == AccountRequest.child_id)
                .outerjoin(Family, Family.id == AccountRequest.family_id)
                .order_by(AccountRequest.id)
            ).all()
            return [
                RequestRow(
                    id=r.id,
                    child_id=child,
                    family_id=family,
                    email=r.email,
                    status=r.status,
                    decided_at=r.decided_at,
                )
                for r, child, family in rows
            ]

    def family_ref(self, key: str | None) -> str | None:
        """The school's id of the family of internal key ``key``."""
        if key is None:
            return None
        with session_scope(self.engine) as session:
            return session.get_one(Family, key).ref

    def mails(self, to: str | None = None) -> list[OutboxMail]:
        with session_scope(self.engine) as session:
            query = select(OutboxMail).order_by(OutboxMail.id)
            if to is not None:
                query = query.where(OutboxMail.to_address == to)
            return list(session.execute(query).scalars())

    def link_in(self, mail: OutboxMail) -> str:
        """The password link (path and token) of a mail, in both its bodies."""
        found = _LINK.search(mail.body_text)
        assert found, mail.body_text
        assert found.group(1).replace("&", "&amp;") in mail.body_html
        return found.group(1)


def make_intendance(db: Engine, *, school: str, email: str, password: str) -> None:
    """An intendance login of ``school`` with this password."""
    with session_scope(db) as session:
        create_login(session, email=email, password=password, role="intendance", school_code=school)


def validated_parent(web: Web, email: str = "parent@example.fr") -> str:
    """Sign up, validate as the intendance (in its own client), return the password link."""
    assert web.sign_up(email=email).status_code == 200
    staff = web.new_client()
    assert web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff).status_code == 303
    request_id = web.requests()[-1].id
    answer = web.post_form(
        f"/intendance/comptes-en-attente/{request_id}/valider",
        {},
        page="/intendance/comptes-en-attente",
        client=staff,
    )
    assert answer.status_code == 303, answer.text
    return web.link_in(web.mails(email)[-1])


def parent_with_password(web: Web, email: str = "parent@example.fr") -> str:
    """A validated parent who chose ``PASSWORD``; returns the address."""
    link = validated_parent(web, email)
    jeton = link.split("jeton=")[1]
    answer = web.post_form(
        "/mot-de-passe/choisir",
        {"jeton": jeton, "password": PASSWORD, "password_again": PASSWORD},
        page=link,
    )
    assert answer.status_code == 303, answer.text
    return email
