"""The decision table of docs/design.md §3, one case per row, plus the ordering cases."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from typing import Any

import pytest

from station.core.models import (
    Card,
    CardStatus,
    Child,
    Facts,
    Regime,
    Reservation,
    Service,
    Settings,
    Source,
    UnreservedPolicy,
)
from station.core.rules import current_service, decide

TODAY = date(2026, 11, 24)  # a Tuesday
LUNCH = Service("dejeuner", time(11, 15), time(13, 45))
CHILD = Child("C0042", "DUPONT", "Hervé", "6B", tariff="T1", family_id="F1")
CARD = Card("1849-00042", "C0042")


def facts(**overrides: Any) -> Facts:
    base = Facts(
        source=Source.WEDGE,
        code_parsed=True,
        card_school="1849",
        card_code="1849-00042",
        card=CARD,
        child=CHILD,
        service=LUNCH,
        business_date=TODAY,
        reservation=Reservation("C0042", TODAY, "dejeuner"),
        balance_cents=5000,
        price_cents=415,
        weekday=TODAY.isoweekday(),
    )
    return dataclasses.replace(base, **overrides)


FORFAIT = dataclasses.replace(CHILD, regime=Regime.FORFAIT, forfait_days=frozenset({1, 2, 4, 5}))
ALLOW = Settings(unreserved_policy=UnreservedPolicy.ALLOW)
SURCHARGE = Settings(unreserved_policy=UnreservedPolicy.SURCHARGE, unreserved_surcharge_cents=100)

# (row, facts, settings, status, reason, charged)
TABLE = [
    (
        1,
        facts(code_parsed=False, card_school=None, card=None, child=None),
        Settings(),
        "refused",
        "unreadable",
        0,
    ),
    (2, facts(card_school="1850", card=None, child=None), Settings(), "refused", "foreign_card", 0),
    (3, facts(card=None, child=None), Settings(), "refused", "unknown_card", 0),
    (
        4,
        facts(card=dataclasses.replace(CARD, status=CardStatus.LOST)),
        Settings(),
        "refused",
        "card_blocked",
        0,
    ),
    (
        4,
        facts(card=dataclasses.replace(CARD, status=CardStatus.BLOCKED)),
        Settings(),
        "refused",
        "card_blocked",
        0,
    ),
    (5, facts(service=None), Settings(), "refused", "no_service", 0),
    (6, facts(served_count=1), Settings(), "refused", "already_served", 0),
    (7, facts(child=FORFAIT), Settings(), "served", "forfait", 0),
    (
        8,
        facts(reservation=Reservation("C0042", TODAY, "dejeuner", prepaid=True)),
        Settings(),
        "served",
        "prepaid",
        0,
    ),
    (9, facts(), Settings(), "served", "reserved", 415),
    (10, facts(reservation=None), Settings(), "refused", "no_reservation", 0),
    (11, facts(reservation=None), ALLOW, "served", "unreserved", 415),
    (12, facts(reservation=None), SURCHARGE, "served", "unreserved_surcharge", 515),
]


@pytest.mark.parametrize(
    ("row", "case", "settings", "status", "reason", "charged"),
    TABLE,
    ids=[f"row{r[0]}-{r[4]}" for r in TABLE],
)
def test_each_row_of_the_decision_table(
    row: int, case: Facts, settings: Settings, status: str, reason: str, charged: int
) -> None:
    verdict = decide(case, settings, "1849")
    assert (verdict.status.value, verdict.reason.value, verdict.charged_cents) == (
        status,
        reason,
        charged,
    )


def test_blocked_card_already_served_is_card_blocked() -> None:
    case = facts(card=dataclasses.replace(CARD, status=CardStatus.LOST), served_count=1)
    assert decide(case, Settings(), "1849").reason.value == "card_blocked"


def test_forfait_day_ignores_the_balance() -> None:
    verdict = decide(facts(child=FORFAIT, balance_cents=-10_000), Settings(), "1849")
    assert verdict.served and verdict.reason.value == "forfait" and verdict.charged_cents == 0


def test_forfait_child_off_forfait_day_pays_like_a_ticket() -> None:
    wednesday = date(2026, 11, 25)
    case = facts(child=FORFAIT, business_date=wednesday, weekday=3)
    assert decide(case, Settings(), "1849").reason.value == "reserved"


def test_prepaid_reservation_with_negative_balance_is_served() -> None:
    case = facts(
        reservation=Reservation("C0042", TODAY, "dejeuner", prepaid=True), balance_cents=-2000
    )
    verdict = decide(case, Settings(), "1849")
    assert verdict.served and verdict.reason.value == "prepaid"


def test_charge_beyond_overdraft_is_refused_insufficient_balance() -> None:
    verdict = decide(facts(balance_cents=300), Settings(overdraft_limit_cents=100), "1849")
    assert (verdict.status.value, verdict.reason.value, verdict.charged_cents) == (
        "refused",
        "insufficient_balance",
        0,
    )
    assert verdict.balance_cents == 300


def test_charge_within_overdraft_is_served() -> None:
    verdict = decide(facts(balance_cents=300), Settings(overdraft_limit_cents=115), "1849")
    assert verdict.served and verdict.balance_cents == -115


def test_balance_check_applies_to_unreserved_surcharge() -> None:
    verdict = decide(facts(reservation=None, balance_cents=500), SURCHARGE, "1849")
    assert verdict.reason.value == "insufficient_balance"


def test_max_meals_per_service_allows_a_second_pass() -> None:
    settings = Settings(max_meals_per_service=2)
    assert decide(facts(served_count=1), settings, "1849").served
    assert decide(facts(served_count=2), settings, "1849").reason.value == "already_served"


def test_already_served_carries_the_first_pass_time() -> None:
    first = datetime(2026, 11, 24, 12, 4)
    verdict = decide(facts(served_count=1, first_served_at=first), Settings(), "1849")
    assert verdict.first_served_at == first


def test_manual_serve_skips_card_rows_and_uses_the_same_rules() -> None:
    case = facts(source=Source.MANUAL, card=None, card_school=None, code_parsed=True)
    verdict = decide(case, Settings(), "1849")
    assert verdict.served and verdict.reason.value == "reserved" and verdict.charged_cents == 415


def test_manual_serve_over_the_monthly_limit_is_refused() -> None:
    case = facts(source=Source.MANUAL, manual_serves_this_month=3)
    verdict = decide(case, Settings(max_manual_serves_per_child_per_month=3), "1849")
    assert verdict.reason.value == "manual_limit"


def test_manual_limit_is_checked_after_already_served() -> None:
    case = facts(source=Source.MANUAL, manual_serves_this_month=9, served_count=1)
    assert decide(case, Settings(), "1849").reason.value == "already_served"


def test_manual_limit_does_not_apply_to_card_scans() -> None:
    assert decide(facts(manual_serves_this_month=9), Settings(), "1849").served


def test_warnings_ride_along_a_served_verdict() -> None:
    child = dataclasses.replace(CHILD, allergies=("arachide",), diet=("sans_porc",))
    verdict = decide(facts(child=child, balance_cents=3000), Settings(), "1849")
    assert [w.value for w in verdict.warnings] == ["low_balance", "allergy", "diet"]
    assert verdict.balance_cents == 2585


def test_no_low_balance_warning_above_threshold() -> None:
    verdict = decide(facts(balance_cents=3415), Settings(), "1849")
    assert verdict.warnings == ()


def test_refused_verdict_carries_no_warnings() -> None:
    child = dataclasses.replace(CHILD, allergies=("arachide",))
    verdict = decide(facts(child=child, reservation=None), Settings(), "1849")
    assert not verdict.served and verdict.warnings == ()


def test_missing_tariff_serves_at_zero_with_a_warning() -> None:
    verdict = decide(facts(price_cents=None), Settings(), "1849")
    assert verdict.served and verdict.charged_cents == 0
    assert "no_tariff" in [w.value for w in verdict.warnings]


def test_unknown_card_verdict_shows_no_child() -> None:
    verdict = decide(facts(card=None, child=None), Settings(), "1849")
    assert verdict.child is None and verdict.balance_cents is None


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (time(11, 14), None),
        (time(11, 15), "dejeuner"),
        (time(13, 44), "dejeuner"),
        (time(13, 45), None),
        (time(19, 0), "diner"),
    ],
)
def test_scan_belongs_to_the_service_whose_window_contains_it(
    moment: time, expected: str | None
) -> None:
    services = [LUNCH, Service("diner", time(18, 45), time(20, 0))]
    found = current_service(services, moment)
    assert (found.code if found else None) == expected


def test_a_forfait_pass_never_warns_of_a_low_balance() -> None:
    verdict = decide(facts(child=FORFAIT, balance_cents=100), Settings(), "1849")
    assert verdict.served and verdict.reason.value == "forfait"
    assert "low_balance" not in [w.value for w in verdict.warnings]


def override(**fields: Any) -> Facts:
    """Facts of a « Servir quand même » (F4) on the child of the refused card."""
    return facts(source=Source.OVERRIDE, code_parsed=True, card_school=None, **fields)


def test_an_override_serves_a_child_without_reservation_at_the_normal_price() -> None:
    verdict = decide(override(reservation=None), Settings(), "1849")
    assert (verdict.status.value, verdict.reason.value, verdict.charged_cents) == (
        "served",
        "override",
        415,
    )


def test_an_override_serves_a_child_whose_balance_is_short() -> None:
    verdict = decide(override(balance_cents=-5000), Settings(), "1849")
    assert verdict.served and verdict.charged_cents == 415 and verdict.balance_cents == -5415


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"card": dataclasses.replace(CARD, status=CardStatus.LOST)}, "card_blocked"),
        ({"served_count": 1}, "already_served"),
        ({"overrides_this_month": 3}, "override_limit"),
        ({"service": None}, "no_service"),
    ],
)
def test_an_override_never_passes_a_blocked_card_a_second_pass_or_the_monthly_cap(
    fields: dict[str, Any], reason: str
) -> None:
    verdict = decide(override(**fields), Settings(), "1849")
    assert (verdict.status.value, verdict.reason.value) == ("refused", reason)


def test_an_override_of_a_reserved_child_is_an_ordinary_reserved_meal() -> None:
    reserved = Reservation("C0042", TODAY, "dejeuner", prepaid=False)
    verdict = decide(override(reservation=reserved), Settings(), "1849")
    assert verdict.reason.value == "reserved"
