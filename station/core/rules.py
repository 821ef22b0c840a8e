"""The serving rules of docs/design.md §3 as pure functions; works without a UI.

``decide`` maps the facts of one scan to a ``Verdict``: first matching row of the
decision table wins, then the balance check, then the warnings. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from station.core.models import (
    CardStatus,
    Facts,
    Reason,
    Regime,
    Service,
    Settings,
    Source,
    Status,
    UnreservedPolicy,
    Verdict,
    Warning,
)


def current_service(services: Iterable[Service], moment: time) -> Service | None:
    """The service whose window contains local time ``moment`` (earliest start first)."""
    for service in sorted(services, key=lambda s: (s.start, s.code)):
        if service.contains(moment):
            return service
    return None


@dataclass(frozen=True)
class _Outcome:
    status: Status
    reason: Reason
    charge: int = 0
    priced: bool = True


def _refused(reason: Reason) -> _Outcome:
    return _Outcome(Status.REFUSED, reason)


def _table(facts: Facts, settings: Settings, school: str) -> _Outcome:
    """Rows 1-12 of the decision table (plus ``manual_limit`` after row 6)."""
    if facts.source is Source.OVERRIDE and facts.card is not None:
        # An override never lets a lost or blocked card through.
        if facts.card.status in (CardStatus.LOST, CardStatus.BLOCKED):
            return _refused(Reason.CARD_BLOCKED)
    elif facts.source is not Source.MANUAL:
        if not facts.code_parsed:
            return _refused(Reason.UNREADABLE)
        if facts.pass_refusal is not None:
            return _refused(facts.pass_refusal)
        if facts.card_school != school:
            return _refused(Reason.FOREIGN_CARD)
        if facts.card is None or facts.child is None:
            return _refused(Reason.UNKNOWN_CARD)
        if facts.card.status in (CardStatus.LOST, CardStatus.BLOCKED):
            return _refused(Reason.CARD_BLOCKED)
    if facts.child is None:
        return _refused(Reason.UNKNOWN_CARD)
    if facts.service is None:
        return _refused(Reason.NO_SERVICE)
    if facts.served_count >= settings.max_meals_per_service:
        return _refused(Reason.ALREADY_SERVED)
    if (
        facts.source is Source.MANUAL
        and facts.manual_serves_this_month >= settings.max_manual_serves_per_child_per_month
    ):
        return _refused(Reason.MANUAL_LIMIT)
    if (
        facts.source is Source.OVERRIDE
        and facts.overrides_this_month >= settings.max_overrides_per_child_per_month
    ):
        return _refused(Reason.OVERRIDE_LIMIT)
    child = facts.child
    if child.regime is Regime.FORFAIT and facts.weekday in child.forfait_days:
        return _Outcome(Status.SERVED, Reason.FORFAIT)
    price = facts.price_cents
    priced = price is not None
    if facts.reservation is not None:
        if facts.reservation.prepaid:
            return _Outcome(Status.SERVED, Reason.PREPAID)
        return _Outcome(Status.SERVED, Reason.RESERVED, price or 0, priced)
    if facts.source is Source.OVERRIDE:
        # Staff serve a child refused for no reservation, at the normal price.
        return _Outcome(Status.SERVED, Reason.OVERRIDE, price or 0, priced)
    policy = settings.unreserved_policy
    if policy is UnreservedPolicy.REFUSE:
        return _refused(Reason.NO_RESERVATION)
    if policy is UnreservedPolicy.ALLOW:
        return _Outcome(Status.SERVED, Reason.UNRESERVED, price or 0, priced)
    return _Outcome(
        Status.SERVED,
        Reason.UNRESERVED_SURCHARGE,
        (price or 0) + settings.unreserved_surcharge_cents,
        priced,
    )


#: Refusals staff may override with F4 (« Servir quand même »); never a blocked card, a
#: second pass, another school's card or an unreadable code.
OVERRIDABLE = frozenset({Reason.NO_RESERVATION, Reason.INSUFFICIENT_BALANCE})


def decide(facts: Facts, settings: Settings, school: str) -> Verdict:
    """Decide one scan from the cached facts (docs/design.md §3), without touching any storage."""
    outcome = _table(facts, settings, school)
    if (
        outcome.status is Status.SERVED
        and facts.source is not Source.OVERRIDE  # served anyway, below the overdraft limit
        and outcome.charge > 0
        and facts.balance_cents - outcome.charge < -settings.overdraft_limit_cents
    ):
        outcome = _refused(Reason.INSUFFICIENT_BALANCE)

    known_child = facts.child is not None and outcome.reason not in (
        Reason.UNREADABLE,
        Reason.FOREIGN_CARD,
        Reason.UNKNOWN_CARD,
    )
    balance_after = facts.balance_cents - outcome.charge if known_child else None
    warnings: list[Warning] = []
    if outcome.status is Status.SERVED and facts.child is not None:
        # A forfait family pays by the term, not from the wallet: no low-balance nag.
        if (
            outcome.reason is not Reason.FORFAIT
            and balance_after is not None
            and balance_after < settings.low_balance_threshold_cents
        ):
            warnings.append(Warning.LOW_BALANCE)
        if facts.child.allergies:
            warnings.append(Warning.ALLERGY)
        if facts.child.diet:
            warnings.append(Warning.DIET)
        if not outcome.priced:
            warnings.append(Warning.NO_TARIFF)

    return Verdict(
        status=outcome.status,
        reason=outcome.reason,
        business_date=facts.business_date,
        source=facts.source,
        warnings=tuple(warnings),
        child=facts.child if known_child else None,
        card=facts.card_code,
        service=facts.service.code if facts.service else None,
        charged_cents=outcome.charge if outcome.status is Status.SERVED else 0,
        balance_cents=balance_after,
        first_served_at=facts.first_served_at if outcome.reason is Reason.ALREADY_SERVED else None,
        overridable=known_child and outcome.reason in OVERRIDABLE,
        ack_required=Warning.ALLERGY in warnings and settings.allergy_ack_required,
        extra={"card_status": facts.card.status.value} if facts.card else {},
    )
