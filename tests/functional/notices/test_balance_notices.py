"""Balance notices by e-mail through a real portal and a real SMTP server on loopback:
one low-balance notice per crossing of the school's threshold, none when the parents
turned it off, and relances of a negative balance on the school's schedule (the pass run
by ``portal-sync-api notices run --at``, the clock moved forward), stopped once the
balance is back at or above zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.notices import set_low_balance_notice
from portal_sync_api.crud.refs import family_by_ref
from portal_sync_api.models import FamilyNoticeState
from tests.support.notices_portal import NoticePortal, past_school_days
from tests.support.sync import credit


def test_a_run_of_meals_crossing_the_threshold_sends_exactly_one_notice(
    notices: NoticePortal,
) -> None:
    family, herve = notices.school.families[0], notices.school.children[0]
    parent = notices.parents[family]
    # 50,00 € - 6 × 4,15 €: under 30,00 € from the fifth meal on (29,25 €, then 25,10 €).
    for day in past_school_days(6):
        notices.push_meal(herve, day)
    assert len(notices.queued(parent, "low_balance")) == 1
    notices.wait_sent()
    mails = notices.received(parent, 1)
    assert len(mails) == 1
    body = mails[0].get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "29,25\u00a0€" in text
    assert "30,00\u00a0€" in text
    assert f"{notices.portal.url}/famille/comptes" in text
    assert "30,00" in str(mails[0]["Subject"])


def test_a_credit_back_above_the_threshold_then_a_new_crossing_sends_a_second_notice(
    notices: NoticePortal,
) -> None:
    family, herve = notices.school.families[0], notices.school.children[0]
    parent = notices.parents[family]
    days = past_school_days(12)
    for day in days[:5]:  # 29,25 €: the first crossing
        notices.push_meal(herve, day)
    credit(notices.portal.database_url, family, 1000, "CHQ-1")  # 39,25 €: above again
    for day in days[5:8]:  # 35,10 €, 30,95 €, then 26,80 €: the second crossing
        notices.push_meal(herve, day)
    assert len(notices.queued(parent, "low_balance")) == 2
    notices.wait_sent()
    mails = notices.received(parent, 2)
    assert len(mails) == 2
    second = mails[1].get_body(("plain",))
    assert second is not None
    assert "26,80\u00a0€" in second.get_content()


def test_a_family_that_turned_the_notice_off_gets_none(notices: NoticePortal) -> None:
    family, herve = notices.school.families[0], notices.school.children[0]
    parent = notices.parents[family]
    with session_scope(notices.engine) as session:
        key = family_by_ref(session, ref=family, school_code="1849").id
        set_low_balance_notice(session, family_id=key, enabled=False)
    for day in past_school_days(7):
        notices.push_meal(herve, day)
    notices.wait_sent()
    assert notices.queued(parent, "low_balance") == []
    assert [m for m in notices.smtp.messages if parent in str(m["To"])] == []
    # The crossing itself was noted: turning the notice back on sends nothing until the
    # balance has been above the threshold again.
    with session_scope(notices.engine) as session:
        state = session.get(FamilyNoticeState, key)
        assert state is not None
        assert state.low_since is not None


def test_a_negative_balance_is_relanced_on_days_0_and_7_and_stops_once_credited(
    notices: NoticePortal,
) -> None:
    notices.set_school(relance_days="0,7,21")
    family, noah = notices.school.families[2], notices.school.children[4]
    parent = notices.parents[family]
    before = datetime.now(UTC)
    notices.push_meal(noah, past_school_days(1)[0])  # 0,00 € → −4,15 €
    after = datetime.now(UTC)
    # Day 0: the relance at once (and no separate low-balance notice).
    assert len(notices.queued(parent, "balance_relance")) == 1
    assert notices.queued(parent, "low_balance") == []
    notices.run_pass(before + timedelta(days=7, minutes=-1))
    assert len(notices.queued(parent, "balance_relance")) == 1
    day_7 = after + timedelta(days=7)
    # The command cron runs; then the pass inside serve at the same instant sends nothing more.
    notices.cli("notices", "run", "--at", day_7.isoformat())
    notices.run_pass(day_7)
    assert len(notices.queued(parent, "balance_relance")) == 2
    notices.wait_sent()
    mails = notices.received(parent, 2)
    assert [str(m["Subject"]) for m in mails] == ["Relance : solde de cantine négatif"] * 2
    body = mails[0].get_body(("plain",))
    assert body is not None
    assert "\u22124,15\u00a0€" in body.get_content()
    assert f"{notices.portal.url}/famille/comptes" in body.get_content()
    credit(notices.portal.database_url, family, 415, "ESP-1")  # back to 0,00 €
    notices.run_pass(after + timedelta(days=22))
    assert len(notices.queued(parent, "balance_relance")) == 2


def test_the_day_21_relance_follows_when_the_balance_stays_negative(
    notices: NoticePortal,
) -> None:
    notices.set_school(relance_days="0,7,21")
    family, noah = notices.school.families[2], notices.school.children[4]
    parent = notices.parents[family]
    notices.push_meal(noah, past_school_days(1)[0])
    after = datetime.now(UTC)
    for days, expected in ((7, 2), (20, 2), (21, 3), (60, 3)):
        notices.run_pass(after + timedelta(days=days))
        assert len(notices.queued(parent, "balance_relance")) == expected, days
