"""Balance notices by e-mail: under the school's threshold (once per crossing) and
relances of a negative balance on the school's schedule (``relance_days``).

:func:`after_balance_change` runs inside every transaction that moves a balance (called by
``crud.ledger.put_balances``, which every ledger writer calls under the school's counter
lock), so the notice state and the queued mail commit with the ledger entry or not at
all, and two writers never both see the same crossing. Per family it keeps
:class:`~portal_sync_api.models.FamilyNoticeState`:

- ``low_since``: set when the balance goes under ``low_balance_threshold_cents`` (a notice
  is queued then, unless the parents turned it off), cleared once it is back at or above
  it: one notice per crossing, whatever the number of meals below;
- ``negative_since`` / ``relances_sent``: set when the balance goes below 0; the relance
  of day ``d`` of the schedule is due ``d`` days later; cleared (the relances stop) as
  soon as the balance is back ≥ 0. Relances cannot be turned off.

A balance going from above the threshold straight below 0 gets the relance alone when
the schedule has a day 0 (it says more than the low-balance notice). :func:`run_pass`
sends the relances that fall due later (``serve`` runs it periodically, cron may run
``portal-sync-api notices run``) and moves the QF tariff categories that start or expire.
Mails go to every parent user of the family.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal_sync_api.core.money import euros
from portal_sync_api.crud.bulk import member_of
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.errors import DataError
from portal_sync_api.mail.outbox import queue_mail
from portal_sync_api.models import (
    Child,
    Family,
    FamilyBalance,
    FamilyNoticeState,
    School,
    TariffBracket,
    User,
)

log = logging.getLogger(__name__)

DEFAULT_RELANCE_DAYS = "0,7,21"
#: Where a notice sends the parents.
ACCOUNTS_PATH = "/famille/comptes"
LOW_TEMPLATE = "low_balance"
RELANCE_TEMPLATE = "balance_relance"


def relance_schedule(text: str) -> tuple[int, ...]:
    """``"0,7,21"`` → ``(0, 7, 21)``; ``ValueError`` (French) for anything else: days
    from 0 to 365, increasing, at least one."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"jours séparés par des virgules attendus (ex. 0,7,21), reçu {text!r}")
    days = tuple(int(p) for p in parts)
    if any(d > 365 for d in days) or list(days) != sorted(set(days)):
        raise ValueError("jours croissants, sans doublon, de 0 à 365 attendus")
    return days


def parse_relance_days(text: str) -> str:
    """The ``relance_days`` setting written back normalized (``0,7,21``)."""
    return ",".join(str(d) for d in relance_schedule(text))


def _schedule(school: School) -> tuple[int, ...]:
    try:
        return relance_schedule(school.relance_days or DEFAULT_RELANCE_DAYS)
    except ValueError:
        return relance_schedule(DEFAULT_RELANCE_DAYS)


def due_relances(schedule: tuple[int, ...], *, since: datetime, now: datetime) -> int:
    """How many relances of ``schedule`` are due ``now`` for a balance negative ``since``."""
    return sum(1 for day in schedule if since + timedelta(days=day) <= now)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def recipients(session: Session, *, family_id: str) -> list[str]:
    """Every active parent user's address of the family (a family without a parent login
    has no one to read the link to its page, and gets no notice)."""
    rows = session.execute(
        select(User.email)
        .where(User.family_id == family_id, User.role == "parent", User.disabled.is_(False))
        .order_by(User.id)
    ).scalars()
    return list(dict.fromkeys(rows))


def _mail(
    session: Session,
    *,
    family_id: str,
    school: School,
    template: str,
    subject: str,
    balance_cents: int,
) -> int:
    context = {
        "school_name": school.name,
        "balance": euros(balance_cents),
        "threshold": euros(school.low_balance_threshold_cents),
        "accounts_path": ACCOUNTS_PATH,
    }
    count = 0
    for address in recipients(session, family_id=family_id):
        try:
            queue_mail(session, to=address, subject=subject, template=template, context=context)
        except DataError:
            # An address the outbox refuses must never refuse the meals or the payment
            # that moved the balance (it is checked before anything is added).
            log.warning("notice %s: a parent address of family key %s refused", template, family_id)
            continue
        count += 1
    log.info("notice %s queued for family key %s (%d recipient(s))", template, family_id, count)
    return count


def _queue_low(session: Session, *, family_id: str, school: School, balance_cents: int) -> None:
    _mail(
        session,
        family_id=family_id,
        school=school,
        template=LOW_TEMPLATE,
        subject=f"Solde de cantine sous {euros(school.low_balance_threshold_cents)}",
        balance_cents=balance_cents,
    )


def _queue_relance(session: Session, *, family_id: str, school: School, balance_cents: int) -> None:
    _mail(
        session,
        family_id=family_id,
        school=school,
        template=RELANCE_TEMPLATE,
        subject="Relance : solde de cantine négatif",
        balance_cents=balance_cents,
    )


def _states(session: Session, family_ids: Collection[str]) -> dict[str, FamilyNoticeState]:
    found: dict[str, FamilyNoticeState] = {}
    for cond in member_of(session, FamilyNoticeState.family_id, family_ids):
        found.update(
            {
                s.family_id: s
                for s in session.execute(select(FamilyNoticeState).where(cond)).scalars()
            }
        )
    return found


