"""Meals and voids pushed by stations, applied set-based per batch and exactly once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal_sync_api.core.config import CLOCK_SKEW_SECONDS
from portal_sync_api.crud.bulk import insert_rows, member_of
from portal_sync_api.crud.changes import ChangeBuffer, lock_schools
from portal_sync_api.crud.ledger import family_refs, family_schools, put_balances
from portal_sync_api.crud.meal_rules import MealRules
from portal_sync_api.crud.refs import ChildKeys, child_keys_by_ref
from portal_sync_api.models import Child, LedgerEntry, Meal, School, Station, Void, new_key, table
from portal_sync_api.schemas import ItemResult, MealIn, VoidIn, field_of, is_item_id


@dataclass(frozen=True)
class Rejected:
    """A batch item that failed validation before reaching the database."""

    id: str | None
    reason: str


BatchItem = MealIn | VoidIn | Rejected


def parse_item(raw: Any) -> BatchItem:
    """Validate one batch item; a bad one becomes ``rejected`` with ``invalid: FIELD``."""
    item_id = raw.get("id") if isinstance(raw, dict) else None
    if not is_item_id(item_id):
        item_id = None  # echoing it could make the answer unserializable after the commit
    if not isinstance(raw, dict):
        return Rejected(id=None, reason="invalid: item")
    kind = raw.get("kind", "meal")
    model: type[MealIn] | type[VoidIn]
    if kind == "meal":
        model = MealIn
    elif kind == "void":
        model = VoidIn
    else:
        return Rejected(id=item_id, reason="invalid: kind")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return Rejected(id=item_id, reason=f"invalid: {field_of(exc.errors()[0]['loc'])}")


def meal_data(row: dict[str, Any], *, station: str, voided: bool) -> dict[str, Any]:
    """Feed data of a meal (kind ``meal``): the station's and the school's ids."""
    return {
        "meal_id": row["ref"],
        "child_id": row["child_ref"],
        "station": station,
        "service": row["service"],
        "business_date": row["business_date"].isoformat(),
        "served_at": row["served_at"],
        "charged_cents": row["charged_cents"],
        # Every line counts a child's manual serves of the month against the school's cap.
        "source": row.get("source") or "",
        "voided": voided,
        "duplicate_pass": bool(row["duplicate_pass"]),
    }


def _existing_acks(
    session: Session, model: type[Meal] | type[Void], *, school_id: int, refs: list[str]
) -> dict[str, int]:
    """Ack seq of the meals (or voids) of the school already applied, by station id."""
    found: dict[str, int] = {}
    for cond in member_of(session, model.ref, refs):
        query = select(model.ref, model.ack_seq).where(cond, model.school_id == school_id)
        found.update(session.execute(query).all())
    return found


def _void_targets(
    session: Session, *, school_id: int, meal_refs: list[str]
) -> dict[str, dict[str, Any]]:
    """Stored meals of the school that voids of the batch refer to, by station id, with
    station name and voided flag."""
    targets: dict[str, dict[str, Any]] = {}
    for cond in member_of(session, Meal.ref, meal_refs):
        rows = session.execute(
            select(
                Meal.id,
                Meal.ref,
                Meal.child_id,
                Child.ref,
                Meal.service,
                Meal.business_date,
                Meal.served_at,
                Meal.charged_cents,
                Meal.duplicate_pass,
                Meal.source,
                Station.name,
                Void.id,
            )
            .join(Station, Station.id == Meal.station_id)
            .join(Child, Child.id == Meal.child_id)
            .outerjoin(Void, Void.meal_id == Meal.id)
            .where(cond, Meal.school_id == school_id)
        )
        for (
            key,
            ref,
            child_key,
            child_ref,
            service,
            day,
            served_at,
            charged,
            dup,
            source,
            station,
            void_id,
        ) in rows:
            targets[ref] = {
                "id": key,
                "ref": ref,
                "child_id": child_key,
                "child_ref": child_ref,
                "service": service,
                "business_date": day,
                "served_at": served_at,
                "charged_cents": charged,
                "duplicate_pass": dup,
                "source": source,
                "station_name": station,
                "voided": void_id is not None,
            }
    return targets


def _taken_references(session: Session, references: list[str]) -> set[str]:
    """Those of ``references`` the ledger already holds."""
    taken: set[str] = set()
    for cond in member_of(session, LedgerEntry.reference, references):
        taken.update(session.execute(select(LedgerEntry.reference).where(cond)).scalars())
    return taken


def _served_counts(
    session: Session, *, child_ids: list[str], days: set[date]
) -> dict[tuple[str, date, str], int]:
    """Non-voided meals already stored per (child key, day, service) of the batch."""
    counts: dict[tuple[str, date, str], int] = defaultdict(int)
    if not child_ids or not days:
        return counts
    day_conds = list(member_of(session, Meal.business_date, days))
    for cond in member_of(session, Meal.child_id, child_ids):
        for day_cond in day_conds:
            rows = session.execute(
                select(Meal.child_id, Meal.business_date, Meal.service, func.count())
                .where(
                    cond,
                    day_cond,
                    ~select(Void.id).where(Void.meal_id == Meal.id).exists(),
                )
                .group_by(Meal.child_id, Meal.business_date, Meal.service)
            )
            for child_id, day, service, count in rows:
                counts[(child_id, day, service)] = int(count)
    return counts


def _families_of(session: Session, *, child_ids: Collection[str]) -> dict[str, str | None]:
    """Family key of each child key."""
    found: dict[str, str | None] = {}
    for cond in member_of(session, Child.id, child_ids):
        found.update(session.execute(select(Child.id, Child.family_id).where(cond)).all())
    return found


def ingest(
    session: Session, *, station: Station, items: Sequence[BatchItem], now: datetime | None = None
) -> list[ItemResult]:
    """Apply a station batch in order; one result per item (docs/sync-protocol.md).

    Every id of the batch (child, meal, void) is the school's own: it is looked up in the
    station's school only. Reads happen after the school's counter lock, so a concurrent
    retry of the same batch waits and then sees every id as ``duplicate``.
    """
    now = now or datetime.now(UTC)
    received = now.isoformat(timespec="seconds")
    skew_limit = now + timedelta(seconds=CLOCK_SKEW_SECONDS)
    school = session.get_one(School, station.school_id)
    meals_in = [i for i in items if isinstance(i, MealIn)]
    voids_in = [i for i in items if isinstance(i, VoidIn)]
    children = child_keys_by_ref(session, school_id=school.id, refs={m.child_id for m in meals_in})
    family_of = {c.id: c.family_id for c in children.values()}
    targets = _void_targets(session, school_id=school.id, meal_refs=[v.meal_id for v in voids_in])
    # A transferred child's old meals: its family now, wherever the child is.
    family_of.update(_families_of(session, child_ids={t["child_id"] for t in targets.values()}))
    families = {f for f in family_of.values() if f}
    fam_schools = family_schools(session, family_ids=families)
    lock_schools(session, school_ids={school.id, *(s for v in fam_schools.values() for s in v)})

    # Under the lock: what earlier requests already applied.
    done_meals = _existing_acks(session, Meal, school_id=school.id, refs=[m.id for m in meals_in])
    done_voids = _existing_acks(session, Void, school_id=school.id, refs=[v.id for v in voids_in])
    if targets:  # a void committed meanwhile by another request
        targets = _void_targets(session, school_id=school.id, meal_refs=list(targets))
    counts = _served_counts(
        session,
        child_ids=[c.id for c in children.values()],
        days={m.business_date for m in meals_in},
    )
    batch = _Batch(
        school=school,
        rules=MealRules.of(session, school=school, skew_limit=skew_limit),
        station=station,
        children=children,
        family_of=family_of,
        family_ref=family_refs(session, family_ids=families),
        done_meals=done_meals,
        done_voids=done_voids,
        targets=targets,
        counts=counts,
        taken=_taken_references(session, [f"void:{t['id']}" for t in targets.values()]),
        skew_limit=skew_limit,
        received=received,
    )
    # Each result: (ItemResult, how to find its seq: ("balance"|"meal", key) or None)
    pending: list[tuple[ItemResult, tuple[str, str] | None]] = []
    for item in items:
        if isinstance(item, Rejected):
            pending.append((ItemResult(id=item.id, status="rejected", reason=item.reason), None))
        elif isinstance(item, MealIn):
            pending.append(batch.apply_meal(item))
        else:
            pending.append(batch.apply_void(item))
    buffer, new_meals, new_voids = batch.buffer, batch.new_meals, batch.new_voids
    insert_rows(session, table(LedgerEntry), batch.ledger)
    put_balances(session, family_ids=batch.touched, buffer=buffer, schools=fam_schools)
    seqs = buffer.flush(session)

    def seq_of(ref: tuple[str, str]) -> int:
        return seqs[(school.id, ref[0], ref[1])]

    insert_rows(session, table(Meal), [_stored(Meal, row, seq_of) for row in new_meals.values()])
    insert_rows(session, table(Void), [_stored(Void, row, seq_of) for row in new_voids.values()])
    results = []
    for result, ref in pending:
        if ref is not None:
            result.seq = seq_of(ref)
        results.append(result)
    return results


def _stored(
    model: type[Meal] | type[Void], row: dict[str, Any], seq_of: Callable[[tuple[str, str]], int]
) -> dict[str, Any]:
    """The table columns of a working row, with its acknowledged seq."""
    stored = {k: row[k] for k in _COLUMNS[model]}
    stored["ack_seq"] = seq_of(row["_ack"])
    return stored


_COLUMNS: dict[type[Meal] | type[Void], list[str]] = {
    model: [c.name for c in table(model).c if c.name != "ack_seq"] for model in (Meal, Void)
}


def _ack_ref(charged: int, family_ref: str | None, meal_ref: str) -> tuple[str, str]:
    """The feed row whose seq acknowledges an item: the family's balance when money moved,
    else the meal (feed keys are the school's own ids)."""
    if charged and family_ref:
        return ("balance", family_ref)
    return ("meal", meal_ref)


@dataclass
class _Batch:
    """The working state of one :func:`ingest` call, read under the counter locks."""

    school: School
    rules: MealRules
    station: Station
    children: dict[str, ChildKeys]  # the school's children named by the batch, by their id
    family_of: dict[str, str | None]  # child key -> family key
    family_ref: dict[str, str]  # family key -> the school's id of the family
    done_meals: dict[str, int]  # station id -> ack seq of meals applied by earlier requests
    done_voids: dict[str, int]
    targets: dict[str, dict[str, Any]]  # stored meals that voids of the batch refer to
    counts: dict[tuple[str, date, str], int]  # (child key, day, service) -> meals
    taken: set[str]  # ledger references already held (a legacy credit named ``void:…``)
    skew_limit: datetime
    received: str
    buffer: ChangeBuffer = field(default_factory=ChangeBuffer)
    new_meals: dict[str, dict[str, Any]] = field(default_factory=dict)  # by station id
    new_voids: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # families whose balance moves

    def apply_meal(self, item: MealIn) -> tuple[ItemResult, tuple[str, str] | None]:
        seen = _seen(item.id, self.done_meals, self.new_meals)
        if seen is not None:
            return seen
        problem = self.rules.meal_problem(item)
        if problem is not None:
            return ItemResult(id=item.id, status="rejected", reason=problem), None
        child = self.children.get(item.child_id)
        if child is None:
            return ItemResult(id=item.id, status="rejected", reason="unknown_child"), None
        family_id = self.family_of[child.id]
        key = (child.id, item.business_date, item.service)
        duplicate_pass = self.counts[key] >= self.school.max_meals_per_service
        self.counts[key] += 1
        clock_skew = item.served_at > self.skew_limit
        ack = _ack_ref(item.charged_cents, self._ref(family_id), item.id)
        row: dict[str, Any] = {
            "id": new_key(),
            "ref": item.id,
            "school_id": self.school.id,
            "station_id": self.station.id,
            "child_id": child.id,
            "child_ref": child.ref,
            "card": item.card,
            "source": item.source,
            "service": item.service,
            "business_date": item.business_date,
            "served_at": item.served_at.isoformat(),
            "reason": item.reason,
            "charged_cents": item.charged_cents,
            "duplicate_pass": duplicate_pass,
            "clock_skew": clock_skew,
            "received_at": self.received,
            "_ack": ack,
            "station_name": self.station.name,
        }
        self.new_meals[item.id] = row
        self.buffer.put(
            school_id=self.school.id,
            kind="meal",
            key=item.id,
            data=meal_data(row, station=self.station.name, voided=False),
        )
        self._post(family_id, "meal_charge", -item.charged_cents, f"meal:{row['id']}")
        result = ItemResult(
            id=item.id, status="applied", duplicate_pass=duplicate_pass, clock_skew=clock_skew
        )
        return result, ack

    def apply_void(self, item: VoidIn) -> tuple[ItemResult, tuple[str, str] | None]:
        seen = _seen(item.id, self.done_voids, self.new_voids)
        if seen is not None:
            return seen
        target = self.new_meals.get(item.meal_id) or self.targets.get(item.meal_id)
        if target is None:
            return ItemResult(id=item.id, status="rejected", reason="unknown_meal"), None
        if target.get("voided") or any(
            v["meal_id"] == target["id"] for v in self.new_voids.values()
        ):
            return ItemResult(id=item.id, status="rejected", reason="already_voided"), None
        if not self.rules.void_in_time(served_at=target["served_at"], voided_at=item.voided_at):
            return ItemResult(id=item.id, status="rejected", reason="undo_window_passed"), None
        refund = int(target["charged_cents"])
        family_id = self.family_of.get(target["child_id"])
        if refund and family_id and f"void:{target['id']}" in self.taken:
            return ItemResult(id=item.id, status="rejected", reason="ledger_conflict"), None
        target["voided"] = True
        self.counts[(target["child_id"], target["business_date"], target["service"])] -= 1
        ack = _ack_ref(refund, self._ref(family_id), item.meal_id)
        self.new_voids[item.id] = {
            "id": new_key(),
            "ref": item.id,
            "school_id": self.school.id,
            "meal_id": target["id"],
            "station_id": self.station.id,
            "voided_at": item.voided_at.isoformat(),
            "reason": item.reason,
            "refund_cents": refund,
            "received_at": self.received,
            "_ack": ack,
        }
        self.buffer.put(
            school_id=self.school.id,
            kind="meal",
            key=item.meal_id,
            data=meal_data(target, station=target["station_name"], voided=True),
        )
        self._post(family_id, "void_refund", refund, f"void:{target['id']}")
        return ItemResult(id=item.id, status="applied"), ack

    def _ref(self, family_id: str | None) -> str | None:
        return self.family_ref[family_id] if family_id else None

    def _post(self, family_id: str | None, kind: str, amount_cents: int, reference: str) -> None:
        """Append a ledger entry for a family's charge or refund (none for 0 or no family)."""
        if not amount_cents or not family_id:
            return
        self.ledger.append(
            {
                "family_id": family_id,
                "kind": kind,
                "amount_cents": amount_cents,
                "reference": reference,
                "at": self.received,
            }
        )
        self.touched.add(family_id)


def _seen(
    item_id: str, done: dict[str, int], new: dict[str, dict[str, Any]]
) -> tuple[ItemResult, tuple[str, str] | None] | None:
    """The ``duplicate`` answer for an id applied earlier or earlier in this batch."""
    if item_id in done:
        return ItemResult(id=item_id, status="duplicate", seq=done[item_id]), None
    if item_id in new:
        return ItemResult(id=item_id, status="duplicate"), new[item_id]["_ack"]
    return None


@dataclass(frozen=True)
class IntendanceVoid:
    """What :func:`void_by_intendance` did: the void's id, the refund, the ack seq."""

    void_ref: str
    meal_ref: str
    refund_cents: int
    seq: int


def void_by_intendance(
    session: Session, *, school: School, meal_ref: str, reason: str, now: datetime
) -> IntendanceVoid | None:
    """Void meal ``meal_ref`` of ``school`` from the intendance's pages, as a station's
    void is applied: a ``voids`` row (at no station, no undo window), the charge
    refunded to the family's ledger (``void:<meal key>``), the meal published voided in
    the changes feed and the family's balance after it. ``None`` when the school has no
    such meal; :class:`ValueError` (French) when it is already voided or its refund's
    reference is taken."""
    targets = _void_targets(session, school_id=school.id, meal_refs=[meal_ref])
    if meal_ref not in targets:
        return None
    family_of = _families_of(session, child_ids={targets[meal_ref]["child_id"]})
    family_id = family_of.get(targets[meal_ref]["child_id"])
    families = {family_id} if family_id else set()
    fam_schools = family_schools(session, family_ids=families)
    lock_schools(session, school_ids={school.id, *(s for v in fam_schools.values() for s in v)})
    # Under the lock: a station's void (or another click) may have committed meanwhile.
    target = _void_targets(session, school_id=school.id, meal_refs=[meal_ref])[meal_ref]
    if target["voided"]:
        raise ValueError("Ce repas est déjà annulé.")
    refund = int(target["charged_cents"])
    reference = f"void:{target['id']}"
    if refund and family_id and _taken_references(session, [reference]):
        raise ValueError("Le remboursement de ce repas est déjà au compte de la famille.")
    received = now.astimezone(UTC).isoformat(timespec="seconds")
    buffer = ChangeBuffer()
    buffer.put(
        school_id=school.id,
        kind="meal",
        key=meal_ref,
        data=meal_data(target, station=target["station_name"], voided=True),
    )
    family_ref = family_refs(session, family_ids=families).get(family_id) if family_id else None
    if refund and family_id:
        insert_rows(
            session,
            table(LedgerEntry),
            [
                {
                    "family_id": family_id,
                    "kind": "void_refund",
                    "amount_cents": refund,
                    "reference": reference,
                    "at": received,
                }
            ],
        )
        put_balances(session, family_ids=families, buffer=buffer, schools=fam_schools)
    seqs = buffer.flush(session)
    ack = _ack_ref(refund, family_ref, meal_ref)
    seq = seqs[(school.id, ack[0], ack[1])]
    void_ref = f"intendance-{new_key()}"
    session.add(
        Void(
            id=new_key(),
            ref=void_ref,
            school_id=school.id,
            meal_id=target["id"],
            station_id=None,
            voided_at=received,
            reason=reason[:200],
            refund_cents=refund,
            ack_seq=seq,
            received_at=received,
        )
    )
    session.flush()
    return IntendanceVoid(void_ref=void_ref, meal_ref=meal_ref, refund_cents=refund, seq=seq)
