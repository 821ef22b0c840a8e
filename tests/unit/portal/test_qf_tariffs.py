"""Income-based tariffs (crud/tariffs_qf.py, crud/qf_bands.py): the bracket of a quotient
familial, the fallback past its validity, and the date a change takes effect from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from cantine_harness.portal import seed_school
from portal_sync_api.core.db import session_scope
from portal_sync_api.crud.accounts import Principal
from portal_sync_api.crud.bookings import book, cancel
from portal_sync_api.crud.changes import current_states
from portal_sync_api.crud.qf_bands import set_brackets, set_family_qf
from portal_sync_api.crud.refs import children_by_ref
from portal_sync_api.crud.roster import RosterRow, import_roster
from portal_sync_api.crud.schools import require_school, set_school
from portal_sync_api.crud.tariffs_qf import (
    Bracket,
    Quotient,
    SchoolBrackets,
    band_name,
    parse_brackets,
    price_of,
    pricer_for,
    pricers_for,
    quotient_on,
)
from portal_sync_api.errors import DataError
from portal_sync_api.models import Reservation, Tariff

CANTINE_A_1_EURO = "0-699:100,700-999:250,1000-:415"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_three_brackets_price_each_quotient_by_its_bracket() -> None:
    brackets = SchoolBrackets({"dejeuner": parse_brackets(CANTINE_A_1_EURO)})
    assert brackets.price("dejeuner", 0) == 100
    assert brackets.price("dejeuner", 640) == 100
    assert brackets.price("dejeuner", 699) == 100
    assert brackets.price("dejeuner", 700) == 250
    assert brackets.price("dejeuner", 812) == 250
    assert brackets.price("dejeuner", 1000) == 415
    assert brackets.price("dejeuner", 99_999) == 415
    # No quotient in force: the default, highest bracket.
    assert brackets.price("dejeuner", None) == 415
    assert brackets.price("diner", 640) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0-699:100", "au moins deux"),
        ("1-699:100,700-:415", "commencer à 0"),
        ("0-699:100,750-:415", "sans trou"),
        ("0-699:100,650-:415", "sans trou"),
        ("0-699:100,700-999:250", "ouverte"),
        ("0-699:1,00", "MIN-MAX:PRIX"),
        ("0-699:abc,700-:415", "MIN-MAX:PRIX"),
    ],
)
def test_brackets_with_a_gap_an_overlap_or_no_open_top_are_refused(text: str, problem: str) -> None:
    with pytest.raises(DataError) as refused:
        parse_brackets(text)
    assert refused.value.field == "brackets"
    assert problem in refused.value.problem


def test_a_quotient_past_its_validity_falls_back_to_none() -> None:
    recorded = [Quotient(812, date(2026, 12, 1), date(2027, 8, 31))]
    assert quotient_on(recorded, date(2026, 11, 30)) is None
    assert quotient_on(recorded, date(2026, 12, 1)) == recorded[0]
    assert quotient_on(recorded, date(2027, 8, 31)) == recorded[0]
    assert quotient_on(recorded, date(2027, 9, 1)) is None


@st.composite
def school_brackets(draw: st.DrawFn) -> SchoolBrackets:
    """Brackets of one to three services, each cut at its own bounds."""
    services = draw(
        st.lists(st.sampled_from(["dejeuner", "diner", "petit_dejeuner"]), min_size=1, max_size=3)
    )
    result = {}
    for service in set(services):
        cuts = sorted(draw(st.sets(st.integers(1, 3000), min_size=1, max_size=4)))
        lows = [0, *cuts]
        highs: list[int | None] = [c - 1 for c in cuts]
        highs.append(None)
        prices = draw(st.lists(st.integers(0, 900), min_size=len(lows), max_size=len(lows)))
        result[service] = [
            Bracket(lo, hi, p) for lo, hi, p in zip(lows, highs, prices, strict=True)
        ]
    return SchoolBrackets(result)


@given(brackets=school_brackets(), qf=st.one_of(st.none(), st.integers(0, 5000)))
def test_a_stations_band_price_is_the_families_bracket_price(
    brackets: SchoolBrackets, qf: int | None
) -> None:
    """A station prices by (band, service); the band of any QF has, for every service,
    the price of the bracket that QF falls in."""
    band = brackets.band_of(qf)
    low = int(band.removeprefix("qf"))
    assert band == band_name(low)
    for service in brackets.by_service:
        assert brackets.price(service, low) == brackets.price(service, qf)


quotients = st.lists(
    st.builds(
        lambda qf, start, length: Quotient(qf, start, start + timedelta(days=length)),
        st.integers(0, 2000),
        st.dates(date(2026, 1, 1), date(2027, 12, 31)),
        st.integers(0, 400),
    ),
    max_size=5,
)


@settings(max_examples=200)
@given(
    recorded=quotients,
    new=st.builds(
        lambda qf, start, length: Quotient(qf, start, start + timedelta(days=length)),
        st.integers(0, 2000),
        st.dates(date(2026, 1, 1), date(2027, 12, 31)),
        st.integers(0, 400),
    ),
    offset=st.integers(1, 500),
)
def test_recording_a_quotient_never_changes_a_day_before_it_takes_effect(
    recorded: list[Quotient], new: Quotient, offset: int
) -> None:
    """Meals and bookings before the new QF's first day keep the QF (so the price) they had."""
    day = new.valid_from - timedelta(days=offset)
    assert quotient_on([*recorded, new], day) == quotient_on(recorded, day)
    # From its first day the new QF is the one in force, until its last day unless a QF
    # recorded before it starts later.
    assert quotient_on([*recorded, new], new.valid_from) == new
    if all(q.valid_from <= new.valid_from for q in recorded):
        assert quotient_on([*recorded, new], new.valid_until) == new
        assert quotient_on([*recorded, new], new.valid_until + timedelta(days=1)) is None


