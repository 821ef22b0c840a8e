"""What a crash run must leave behind, checked from both ends: the stations' databases and
the portal's.

- :func:`check_run` compares what the stations hold with what the portal holds and returns
  every problem found, as sentences: lost or doubled meals and voids, ledger entries
  without their cause or causes with two entries, balances that disagree, feed seqs a
  station skipped or applied twice (from the pages each station logged, see
  :mod:`tests.support.page_log`).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from portal_sync_api.core.db import make_engine
from station.store import cache, ledger
from tests.support.page_log import PulledPage, applied_pages

#: Credits :func:`cantine_harness.portal.seed_school` writes for school 1849.
SEED_CREDITS = {"SEED-1849-1": ("F18491", 5000), "SEED-1849-2": ("F18492", 500)}


def cursor_problems(
    name: str,
    pages: list[PulledPage],
    *,
    final_cursor: int,
    feed: Mapping[tuple[str, str], int],
    last_seq: int,
) -> list[str]:
    """Seqs the station skipped or applied twice, given the school's feed at the end.

    Every row of the final feed must have been applied at its final seq (a row applied at
    an older seq and moved since is superseded, which is fine); no seq may be applied twice;
    each page starts where the previous one ended; the cursor ends at the school's last seq.
    """
    problems: list[str] = []
    seen: dict[int, tuple[str, str]] = {}
    cursor = 0
    for page in pages:
        if page.since != cursor:
            problems.append(f"{name}: page from {page.since} applied at cursor {cursor}")
        for seq, kind, key in page.changes:
            if seq in seen:
                problems.append(f"{name}: seq {seq} applied twice")
            if not page.since < seq <= page.next:
                problems.append(f"{name}: seq {seq} outside its page ]{page.since}, {page.next}]")
            seen[seq] = (kind, key)
        cursor = page.next
    if cursor != final_cursor:
        problems.append(f"{name}: log ends at cursor {cursor}, the database says {final_cursor}")
    if final_cursor != last_seq:
        problems.append(f"{name}: cursor {final_cursor} after the last pull, last seq {last_seq}")
    for (kind, key), seq in sorted(feed.items(), key=lambda item: item[1]):
        if seen.get(seq) != (kind, key):
            problems.append(f"{name}: seq {seq} ({kind} {key}) skipped: never applied")
    for seq, (kind, key) in seen.items():
        current = feed.get((kind, key))
        if current is None or current < seq:
            problems.append(f"{name}: applied seq {seq} ({kind} {key}) is not in the feed")
    return problems


@dataclass
class StationHoldings:
    """What one station's database holds (own meals and voids, outbox, cursor)."""

    name: str
    meals: dict[str, tuple[int, str]]  # meal id -> (charged cents, family id)
    voids: dict[str, tuple[str, int, str]]  # void id -> (meal id, refund cents, family id)
    unsent: int
    rejected: list[str]
    cursor: int
    integrity: str


def station_holdings(name: str, db: Path) -> StationHoldings:
    """Read a station's database (after its last sync)."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        meals = {
            r[0]: (int(r[1]), str(r[2]))
            for r in conn.execute("SELECT id, charged_cents, family_id FROM meals")
        }
        voids = {
            r[0]: (str(r[1]), int(r[2]), str(r[3]))
            for r in conn.execute("SELECT id, meal_id, refund_cents, family_id FROM voids")
        }
        unsent = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND rejected_reason IS NULL"
        ).fetchone()[0]
        rejected = [
            f"{r[0]}: {r[1]}"
            for r in conn.execute(
                "SELECT record_id, rejected_reason FROM outbox WHERE rejected_reason IS NOT NULL"
            )
        ]
        cursor = cache.pull_cursor(conn)
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
    return StationHoldings(name, meals, voids, int(unsent), rejected, cursor, integrity)


def station_balances(db: Path, families: Iterable[str]) -> dict[str, int]:
    """The balance a station shows for each family."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {f: ledger.displayed_balance(conn, f) for f in families}
    finally:
        conn.close()