def after_balance_change(
    session: Session, *, balances: Mapping[str, int], now: datetime | None = None
) -> None:
    """Update the notice state of each family of ``balances`` (its balance after the
    change) and queue the notices its crossing calls for, in the caller's transaction."""
    if not balances:
        return
    at = now or datetime.now(UTC)
    states = _states(session, balances)
    # Columns only: most families of a batch have nothing to notice.
    thresholds: dict[str, tuple[int, int]] = {}
    for cond in member_of(session, Family.id, balances):
        rows = session.execute(
            select(Family.id, School.id, School.low_balance_threshold_cents)
            .join(School, School.id == Family.school_id)
            .where(cond)
        )
        thresholds.update({family_id: (school_id, low) for family_id, school_id, low in rows})
    for family_id, balance in balances.items():
        if family_id not in thresholds:
            continue
        school_id, threshold = thresholds[family_id]
        state = states.get(family_id)
        low = balance < threshold
        if state is None and not low and balance >= 0:
            continue  # the common case: nothing to remember
        school = session.get_one(School, school_id)
        if state is None:
            state = FamilyNoticeState(family_id=family_id, low_balance_notice=True, relances_sent=0)
            session.add(state)
        relanced = False
        if balance < 0 and state.negative_since is None:
            state.negative_since = _stamp(at)
            state.relances_sent = 0
            relanced = _send_due_relance(
                session, state=state, school=school, balance=balance, now=at
            )
        elif balance >= 0 and state.negative_since is not None:
            state.negative_since = None
            state.relances_sent = 0
        if low and state.low_since is None:
            state.low_since = _stamp(at)
            if state.low_balance_notice and not relanced:
                _queue_low(session, family_id=family_id, school=school, balance_cents=balance)
        elif not low and state.low_since is not None:
            state.low_since = None
    session.flush()


def _send_due_relance(
    session: Session, *, state: FamilyNoticeState, school: School, balance: int, now: datetime
) -> bool:
    """Queue one relance when the schedule has one due that was not sent; True if so."""
    if state.negative_since is None:
        return False
    due = due_relances(
        _schedule(school), since=datetime.fromisoformat(state.negative_since), now=now
    )
    if due <= state.relances_sent:
        return False
    _queue_relance(session, family_id=state.family_id, school=school, balance_cents=balance)
    # Relances missed while the pass did not run are not sent in a burst: one, then on.
    state.relances_sent = due
    state.last_relance_at = _stamp(now)
    return True


@dataclass
class PassReport:
    """What one :func:`run_pass` did."""

    relances: int = 0
    categories: int = 0


def run_pass(session: Session, *, now: datetime | None = None) -> PassReport:
    """Send the relances due ``now`` and move the QF tariff categories that start or
    expire on the school's today, school by school under its counter lock (several
    ``serve`` workers may run it at once: the second finds the work done)."""
    from portal_sync_api.crud.qf_bands import refresh_categories
    from portal_sync_api.crud.tariffs_qf import school_today

    at = now or datetime.now(UTC)
    report = PassReport()
    for school_id in _schools_with_work(session):
        lock_schools(session, school_ids=[school_id])
        school = session.get_one(School, school_id)
        buffer = ChangeBuffer()
        report.categories += refresh_categories(
            session, school=school, today=school_today(school, at), buffer=buffer, locked=True
        )
        buffer.flush(session)
        negative = session.execute(
            select(FamilyNoticeState, FamilyBalance.balance_cents)
            .join(Family, Family.id == FamilyNoticeState.family_id)
            .outerjoin(FamilyBalance, FamilyBalance.family_id == FamilyNoticeState.family_id)
            .where(Family.school_id == school_id, FamilyNoticeState.negative_since.is_not(None))
        ).all()
        for state, balance in negative:
            current = int(balance or 0)
            if current >= 0:  # defensive: the hook clears it with the credit
                state.negative_since = None
                state.relances_sent = 0
                continue
            if _send_due_relance(session, state=state, school=school, balance=current, now=at):
                report.relances += 1
        session.flush()
    return report


def _schools_with_work(session: Session) -> list[int]:
    """Schools with QF brackets, a child priced by one, or a family in debt: the others
    have nothing to do (and are not locked)."""
    found = set(session.execute(select(TariffBracket.school_id).distinct()).scalars())
    found.update(
        session.execute(
            select(Child.school_id).where(Child.qf_tariff.is_not(None)).distinct()
        ).scalars()
    )
    found.update(
        school_id
        for school_id in session.execute(
            select(Family.school_id)
            .join(FamilyNoticeState, FamilyNoticeState.family_id == Family.id)
            .where(FamilyNoticeState.negative_since.is_not(None))
            .distinct()
        ).scalars()
        if school_id is not None
    )
    return sorted(found)


def low_balance_notice_on(session: Session, *, family_id: str) -> bool:
    """Whether the family's parents get the low-balance notice (on unless turned off)."""
    value = session.execute(
        select(FamilyNoticeState.low_balance_notice).where(FamilyNoticeState.family_id == family_id)
    ).scalar_one_or_none()
    return True if value is None else bool(value)


def set_low_balance_notice(session: Session, *, family_id: str, enabled: bool) -> None:
    """Turn the family's low-balance notice on or off (relances stay on)."""
    state = session.get(FamilyNoticeState, family_id)
    if state is None:
        state = FamilyNoticeState(family_id=family_id, relances_sent=0)
        session.add(state)
    state.low_balance_notice = enabled
    session.flush()
