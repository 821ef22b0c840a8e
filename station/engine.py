"""The serving engine: one ``ServingLine`` for the app, the CLI and the tests.

``scan`` parses the code, reads the cache, asks the pure rules, and for a served verdict
writes meal + journal link + outbox entry (and always a scan-log line) in one
``BEGIN IMMEDIATE`` transaction committed before the verdict is returned.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from station.core import rules, timeutil
from station.core.cards import CardCode, parse_card_code, sanitize_raw
from station.core.clock import Clock, SystemClock
from station.core.errors import OverrideError, UnknownChildError, VoidError
from station.core.ids import uuid7
from station.core.models import Child, Facts, Reason, Service, Source, Verdict
from station.core.passes import PROBLEM_REASON, PassProblem, ScannedPass, check_pass, read_pass
from station.core.texts import OVERRIDE_MOTIVES
from station.core.timeutil import iso
from station.readers.events import ScanEvent
from station.store import Store, cache, ledger
from station.views import LineViews

# Ids only in these lines (docs/design.md §7): never a name, a card number, raw input or a balance.
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoidResult:
    """A voided meal: the refund and the balance after it."""

    void_id: str
    meal_id: str
    refund_cents: int
    balance_cents: int
    child: Child | None
    voided_at: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "status": "voided",
            "void_id": self.void_id,
            "meal_id": self.meal_id,
            "refund_cents": self.refund_cents,
            "balance_cents": self.balance_cents,
            "child": self.child.public() if self.child else None,
            "voided_at": iso(self.voided_at),
        }


class ServingLine:
    """Decides and records passes at one serving line, durably, from the local cache."""

    def __init__(
        self,
        store: Store,
        *,
        station: str,
        school: str,
        timezone: ZoneInfo,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.station = station
        self.school = school
        self.tz = timezone
        self.clock = clock or SystemClock()
        self.views = LineViews(self)
        """What the screens show (read-only); the UI's one door to the data with this."""

    # --- scanning -------------------------------------------------------------------

    def scan(
        self,
        raw: str,
        *,
        at: datetime | None = None,
        source: Source = Source.WEDGE,
        reader: str | None = None,
        read_at: datetime | None = None,
    ) -> Verdict:
        """Serve or refuse the card ``raw`` as read by a scanner; durable before returning.

        ``reader`` and ``read_at`` (the reader's name and when it read the code) go to the
        scan log; the decision is taken at ``at`` (default now). A parent's day pass (QR
        code) is checked offline and then served like its card, with ``source = qr``.
        """
        scanned = read_pass(raw)
        if scanned is not None:
            return self._serve(
                raw=raw,
                code=scanned.card,
                child_id=None,
                at=at,
                source=Source.QR,
                reader=(reader, read_at),
                scanned_pass=scanned,
            )
        code = parse_card_code(raw)
        return self._serve(
            raw=raw, code=code, child_id=None, at=at, source=source, reader=(reader, read_at)
        )

    def read(self, event: ScanEvent, *, at: datetime | None = None) -> Verdict:
        """A reader's event, whole: its code through the rules, its reader and time logged."""
        source = event.source if isinstance(event.source, Source) else _source(event.source)
        return self.scan(event.code, at=at, source=source, reader=event.reader, read_at=event.at)

    def serve_manual(self, child_id: str, *, at: datetime | None = None) -> Verdict:
        """Serve a child found by name (forgotten card) through the same rules."""
        return self._serve(
            raw=f"manuel:{child_id}", code=None, child_id=child_id, at=at, source=Source.MANUAL
        )

    def override(self, child_id: str, motive: str, *, at: datetime | None = None) -> Verdict:
        """« Servir quand même » (F4): serve a child refused for no reservation or an
        insufficient balance, through the same rules with ``source = override`` (a blocked
        card, a second pass or the monthly cap still refuse). ``motive`` is one of
        :data:`station.core.texts.OVERRIDE_MOTIVES`; it goes to the scan log."""
        if motive not in OVERRIDE_MOTIVES:
            raise OverrideError(motive)
        return self._serve(
            raw=f"derogation:{motive}", code=None, child_id=child_id, at=at, source=Source.OVERRIDE
        )

    def _serve(
        self,
        *,
        raw: str,
        code: CardCode | None,
        child_id: str | None,
        at: datetime | None,
        source: Source,
        reader: tuple[str | None, datetime | None] = (None, None),
        scanned_pass: ScannedPass | None = None,
    ) -> Verdict:
        moment = (at or self.clock.now()).astimezone(self.tz)
        with self.store.write() as conn:
            settings, services = self.store.school_rules(conn)
            problem = self._pass_problem(conn, scanned_pass, moment.date())
            looked_up = code if problem is None else None  # a refused pass names no one
            facts = self._facts(conn, looked_up, child_id, moment, source, services)
            if problem is not None:
                facts = self._refused_pass_facts(facts, problem, code)
            verdict = rules.decide(facts, settings, self.school)
            verdict = dataclasses.replace(verdict, scanned_at=moment, station=self.station)
            if problem is not None:
                extra = {**verdict.extra, "pass_problem": problem.value}
                verdict = dataclasses.replace(verdict, extra=extra)
            if verdict.served and verdict.child is not None:
                # Staff tell the child how many prepaid meals remain booked after this one.
                left = cache.prepaid_after(conn, verdict.child.id, verdict.business_date)
                if left or verdict.reason is Reason.PREPAID:
                    extra = {**verdict.extra, "prepaid_remaining": left}
                    verdict = dataclasses.replace(verdict, extra=extra)
            if verdict.served and verdict.child is not None and verdict.service is not None:
                meal = ledger.MealRecord(
                    id=uuid7(int(moment.timestamp() * 1000)),
                    child_id=verdict.child.id,
                    card=verdict.card,
                    source=source.value,
                    service=verdict.service,
                    business_date=verdict.business_date.isoformat(),
                    served_at=iso(moment),
                    station=self.station,
                    reason=verdict.reason.value,
                    charged_cents=verdict.charged_cents,
                    family_id=verdict.child.family_id,
                )
                ledger.insert_meal(conn, meal)
                verdict = dataclasses.replace(verdict, meal_id=meal.id)
            ledger.log_scan(
                conn,
                at=moment,
                business_date=verdict.business_date,
                source=source.value,
                raw=sanitize_raw(raw),
                card=str(code) if code else None,
                status=verdict.status.value,
                reason=verdict.reason.value,
                service=verdict.service,
                child_id=verdict.child.id if verdict.child else None,
                meal_id=verdict.meal_id,
                reader=reader[0],
                read_at=reader[1],
            )
        log.info(
            "scan %s/%s source=%s service=%s child=%s meal=%s",
            verdict.status.value,
            verdict.reason.value,
            source.value,
            verdict.service,
            verdict.child.id if verdict.child else None,
            verdict.meal_id,
        )
        return verdict

    def _pass_problem(
        self, conn: sqlite3.Connection, scanned: ScannedPass | None, today: date
    ) -> PassProblem | None:
        """Why a scanned day pass cannot be served here today (``None``: no pass, or fine)."""
        if scanned is None:
            return None
        key = cache.pass_key(conn, self.school)
        return check_pass(scanned, school=self.school, public_key=key, today=today)

    @staticmethod
    def _refused_pass_facts(facts: Facts, problem: PassProblem, code: CardCode | None) -> Facts:
        """The facts of a refused pass: read (even a malformed one is a pass, not an
        unreadable code), naming the card it claims, whose child was not looked up."""
        return dataclasses.replace(
            facts,
            code_parsed=True,
            card_school=code.school if code else None,
            card_code=str(code) if code else None,
            pass_refusal=PROBLEM_REASON[problem],
        )

    def _facts(
        self,
        conn: sqlite3.Connection,
        code: CardCode | None,
        child_id: str | None,
        moment: datetime,
        source: Source,
        services: list[Service],
    ) -> Facts:
        today = moment.date()
        service = rules.current_service(services, moment.time())
        card = cache.get_card(conn, str(code)) if code and code.school == self.school else None
        if source in (Source.MANUAL, Source.OVERRIDE):
            if child_id is None:
                raise UnknownChildError("")
            child = cache.get_child(conn, child_id)
            if child is None:
                raise UnknownChildError(child_id)
            card = cache.card_of_child(conn, child_id)
        else:
            child = cache.get_child(conn, card.child_id) if card else None
        base = Facts(
            source=source,
            code_parsed=code is not None or source in (Source.MANUAL, Source.OVERRIDE),
            card_school=code.school if code else None,
            card_code=str(code) if code else (card.code if card else None),
            card=card,
            child=child,
            service=service,
            business_date=today,
            weekday=today.isoweekday(),
        )
        if child is None:
            return base
        served = ledger.served_in_service(conn, child.id, today, service.code) if service else []
        return dataclasses.replace(
            base,
            reservation=(
                cache.get_reservation(conn, child.id, today, service.code) if service else None
            ),
            balance_cents=ledger.displayed_balance(conn, child.family_id),
            served_count=len(served),
            first_served_at=datetime.fromisoformat(served[0]) if served else None,
            manual_serves_this_month=(
                ledger.manual_serves_in_month(conn, child.id, today)
                if source is Source.MANUAL
                else 0
            ),
            overrides_this_month=(
                ledger.serves_in_month(conn, child.id, today, Source.OVERRIDE.value)
                if source is Source.OVERRIDE
                else 0
            ),
            price_cents=cache.get_price(conn, child.tariff, service.code) if service else None,
        )

    # --- undo -------------------------------------------------------------------------

    def void(self, meal_id: str, *, at: datetime | None = None, reason: str = "") -> VoidResult:
        """Void a meal served here within the undo window; refunds its charge."""
        moment = (at or self.clock.now()).astimezone(self.tz)
        with self.store.write() as conn:
            row = ledger.get_meal(conn, meal_id)
            if row is None:
                raise VoidError(f"Passage inconnu sur cette ligne : {meal_id}", "unknown_meal")
            if row["void_id"] is not None:
                raise VoidError("Ce passage est déjà annulé.", "already_voided")
            window = self.store.school_rules(conn)[0].undo_window_minutes
            served_at = datetime.fromisoformat(row["served_at"])
            if moment - served_at > timedelta(minutes=window):
                raise VoidError(
                    f"Délai d'annulation dépassé ({window} min après le passage).",
                    "undo_window_passed",
                )
            record = ledger.VoidRecord(
                id=uuid7(int(moment.timestamp() * 1000)),
                meal_id=meal_id,
                voided_at=iso(moment),
                reason=reason,
                refund_cents=int(row["charged_cents"]),
                station=self.station,
                family_id=row["family_id"],
            )
            ledger.insert_void(conn, record)
            balance = ledger.displayed_balance(conn, row["family_id"])
            child = cache.get_child(conn, row["child_id"])
        log.info("void %s of meal %s child=%s", record.id, meal_id, row["child_id"])
        return VoidResult(record.id, meal_id, record.refund_cents, balance, child, moment)

    # --- helpers for screens -----------------------------------------------------------

    def current_service(self, at: datetime | None = None) -> Service | None:
        """The service open at ``at`` (default now), by the same rule a scan uses."""
        moment = (at or self.clock.now()).astimezone(self.tz)
        with self.store.read() as conn:
            services = self.store.school_rules(conn)[1]
        return rules.current_service(services, moment.time())

    def business_date(self, at: datetime | None = None) -> date:
        """The school's calendar day at ``at`` (default now)."""
        return timeutil.business_date(at or self.clock.now(), self.tz)


def _source(value: str) -> Source:
    """A reader's source name as a ``Source`` (an unknown name counts as the wedge)."""
    try:
        return Source(value)
    except ValueError:
        return Source.WEDGE
