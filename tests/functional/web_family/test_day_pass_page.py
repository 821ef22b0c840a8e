"""« Passe du jour » on a child's page: a QR code of today's signed pass with its text
alternative and the card number in words, for the child's parents only; none without an
active card; the school's key made once and sent to its stations through the feed."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

from sqlalchemy import select, update

from cantine_contract import day_pass
from portal_sync_api.core.db import session_scope
from portal_sync_api.models import Card, Change, Child, PassKey
from tests.support.family_pages import Family
from tests.support.qr_pages import page_qr_text

# 23:30 in UTC is already the next day in Paris: the pass follows the school's clock.
LATE_EVENING = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
PARIS_DAY = date(2026, 11, 30)


def _page(family: Family, child_id: str) -> str:
    family.app.state.clock = lambda: LATE_EVENING
    answer = family.parent.client.get(f"/famille/enfants/{child_id}")
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def _public_key(family: Family) -> str:
    with session_scope(family.engine) as session:
        return session.execute(select(PassKey.public_key)).scalar_one()


def test_the_page_shows_todays_signed_pass_of_the_childs_card(family: Family) -> None:
    page = _page(family, family.herve)
    text = html.unescape(page)
    assert "Passe du jour" in text
    assert "Carte 1849-01234 — valable le lundi 30/11/2026, aujourd'hui seulement." in text
    assert 'role="img" aria-label="QR code du passe du jour de Hervé, carte 1849-01234' in text
    payload = page_qr_text(page)
    found = day_pass.parse(payload)
    assert (found.card, found.day) == ("1849-01234", PARIS_DAY)
    assert day_pass.verify(found, _public_key(family))


def test_the_schools_key_is_made_once_and_sent_to_its_stations(family: Family) -> None:
    _page(family, family.herve)
    _page(family, family.school.children[1])  # Léa, same school
    with session_scope(family.engine) as session:
        keys = session.execute(select(PassKey)).scalars().all()
        changes = session.execute(select(Change).where(Change.kind == "pass_key")).scalars().all()
        assert len(keys) == 1 and len(changes) == 1
        assert changes[0].key == "1849"
        assert keys[0].public_key in (changes[0].data or "")
        assert keys[0].private_key not in (changes[0].data or "")


def test_another_familys_child_has_no_page_and_no_pass(family: Family) -> None:
    family.app.state.clock = lambda: LATE_EVENING
    answer = family.parent.client.get(f"/famille/enfants/{family.tom}")
    assert answer.status_code == 404
    assert "Passe du jour" not in html.unescape(answer.text)
    assert 'class="qr"' not in answer.text


def test_a_child_without_an_active_card_gets_no_pass(family: Family) -> None:
    with session_scope(family.engine) as session:
        key = session.execute(select(Child.id).where(Child.ref == family.herve)).scalar_one()
        session.execute(update(Card).where(Card.child_id == key).values(status="blocked"))
    text = html.unescape(_page(family, family.herve))
    assert "Pas de passe du jour : Hervé n'a pas de carte de cantine active." in text
    assert 'class="qr"' not in text
    with session_scope(family.engine) as session:
        assert session.execute(select(PassKey)).first() is None  # no key made for nothing