@dataclass
class PortalHoldings:
    """What the portal's database holds for one school."""

    meals: Counter[str]  # meal ref -> rows
    meal_rows: list[tuple[str, str, int, str]]  # (ref, key, charged, station name)
    voids: Counter[str]
    void_rows: list[tuple[str, str, int]]  # (ref, meal key, refund)
    ledger: list[tuple[str, str, int, str]]  # (kind, reference, amount, family ref)
    family_balances: dict[str, tuple[int | None, int]]  # ref -> (family_balances, SUM)
    feed: dict[tuple[str, str], int]
    last_seq: int
    integrity: str = "ok"
    problems: list[str] = field(default_factory=list)


def portal_holdings(database_url: str, school: str = "1849") -> PortalHoldings:
    """Read the school's meals, voids, ledger, balances and feed straight from SQL."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            sid = conn.execute(
                text("SELECT id FROM schools WHERE code = :c"), {"c": school}
            ).scalar_one()
            args = {"s": sid}
            meal_rows = [
                (str(r[0]), str(r[1]), int(r[2]), str(r[3]))
                for r in conn.execute(
                    text(
                        "SELECT m.ref, m.id, m.charged_cents, st.name FROM meals m"
                        " JOIN stations st ON st.id = m.station_id WHERE m.school_id = :s"
                    ),
                    args,
                )
            ]
            void_rows = [
                (str(r[0]), str(r[1]), int(r[2]))
                for r in conn.execute(
                    text("SELECT ref, meal_id, refund_cents FROM voids WHERE school_id = :s"),
                    args,
                )
            ]
            entries = [
                (str(r[0]), str(r[1]), int(r[2]), str(r[3]))
                for r in conn.execute(
                    text(
                        "SELECT l.kind, l.reference, l.amount_cents, f.ref FROM ledger l"
                        " JOIN families f ON f.id = l.family_id WHERE f.school_id = :s"
                    ),
                    args,
                )
            ]
            balances = {
                str(r[0]): (None if r[1] is None else int(r[1]), int(r[2]))
                for r in conn.execute(
                    text(
                        "SELECT f.ref, b.balance_cents,"
                        " (SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger l"
                        "  WHERE l.family_id = f.id)"
                        " FROM families f LEFT JOIN family_balances b ON b.family_id = f.id"
                        " WHERE f.school_id = :s"
                    ),
                    args,
                )
            }
            feed = {
                (str(r[0]), str(r[1])): int(r[2])
                for r in conn.execute(
                    text("SELECT kind, key, seq FROM changes WHERE school_id = :s"), args
                )
            }
            last_seq = conn.execute(
                text("SELECT last_seq FROM school_counters WHERE school_id = :s"), args
            ).scalar_one()
            integrity = "ok"
            if engine.dialect.name == "sqlite":
                integrity = str(conn.execute(text("PRAGMA integrity_check")).scalar_one())
    finally:
        engine.dispose()
    return PortalHoldings(
        meals=Counter(r[0] for r in meal_rows),
        meal_rows=meal_rows,
        voids=Counter(r[0] for r in void_rows),
        void_rows=void_rows,
        ledger=entries,
        family_balances=balances,
        feed=feed,
        last_seq=int(last_seq),
        integrity=integrity,
    )


@dataclass
class RunCheck:
    """Every problem a crash run left, by kind (all empty when nothing was lost)."""

    meals: int = 0
    voids: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    ledger: list[str] = field(default_factory=list)
    balances: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """All problems, lost meals first."""
        return [
            *self.lost,
            *self.doubled,
            *self.invented,
            *self.gaps,
            *self.ledger,
            *self.balances,
            *self.other,
        ]


def check_records(stations: list[StationHoldings], portal: PortalHoldings, found: RunCheck) -> None:
    """Every station meal and void is at the portal exactly once, from that station, and the
    portal holds none that no station made."""
    made_meals = {mid: s.name for s in stations for mid in s.meals}
    made_voids = {vid: s.name for s in stations for vid in s.voids}
    found.meals, found.voids = len(made_meals), len(made_voids)
    kinds = (("meal", made_meals, portal.meals), ("void", made_voids, portal.voids))
    for what, made, held in kinds:
        found.lost += [f"{what} {i} of {made[i]} not at the portal" for i in made if not held[i]]
        found.doubled += [f"{what} {i} {n} times at the portal" for i, n in held.items() if n > 1]
        found.invented += [f"{what} {i} at the portal, no station" for i in held if i not in made]
    for ref, _key, _charged, station in portal.meal_rows:
        if ref in made_meals and made_meals[ref] != station:
            found.other.append(f"meal {ref} of {made_meals[ref]} recorded for {station}")
    for s in stations:
        if s.unsent:
            found.other.append(f"{s.name}: {s.unsent} outbox entries never acknowledged")
        found.other += [f"{s.name}: rejected {r}" for r in s.rejected]
        if s.integrity != "ok":
            found.other.append(f"{s.name}: integrity_check says {s.integrity}")
    if portal.integrity != "ok":
        found.other.append(f"portal: integrity_check says {portal.integrity}")


def check_ledger(
    portal: PortalHoldings, credits: Mapping[str, tuple[str, int]], found: RunCheck
) -> None:
    """Each ledger entry has its cause (meal charge ↔ meal, void refund ↔ void, credit ↔ a
    reference imported) with the cause's amount, and no cause has two entries."""
    causes: dict[str, tuple[str, int]] = {}  # reference -> (kind, amount) expected
    for _ref, key, charged, _station in portal.meal_rows:
        if charged:
            causes[f"meal:{key}"] = ("meal_charge", -charged)
    for _ref, meal_key, refund in portal.void_rows:
        if refund:
            causes[f"void:{meal_key}"] = ("void_refund", refund)
    credit_family: dict[str, str] = {}
    for reference, (family, amount) in {**SEED_CREDITS, **credits}.items():
        causes[reference] = ("credit", amount)
        credit_family[reference] = family
    entries = Counter(reference for _k, reference, _a, _f in portal.ledger)
    for kind, reference, amount, family in portal.ledger:
        if reference not in causes:
            found.ledger.append(f"ledger {kind} {reference} {amount} has no cause")
        elif causes[reference] != (kind, amount):
            found.ledger.append(f"ledger {kind} {reference} {amount}: {causes[reference]} expected")
        elif reference in credit_family and credit_family[reference] != family:
            found.ledger.append(f"credit {reference} went to {family}")
    for reference in causes:
        if entries[reference] != 1:
            found.ledger.append(f"{reference} has {entries[reference]} ledger entries")