def _prepaid_school(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_school(session, code="1849", settings={"booking_mode": "prepaid"})
        set_brackets(
            session,
            school=require_school(session, code="1849"),
            service="dejeuner",
            brackets=parse_brackets(CANTINE_A_1_EURO),
            actor="test",
        )


def test_a_quotient_change_prices_from_its_date_and_bookings_keep_their_debit(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=False)
    _prepaid_school(engine)
    herve = seed.children[0]
    with session_scope(engine) as session:
        school = require_school(session, code="1849")
        intendance = Principal(kind="intendance", school_id=school.id, family_id=None)
        set_family_qf(
            session,
            school=school,
            family_ref=seed.families[0],
            qf=1200,
            valid_from=date(2026, 9, 1),
            valid_until=date(2027, 8, 31),
            actor="test",
            now=NOW,
        )
        # Booked while the QF says 1 200: the highest bracket.
        done = book(
            session,
            intendance,
            child_id=herve,
            day=date(2026, 12, 7),
            service="dejeuner",
            actor="test",
            now=NOW,
        )
        assert done.debit_cents == 415
    with session_scope(engine) as session:
        school = require_school(session, code="1849")
        set_family_qf(
            session,
            school=school,
            family_ref=seed.families[0],
            qf=640,
            valid_from=date(2026, 12, 10),
            valid_until=date(2027, 8, 31),
            actor="test",
            now=NOW,
        )
        child = children_by_ref(session, school_id=school.id, refs=[herve])[herve]
        assert price_of(session, child=child, service="dejeuner", day=date(2026, 12, 9)) == 415
        assert price_of(session, child=child, service="dejeuner", day=date(2026, 12, 10)) == 100
        assert price_of(session, child=child, service="dejeuner", day=date(2027, 9, 1)) == 415
        # Booked before the change: the debit stays what it was, and so does the refund.
        reservation = session.execute(
            select(Reservation).where(
                Reservation.child_id == child.id, Reservation.day == date(2026, 12, 7)
            )
        ).scalar_one()
        assert reservation.debit_cents == 415
        later = book(
            session,
            intendance,
            child_id=herve,
            day=date(2026, 12, 14),
            service="dejeuner",
            actor="test",
            now=NOW,
        )
        assert later.debit_cents == 100
        undone = cancel(
            session,
            intendance,
            child_id=herve,
            day=date(2026, 12, 7),
            service="dejeuner",
            actor="test",
            now=NOW,
        )
        assert undone.debit_cents == -415


def test_the_pricers_of_several_children_read_together_are_each_childs_alone(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=False)

    def compare() -> None:
        with session_scope(engine) as session:
            school = require_school(session, code="1849")
            children = list(
                children_by_ref(session, school_id=school.id, refs=seed.children).values()
            )
            assert len({c.family_id for c in children}) > 1
            assert pricers_for(session, children) == {
                c.id: pricer_for(session, c) for c in children
            }

    compare()  # roster tariffs only
    _prepaid_school(engine)
    with session_scope(engine) as session:
        set_family_qf(
            session,
            school=require_school(session, code="1849"),
            family_ref=seed.families[0],
            qf=640,
            valid_from=date(2026, 9, 1),
            valid_until=date(2027, 8, 31),
            actor="test",
            now=NOW,
        )
    compare()  # brackets, one family with a quotient and the others without


def test_the_feed_gives_each_child_the_band_of_todays_quotient(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=False)
    _prepaid_school(engine)
    today = datetime.now(UTC).date()
    with session_scope(engine) as session:
        school = require_school(session, code="1849")
        set_family_qf(
            session,
            school=school,
            family_ref=seed.families[0],
            qf=812,
            valid_from=today - timedelta(days=1),
            valid_until=today + timedelta(days=300),
            actor="test",
        )
        children = current_states(session, school_id=school.id, kind="child")
        tariffs = {
            (t.tariff, t.service): t.price_cents
            for t in session.execute(select(Tariff).where(Tariff.school_id == school.id)).scalars()
        }
    assert '"tariff":"qf700"' in (children[seed.children[0]] or "")
    # Without a quotient in force, the highest band.
    assert '"tariff":"qf1000"' in (children[seed.children[2]] or "")
    assert tariffs[("qf0", "dejeuner")] == 100
    assert tariffs[("qf700", "dejeuner")] == 250
    assert tariffs[("qf1000", "dejeuner")] == 415


def test_a_bad_quotient_or_validity_names_its_field(portal_db: str, engine: Engine) -> None:
    seed = seed_school(portal_db, tokens=False)
    with session_scope(engine) as session:
        school = require_school(session, code="1849")
        for kwargs, field in (
            ({"qf": -1}, "qf"),
            ({"valid_until": date(2026, 1, 1)}, "valid_until"),
            ({"family_ref": "F-inconnue"}, "family"),
        ):
            values = {
                "family_ref": seed.families[0],
                "qf": 500,
                "valid_from": date(2026, 9, 1),
                "valid_until": date(2027, 8, 31),
                **kwargs,
            }
            with pytest.raises(DataError) as refused:
                set_family_qf(session, school=school, actor="test", **values)  # type: ignore[arg-type]
            assert refused.value.field == field


def test_a_child_imported_at_a_school_pricing_by_income_gets_its_band_at_once(
    portal_db: str, engine: Engine
) -> None:
    seed = seed_school(portal_db, tokens=False)
    _prepaid_school(engine)
    today = datetime.now(UTC).date()
    with session_scope(engine) as session:
        school = require_school(session, code="1849")
        set_family_qf(
            session,
            school=school,
            family_ref=seed.families[0],
            qf=650,
            valid_from=today - timedelta(days=1),
            valid_until=today + timedelta(days=300),
            actor="test",
        )
        before = current_states(session, school_id=school.id, kind="child")
        changed = import_roster(
            session,
            school=school,
            rows=[
                RosterRow(
                    child_id="C1849-47",
                    last_name="DUPONT",
                    first_name="Jules",
                    class_name="6A",
                    birth_date=None,
                    card_code="1849-01239",
                    card_status="active",
                    regime="ticket",
                    forfait_days="",
                    tariff="T1",
                    diet=(),
                    allergies=(),
                    family_id=seed.families[0],
                    family_email=None,
                    photo=None,
                )
            ],
        )
        after = current_states(session, school_id=school.id, kind="child")
        # The same file again moves nothing: the stations pay nothing for a re-import.
        again = import_roster(
            session,
            school=school,
            rows=[
                RosterRow(
                    child_id=seed.children[0],
                    last_name="DUPONT",
                    first_name="Hervé",
                    class_name="6B",
                    birth_date=date(2013, 5, 4),
                    card_code="1849-01234",
                    card_status="active",
                    regime="ticket",
                    forfait_days="",
                    tariff="T1",
                    diet=("sans_porc",),
                    allergies=("arachide",),
                    family_id=seed.families[0],
                    family_email="f18491@example.fr",
                    photo=None,
                )
            ],
        )
    assert changed == 2  # the child and its card
    assert '"tariff":"qf0"' in (after["C1849-47"] or "")
    assert before[seed.children[0]] == after[seed.children[0]]
    assert again == 0


def test_brackets_apply_only_once_every_service_of_the_school_has_them(
    portal_db: str, engine: Engine
) -> None:
    """A band without a price for a service would make the stations refuse its meals:
    until the dinner has brackets too, the children keep the roster's tariff."""
    seed = seed_school(portal_db, tokens=False)
    herve = seed.children[0]
    with session_scope(engine) as session:
        set_school(session, code="1849", services={"diner": ("18:45", "20:00")})
        school = require_school(session, code="1849")
        set_brackets(
            session,
            school=school,
            service="dejeuner",
            brackets=parse_brackets(CANTINE_A_1_EURO),
            actor="test",
        )
        child = children_by_ref(session, school_id=school.id, refs=[herve])[herve]
        assert child.qf_tariff is None
        assert price_of(session, child=child, service="dejeuner", day=date(2026, 12, 7)) == 415
        with pytest.raises(DataError) as refused:
            set_brackets(
                session,
                school=school,
                service="dinner",
                brackets=parse_brackets("0-799:200,800-:500"),
                actor="test",
            )
        assert refused.value.field == "service"
        set_brackets(
            session,
            school=school,
            service="diner",
            brackets=parse_brackets("0-799:200,800-:500"),
            actor="test",
        )
        session.refresh(child)
        assert child.qf_tariff == "qf1000"  # no QF recorded: the highest band
        tariffs = {
            (t.tariff, t.service): t.price_cents
            for t in session.execute(select(Tariff).where(Tariff.school_id == school.id)).scalars()
        }
    # Bands cut at every bound of both services; each has a price for both.
    assert {t for t, _s in tariffs if t.startswith("qf")} == {"qf0", "qf700", "qf800", "qf1000"}
    assert tariffs[("qf700", "dejeuner")] == 250
    assert tariffs[("qf700", "diner")] == 200
    assert tariffs[("qf800", "dejeuner")] == 250
    assert tariffs[("qf800", "diner")] == 500
