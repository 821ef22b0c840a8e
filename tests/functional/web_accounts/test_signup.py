"""Sign-up at /inscription, validation or refusal at /intendance/comptes-en-attente."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from cantine_harness.portal import seed_school
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.logins import NO_MATCH, THROTTLED
from portal_sync_api.models import Family, User
from tests.support.account_pages import (
    INTENDANCE,
    INTENDANCE_PASSWORD,
    PASSWORD,
    Web,
    make_intendance,
    parent_with_password,
    validated_parent,
)


def test_signup_matching_card_and_names_creates_a_pending_request_accents_and_case_ignored(
    web: Web,
) -> None:
    answer = web.sign_up(last_name="  dupont ", first_name="HERVE", email="Parent@Example.fr")
    assert answer.status_code == 200
    assert "Demande enregistrée" in answer.text
    assert "L'intendance de l'établissement doit d'abord la\nvalider" in answer.text
    [request] = web.requests()
    assert (request.child_id, request.status, request.email) == (
        web.school.children[0],
        "pending",
        "parent@example.fr",
    )
    assert request.family_id == web.school.families[0]
    assert web.mails() == []  # nothing is sent before the intendance decides


@pytest.mark.parametrize(
    "wrong",
    [
        {"card_digits": "01235"},
        {"last_name": "DUPOND"},
        {"first_name": "Léa"},
        {"card_digits": "1234"},
    ],
)
def test_signup_mismatch_says_only_that_no_pupil_matches_whichever_field_is_wrong(
    web: Web, wrong: dict[str, str]
) -> None:
    answer = web.sign_up(**wrong)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert NO_MATCH in answer.text
    assert 'aria-invalid="true"' not in answer.text  # no hint which field is wrong
    assert web.requests() == []


def test_signup_mismatches_are_throttled_per_ip_for_15_minutes(web: Web) -> None:
    for _ in range(10):
        assert NO_MATCH in web.sign_up(last_name="DUPOND").text
    refused = web.sign_up()  # even the right answer, now
    assert refused.status_code == 429
    assert THROTTLED in refused.text
    assert web.requests() == []
    web.clock.advance(minutes=15, seconds=1)
    assert web.sign_up().status_code == 200
    assert len(web.requests()) == 1


def test_validation_queues_the_mail_with_a_single_use_password_link(web: Web) -> None:
    link = validated_parent(web)
    [request] = web.requests()
    assert request.status == "validated"
    assert request.decided_at is not None
    [mail] = web.mails("parent@example.fr")
    assert mail.template == "account_validated"
    assert "Hervé DUPONT" in mail.body_text
    assert f"http://127.0.0.1:8000{link}" in mail.body_text
    with session_scope(web.engine) as session:
        user = session.execute(select(User).where(User.email == "parent@example.fr")).scalar_one()
        assert (user.role, web.family_ref(user.family_id), user.password_hash) == (
            "parent",
            web.school.families[0],
            None,
        )
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    page = staff.get("/intendance/comptes-en-attente")
    assert "Aucun compte en attente" in page.text


def test_pending_list_shows_child_class_email_and_date_with_both_buttons(web: Web) -> None:
    web.sign_up(email="maman@example.fr")
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    page = staff.get("/intendance/comptes-en-attente")
    assert page.status_code == 200
    for text in ("DUPONT Hervé", "6B", "maman@example.fr", "24/11/2026", ">Valider<", ">Refuser<"):
        assert text in page.text


def test_refused_request_tells_the_address_and_creates_no_login(web: Web) -> None:
    web.sign_up(email="inconnu@example.fr")
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    request_id = web.requests()[0].id
    answer = web.post_form(
        f"/intendance/comptes-en-attente/{request_id}/refuser",
        {},
        page="/intendance/comptes-en-attente",
        client=staff,
    )
    assert answer.status_code == 303
    assert web.requests()[0].status == "refused"
    [mail] = web.mails("inconnu@example.fr")
    assert mail.template == "account_refused"
    assert "jeton" not in mail.body_text
    with session_scope(web.engine) as session:
        assert (
            session.execute(select(User).where(User.email == "inconnu@example.fr")).first() is None
        )
    assert "Demande refusée." in staff.get("/intendance/comptes-en-attente").text


def test_another_schools_intendance_cannot_see_or_validate_a_request_404(
    web: Web, portal_db: str
) -> None:
    seed_school(portal_db, code="1850", tokens=False)  # has its own DUPONT Hervé, 01234
    make_intendance(web.engine, school="1850", email="int@college1850.fr", password=PASSWORD)
    web.sign_up()
    mine, theirs = web.requests()  # a namesake in each school: one request per school
    assert (mine.child_id, theirs.child_id) == ("C1849-42", "C1850-42")
    other = web.new_client()
    web.login("int@college1850.fr", PASSWORD, client=other)
    listed = other.get("/intendance/comptes-en-attente").text
    assert listed.count(">Valider<") == 1
    assert f"/comptes-en-attente/{theirs.id}/valider" in listed
    assert f"/comptes-en-attente/{mine.id}/valider" not in listed
    for action in ("valider", "refuser"):
        answer = web.post_form(
            f"/intendance/comptes-en-attente/{mine.id}/{action}",
            {},
            page="/intendance/comptes-en-attente",
            client=other,
        )
        assert answer.status_code == 404
        assert "Page introuvable" in answer.text
    assert web.requests()[0].status == "pending"
    assert web.mails() == []


def test_two_parents_of_one_family_each_get_their_own_login(web: Web) -> None:
    parent_with_password(web, "maman@example.fr")
    parent_with_password(web, "papa@example.fr")
    with session_scope(web.engine) as session:
        users = session.execute(
            select(User)
            .join(Family, Family.id == User.family_id)
            .where(Family.ref == web.school.families[0])
            .order_by(User.email)
        ).scalars()
        assert [u.email for u in users] == ["maman@example.fr", "papa@example.fr"]
    for email in ("maman@example.fr", "papa@example.fr"):
        client = web.new_client()
        assert web.login(email, PASSWORD, client=client).headers["location"] == "/famille"


def test_existing_parent_asking_for_a_second_child_is_linked_without_a_new_login(
    web: Web,
) -> None:
    parent_with_password(web)
    web.sign_up(last_name="Dupont", first_name="Lea", card_digits="01235")
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    request_id = web.requests()[-1].id
    web.post_form(
        f"/intendance/comptes-en-attente/{request_id}/valider",
        {},
        page="/intendance/comptes-en-attente",
        client=staff,
    )
    mail = web.mails("parent@example.fr")[-1]
    assert "Léa DUPONT" in mail.body_text
    assert "jeton" not in mail.body_text  # they already have a password
    with session_scope(web.engine) as session:
        assert (
            len(session.execute(select(User).where(User.email == "parent@example.fr")).all()) == 1
        )
    assert web.login("parent@example.fr", PASSWORD).status_code == 303


def test_validating_an_address_already_used_by_another_family_is_refused_on_the_page(
    web: Web,
) -> None:
    parent_with_password(web)
    web.sign_up(last_name="MARTIN", first_name="Tom", card_digits="01236")  # family 2
    staff = web.new_client()
    web.login(INTENDANCE, INTENDANCE_PASSWORD, client=staff)
    request_id = web.requests()[-1].id
    answer = web.post_form(
        f"/intendance/comptes-en-attente/{request_id}/valider",
        {},
        page="/intendance/comptes-en-attente",
        client=staff,
    )
    assert answer.status_code == 303
    page = staff.get("/intendance/comptes-en-attente")
    assert "déjà celle d'un autre compte" in html.unescape(page.text)
    assert web.requests()[-1].status == "pending"
