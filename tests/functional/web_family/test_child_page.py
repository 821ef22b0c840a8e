"""A child's page: the record as the school keeps it (read-only), « signaler un
changement » stored and e-mailed to the intendance, « Ajouter un enfant » as a pending
request in the parent's name."""

from __future__ import annotations

import html

from sqlalchemy import delete, select, update

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.family_tables import ChangeRequest
from portal_sync_api.mail.models import OutboxMail
from portal_sync_api.models import AccountRequest, Card, Child, School, User
from tests.support.family_pages import INTENDANCE, OTHER_INTENDANCE, PARENT, Family


def _requests(family: Family) -> list[ChangeRequest]:
    with session_scope(family.engine) as session:
        rows = list(session.execute(select(ChangeRequest)).scalars())
        session.expunge_all()
        return rows


def _ref(family: Family, child_key: str) -> str:
    """The school's id of the child of internal key ``child_key``."""
    with session_scope(family.engine) as session:
        return session.get_one(Child, child_key).ref


def _mails(family: Family) -> list[OutboxMail]:
    with session_scope(family.engine) as session:
        rows = list(session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())
        session.expunge_all()
        return rows


def test_child_page_shows_class_card_diet_and_allergies_as_recorded(family: Family) -> None:
    page = html.unescape(family.parent.client.get(f"/famille/enfants/{family.herve}").text)
    for expected in (
        "<dt>Classe</dt><dd>6B</dd>",
        "<dd>1849-01234</dd>",
        "<dt>Régime alimentaire</dt>\n  <dd>sans porc</dd>",
        "<dt>Allergies</dt>\n  <dd>arachide</dd>",
    ):
        assert expected in page
    assert "<input" not in page.split("<dl")[1].split("</dl>")[0]  # read-only


def test_signalled_change_is_stored_and_mailed_to_the_schools_intendance(family: Family) -> None:
    page = f"/famille/enfants/{family.herve}"
    message = "Hervé est allergique au kiwi depuis octobre."
    answer = family.parent.post(f"{page}/changement", {"message": message}, page=page)
    assert answer.status_code == 303
    assert "transmis à l'intendance" in html.unescape(family.parent.client.get(page).text)
    [stored] = _requests(family)
    assert (_ref(family, stored.child_id), stored.email, stored.message) == (
        family.herve,
        PARENT,
        message,
    )
    mails = [m for m in _mails(family) if m.template == "child_change_request"]
    # Every intendance user of school 1849 (the seeded API user and the login), nobody else.
    with session_scope(family.engine) as session:
        staff = set(
            session.execute(
                select(User.email)
                .join(School, School.id == User.school_id)
                .where(User.role == "intendance", School.code == "1849")
            ).scalars()
        )
    assert INTENDANCE in staff and OTHER_INTENDANCE not in staff
    assert sorted(m.to_address for m in mails) == sorted(staff)
    for mail in mails:
        assert "DUPONT" in mail.subject and message in mail.body_text
        assert PARENT in mail.body_text


def test_empty_change_message_is_refused_on_the_page_tied_to_its_field(family: Family) -> None:
    page = f"/famille/enfants/{family.herve}"
    answer = family.parent.post(f"{page}/changement", {"message": "   "}, page=page)
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert "Écrivez ce qui a changé" in text
    assert 'aria-describedby="message-erreur message-aide"' in text
    assert _requests(family) == []


def test_change_without_csrf_token_is_refused_and_nothing_is_stored(family: Family) -> None:
    page = f"/famille/enfants/{family.herve}"
    answer = family.parent.post(f"{page}/changement", {"message": "kiwi"}, page=page, csrf=False)
    assert answer.status_code == 403
    assert _requests(family) == [] and _mails(family) == []


def test_change_about_another_familys_child_is_404_and_stores_nothing(family: Family) -> None:
    own = f"/famille/enfants/{family.tom}"
    answer = family.neighbour.post(
        f"/famille/enfants/{family.herve}/changement", {"message": "kiwi"}, page=own
    )
    assert answer.status_code == 404
    assert _requests(family) == []


def test_add_child_creates_a_pending_request_for_the_logged_in_parent(family: Family) -> None:
    fields = {"card_digits": "01238", "last_name": "bernard", "first_name": "noah"}
    page = "/famille/ajouter-un-enfant"
    answer = family.parent.post(page, fields, page=page)
    assert answer.status_code == 303 and answer.headers["location"] == "/famille"
    with session_scope(family.engine) as session:
        requests = session.execute(
            select(AccountRequest.email, Child.ref)
            .join(Child, Child.id == AccountRequest.child_id)
            .where(AccountRequest.status == "pending")
        ).all()
        # School 1850 has a namesake with the same card suffix: its intendance decides too.
        assert {(email, child) for email, child in requests} == {
            (PARENT, family.school.children[4]),
            (PARENT, family.other_school.children[4]),
        }


def test_add_child_with_wrong_details_says_no_match_on_the_page(family: Family) -> None:
    page = "/famille/ajouter-un-enfant"
    fields = {"card_digits": "01238", "last_name": "BERNARD", "first_name": "Zoé"}
    answer = family.parent.post(page, fields, page=page)
    assert answer.status_code == 422
    assert "Ces informations ne correspondent à aucun élève" in html.unescape(answer.text)
    for label in ("5 derniers chiffres de la carte", "Nom de l'élève", "Prénom de l'élève"):
        assert label in html.unescape(answer.text)
    with session_scope(family.engine) as session:
        pending = select(AccountRequest).where(AccountRequest.status == "pending")
        assert session.execute(pending).first() is None


def test_adding_a_child_already_in_the_family_says_so_and_leaves_no_request(
    family: Family,
) -> None:
    page = "/famille/ajouter-un-enfant"
    fields = {"card_digits": "01235", "last_name": "Dupont", "first_name": "Lea"}
    # School 1850's namesake Léa DUPONT (card 1850-01235) is not in this family: the
    # request for her stays, for her school's intendance; none is kept for our Léa.
    answer = family.parent.post(page, fields, page=page)
    assert answer.status_code == 303
    pending = (
        select(Child.ref)
        .join(AccountRequest, AccountRequest.child_id == Child.id)
        .where(AccountRequest.status == "pending")
    )
    with session_scope(family.engine) as session:
        assert list(session.execute(pending).scalars()) == [family.other_school.children[1]]
        session.execute(delete(AccountRequest))
        card = family.other_school.cards[family.other_school.children[1]]
        session.execute(update(Card).where(Card.code == card).values(code="1850-09999"))
    answer = family.parent.post(page, fields, page=page)
    assert answer.status_code == 422
    assert "Cet enfant apparaît déjà dans votre espace" in html.unescape(answer.text)
    with session_scope(family.engine) as session:
        assert session.execute(pending).first() is None
