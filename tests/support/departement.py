"""Helpers of the département seeder tests: the small shape they use and a station's
whole feed read through ``GET /v1/sync/changes``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from bench.departement_seed import Departement, StationSeat

#: Three schools of 100 pupils: the clones (1850, 1851) are checked against the first.
SMALL: dict[str, int] = {"schools": 3, "pupils": 300, "seed": 1849}


@dataclass(frozen=True)
class Feed:
    """What a station pulled: its school, the position reached and every change."""

    school: str
    next: int
    changes: list[dict[str, Any]]

    def of_kind(self, kind: str) -> dict[str, Any]:
        """``data`` of each change of ``kind``, by key."""
        return {c["key"]: c["data"] for c in self.changes if c["kind"] == kind}


def pull(client: httpx.Client, station: StationSeat, since: int = 0) -> Feed:
    """Every change after ``since`` for ``station``, page after page."""
    changes: list[dict[str, Any]] = []
    school = ""
    while True:
        answer = client.get(
            "/v1/sync/changes",
            params={"since": since, "limit": 5000},
            headers={"Authorization": f"Bearer {station.token}"},
        )
        assert answer.status_code == 200, answer.text[:300]
        page = json.loads(answer.text)
        school = page["school"]
        changes += page["changes"]
        since = page["next"]
        if not page["more"]:
            return Feed(school, since, changes)


def station_of(seeded: Departement, school: str) -> StationSeat:
    """The first station of ``school``."""
    return next(s for s in seeded.stations if s.school == school)


def as_first_school(text: str, code: str, first: str) -> str:
    """A key of school ``code``'s feed written with the first school's ids (a school's
    and its settings' key is the code itself)."""
    if text == code:
        return first
    for old, new in (
        (f"C{code}", f"C{first}"),
        (f"F{code}", f"F{first}"),
        (f"{code}-", f"{first}-"),
    ):
        text = text.replace(old, new)
    return text
