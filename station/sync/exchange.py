"""One push of the outbox and one pull of the changes feed, against a ``Store``."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from station.core.errors import SyncError
from station.core.timeutil import iso
from station.store import Store, cache, outbox
from station.sync.client import PortalClient


@dataclass(frozen=True)
class PushResult:
    acknowledged: int = 0
    rejected: int = 0
    batches: int = 0


@dataclass(frozen=True)
class PullResult:
    changes: int = 0
    pages: int = 0
    cursor: int = 0


def push_outbox(
    store: Store, client: PortalClient, *, batch_size: int, now: datetime
) -> PushResult:
    """Send every pending entry, oldest first, batch by batch.

    An entry is done only when the portal answered ``applied`` or ``duplicate`` for it;
    a network failure leaves the batch pending (the retry is idempotent on the portal).
    """
    acked = refused = batches = 0
    while True:
        with store.read() as conn:
            entries = outbox.pending(conn, batch_size)
            items = outbox.with_journal(conn, entries)
        if not entries:
            return PushResult(acked, refused, batches)
        try:
            results = client.push(items)
        except SyncError as e:
            with store.write() as conn:
                outbox.note_failure(conn, entries, e.message)
            raise
        try:
            with store.write() as conn:
                ok, bad, left = outbox.record_results(conn, entries, results, iso(now))
        except outbox.ProtocolError as e:
            raise SyncError(f"Réponse d'envoi incohérente : {e}") from e
        acked, refused, batches = acked + ok, refused + bad, batches + 1
        if left:
            raise SyncError(f"{left} passage(s) sans accusé exploitable : nouvel essai plus tard.")


def pull_changes(
    store: Store, client: PortalClient, *, station: str, page_size: int, now: datetime
) -> PullResult:
    """Fetch every page after the stored cursor; each page and its cursor in one transaction.

    The next page is requested while the current one is being written (one page ahead,
    on a helper thread), so a first pull costs about max(network, disk) rather than the sum.
    A failure anywhere leaves the cache at the last whole page applied.
    """
    with store.read() as conn:
        cursor = cache.pull_cursor(conn)
    total = pages = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull") as ahead:
        page = client.changes(cursor, page_size)
        while True:
            next_cursor = int(page["next"])
            if next_cursor < cursor:
                raise SyncError("Le portail a renvoyé un curseur en arrière.")
            following: Future[dict[str, Any]] | None = None
            if page["more"]:
                following = ahead.submit(client.changes, next_cursor, page_size)
            try:
                total += store.apply_page(page["changes"], next_cursor, station, iso(now))
            except (KeyError, TypeError, ValueError) as e:
                if following is not None:
                    following.cancel()
                raise SyncError(f"Changement illisible reçu du portail : {e!r}") from e
            cursor, pages = next_cursor, pages + 1
            if following is None:
                return PullResult(total, pages, cursor)
            page = following.result()
