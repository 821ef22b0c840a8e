"""The journal proof: each pushed item's link in its station's hash chain, checked.

A station keeps its meals and voids in one hash chain (``cantine_contract/journal.py``);
each pushed item carries its link (``journal``: position, previous hash, hash, and the
journal entry's fields the item lacks or holds otherwise). Per station the portal keeps
how far the chain checked out (:class:`StationState`) and every verified link
(:class:`StationJournalLink`). An item continues the chain when

- its journal entry is the item (no field differs),
- the entry's hash is the hash of that content after the previous hash,
- it sits right after the last verified position and its previous hash is that one's.

A link already verified (a retried batch) is compared with what was stored and is not a
break. The first break is kept and shown on the stations page; the items are applied
anyway (the meals were eaten) — the proof says whether the station's record can be
trusted, it does not decide what is charged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cantine_contract.journal import GENESIS, content_fields, link_hash
from portal_sync_api.crud.bulk import insert_rows, member_of
from portal_sync_api.models import Station, StationJournalLink, StationState, table

_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Largest position accepted (a station serving 2 000 meals a day for a century is far below).
MAX_POS = 2**31 - 1


@dataclass(frozen=True)
class Link:
    """One item's link as pushed."""

    kind: str  # meal | void
    ref: str  # the item's id
    pos: int
    prev: str
    hash: str
    content: dict[str, Any]  # the journal record's content, rebuilt
    differs: tuple[str, ...]  # fields where the journal entry differs from the item
    at: str  # the record's moment (served_at or voided_at), as sent


class BadLink(ValueError):
    """A ``journal`` object that cannot be read; ``field`` names what is wrong."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def parse_link(raw: Any) -> Link | None:
    """The link of a raw batch item; ``None`` without one (an older station).

    Raises :class:`BadLink` naming the field (``journal.pos``…) for a malformed one.
    """
    if not isinstance(raw, dict) or "journal" not in raw:
        return None
    link = raw["journal"]
    if not isinstance(link, dict):
        raise BadLink("journal")
    pos = link.get("pos")
    if not isinstance(pos, int) or isinstance(pos, bool) or not 1 <= pos <= MAX_POS:
        raise BadLink("journal.pos")
    for name in ("prev", "hash"):
        value = link.get(name)
        if not isinstance(value, str) or not _HEX64.fullmatch(value):
            raise BadLink(f"journal.{name}")
    entry = link.get("entry", {})
    if not isinstance(entry, dict):
        raise BadLink("journal.entry")
    kind = raw.get("kind", "meal")
    fields = content_fields(kind)
    content: dict[str, Any] = {}
    for name in fields:
        if name in entry:
            content[name] = entry[name]
        elif name in raw:
            content[name] = raw[name]
        else:
            raise BadLink(f"journal.entry.{name}")
    if any(name not in fields for name in entry):
        raise BadLink("journal.entry")
    for value in content.values():
        if value is not None and not isinstance(value, str | int):
            raise BadLink("journal.entry")
    ref, at = raw.get("id"), content["voided_at" if kind == "void" else "served_at"]
    if not isinstance(ref, str) or not isinstance(at, str):
        raise BadLink("journal.entry")
    differs = tuple(sorted(n for n in entry if n in raw and raw[n] != entry[n]))
    return Link(kind, ref, pos, link["prev"], link["hash"], content, differs, at)


def state_of(session: Session, station: Station) -> StationState:
    """The station's state row, made on its first sync."""
    state = session.get(StationState, station.id)
    if state is None:
        state = StationState(station_id=station.id, unlinked_meals=0)
        session.add(state)
    return state


_KIND_WORD = {"meal": "repas", "void": "annulation"}


def check(
    session: Session,
    *,
    station: Station,
    kinds: Sequence[str],
    links: Sequence[Link | None],
    now: datetime,
) -> StationState:
    """Check the links of one pushed batch, in order, inside the push's transaction (the
    school's counter lock is held, so two pushes of a station never interleave here).

    ``kinds[i]`` is the kind of item ``i`` when this push applied it (``meal``, ``void``;
    ``""`` for an item rejected or already applied), ``links[i]`` its link or ``None``.
    """
    state = state_of(session, station)
    state.last_push_at = now.isoformat(timespec="seconds")
    state.unlinked_meals = (state.unlinked_meals or 0) + sum(
        1 for kind, link in zip(kinds, links, strict=True) if kind == "meal" and link is None
    )
    present = [link for link in links if link is not None]
    if not present or state.break_pos is not None:
        return state  # nothing to check, or the first break is already kept
    known: dict[int, tuple[str, str]] = {}
    # Only a position already passed can have been verified (a retry): usually none.
    passed = {x.pos for x in present if x.pos <= (state.journal_pos or 0)}
    for cond in member_of(session, StationJournalLink.pos, passed):
        rows = session.execute(
            select(StationJournalLink.pos, StationJournalLink.ref, StationJournalLink.hash).where(
                StationJournalLink.station_id == station.id, cond
            )
        )
        known.update((pos, (ref, digest)) for pos, ref, digest in rows)
    verified: list[dict[str, Any]] = []
    for link in present:
        problem = _problem(state, link, known)
        if problem == "":
            continue  # verified before: a retried push
        if problem is not None:
            state.break_pos, state.break_kind, state.break_ref = link.pos, link.kind, link.ref
            state.break_problem = problem
            state.break_at = now.isoformat(timespec="seconds")
            break
        if state.journal_pos is None:
            state.journal_first = link.pos
        state.journal_pos, state.journal_hash, state.journal_at = link.pos, link.hash, link.at
        known[link.pos] = (link.ref, link.hash)
        verified.append(
            {
                "station_id": station.id,
                "pos": link.pos,
                "kind": link.kind,
                "ref": link.ref,
                "hash": link.hash,
            }
        )
    session.flush()
    insert_rows(session, table(StationJournalLink), verified)
    return state


def _problem(state: StationState, link: Link, known: dict[int, tuple[str, str]]) -> str | None:
    """Why ``link`` breaks the chain (French), ``""`` when it was verified before, ``None``
    when it continues it."""
    if link.pos in known:
        if known[link.pos] == (link.ref, link.hash):
            return ""
        if link.pos == 1 and link.prev == GENESIS:
            return "journal recommencé au n° 1 (base du poste effacée ou remplacée)"
        return "enregistrement remplacé"
    if link_hash(link.prev, link.kind, link.content) != link.hash:
        return "enregistrement modifié dans le journal du poste"
    if link.differs:
        fields = ", ".join(link.differs)
        return f"{_KIND_WORD[link.kind]} envoyé différent de son journal ({fields})"
    if state.journal_pos is None:
        # The first link ever: from the start of the chain, or where an older version of
        # the station stopped pushing without links.
        if link.pos == 1 and link.prev != GENESIS:
            return "lien rompu : début du journal altéré"
        return None
    if link.pos <= state.journal_pos:
        # Before the first verified link: pushed late (it was pending when the station
        # started sending links). It cannot be placed in the verified chain: left aside.
        return "" if link.pos < (state.journal_first or 0) else "enregistrement remplacé"
    if link.pos != state.journal_pos + 1:
        return f"enregistrement manquant : n° {state.journal_pos + 1} attendu"
    if link.prev != state.journal_hash:
        return "lien rompu : l'enregistrement précédent a changé"
    return None
