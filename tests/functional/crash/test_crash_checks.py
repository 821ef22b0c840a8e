"""The crash tests' checks catch what they are there to catch: a skipped seq, a lost or
doubled meal, a ledger entry without its cause (on made-up holdings, no portal needed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.support.crash_checks import (
    PortalHoldings,
    RunCheck,
    StationHoldings,
    check_ledger,
    check_records,
    cursor_problems,
)
from tests.support.page_log import PulledPage, applied_pages

FEED = {("meal", "m1"): 2, ("balance", "F1"): 3, ("meal", "m2"): 4}


def write_log(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


def test_a_page_cut_by_a_kill_counts_only_if_the_next_pull_started_after_it(
    tmp_path: Path,
) -> None:
    log = write_log(
        tmp_path / "pages.jsonl",
        {"page": 0, "next": 2, "changes": [[1, "school", "1849"], [2, "meal", "m1"]]},
        # killed after the commit, before "applied": the next pull starts from 2
        {"page": 2, "next": 3, "changes": [[3, "balance", "F1"]]},
        # killed before the commit: the next pull starts from 3 again
        {"page": 3, "next": 4, "changes": [[4, "meal", "m2"]]},
        {"page": 3, "next": 4, "changes": [[4, "meal", "m2"]]},
        {"applied": 4},
    )
    pages = applied_pages(log, final_cursor=4)
    assert [(p.since, p.next) for p in pages] == [(0, 2), (2, 3), (3, 4)]


def test_a_seq_committed_behind_the_cursor_is_reported_as_skipped() -> None:
    # The station read up to seq 4 while seq 3 was not committed yet: it never sees it.
    pages = [PulledPage(0, 2, [(2, "meal", "m1")]), PulledPage(2, 4, [(4, "meal", "m2")])]
    problems = cursor_problems("ligne-1", pages, final_cursor=4, feed=FEED, last_seq=4)
    assert problems == ["ligne-1: seq 3 (balance F1) skipped: never applied"]


def test_a_row_applied_then_moved_to_a_later_seq_is_not_a_gap() -> None:
    feed = {("meal", "m1"): 5}
    pages = [PulledPage(0, 2, [(2, "meal", "m1")]), PulledPage(2, 5, [(5, "meal", "m1")])]
    assert cursor_problems("ligne-1", pages, final_cursor=5, feed=feed, last_seq=5) == []


def test_a_seq_applied_twice_is_reported() -> None:
    feed = {("meal", "m1"): 2}
    pages = [PulledPage(0, 2, [(2, "meal", "m1")]), PulledPage(0, 2, [(2, "meal", "m1")])]
    problems = cursor_problems("ligne-1", pages, final_cursor=2, feed=feed, last_seq=2)
    assert "ligne-1: seq 2 applied twice" in problems


def holdings(
    meals: list[tuple[str, str, int, str]], ledger: list[tuple[str, str, int, str]]
) -> PortalHoldings:
    return PortalHoldings(
        meals=Counter(m[0] for m in meals),
        meal_rows=meals,
        voids=Counter(),
        void_rows=[],
        ledger=ledger,
        family_balances={},
        feed={},
        last_seq=0,
    )


def station(*meal_ids: str) -> StationHoldings:
    return StationHoldings("ligne-1", {m: (415, "F1") for m in meal_ids}, {}, 0, [], 0, "ok")


def test_a_meal_missing_or_doubled_at_the_portal_is_reported() -> None:
    portal = holdings([("m2", "k2", 415, "ligne-1"), ("m2", "k3", 415, "ligne-1")], [])
    found = RunCheck()
    check_records([station("m1", "m2")], portal, found)
    assert found.lost == ["meal m1 of ligne-1 not at the portal"]
    assert found.doubled == ["meal m2 2 times at the portal"]


def test_a_ledger_entry_without_its_cause_and_a_meal_without_its_charge_are_reported() -> None:
    portal = holdings(
        [("m1", "k1", 415, "ligne-1")],
        [("credit", "NOBODY-PAID", 1000, "F1"), ("credit", "SEED-1849-1", 5000, "F18491")],
    )
    found = RunCheck()
    check_ledger(portal, {}, found)
    assert "ledger credit NOBODY-PAID 1000 has no cause" in found.ledger
    assert "meal:k1 has 0 ledger entries" in found.ledger