def check_balances(
    stations: list[StationHoldings],
    shown: Mapping[str, Mapping[str, int]],
    portal: PortalHoldings,
    credits: Mapping[str, tuple[str, int]],
    found: RunCheck,
) -> None:
    """Per family: ``family_balances`` = SUM(ledger) = credits − the stations' charges +
    their refunds = what every station shows after its final pull."""
    expected: Counter[str] = Counter()
    for family, amount in [*SEED_CREDITS.values(), *credits.values()]:
        expected[family] += amount
    for s in stations:
        for charged, family in s.meals.values():
            expected[family] -= charged
        for _meal, refund, family in s.voids.values():
            expected[family] += refund
    for family, (running, total) in sorted(portal.family_balances.items()):
        if (running if running is not None else 0) != total:
            found.balances.append(f"{family}: family_balances {running}, SUM(ledger) {total}")
        if total != expected[family]:
            found.balances.append(
                f"{family}: ledger {total}, stations and credits {expected[family]}"
            )
        for name, balances in shown.items():
            if balances.get(family) != total:
                found.balances.append(f"{name} shows {balances.get(family)} for {family}, {total}")


def check_run(
    stations: list[StationHoldings],
    logs: Mapping[str, Path],
    shown: Mapping[str, Mapping[str, int]],
    portal: PortalHoldings,
    credits: Mapping[str, tuple[str, int]],
) -> RunCheck:
    """Every check of a crash run (see the module's docstring)."""
    found = RunCheck()
    check_records(stations, portal, found)
    check_ledger(portal, credits, found)
    check_balances(stations, shown, portal, credits, found)
    for s in stations:
        pages = applied_pages(logs[s.name], s.cursor)
        found.gaps += cursor_problems(
            s.name, pages, final_cursor=s.cursor, feed=portal.feed, last_seq=portal.last_seq
        )
    return found
