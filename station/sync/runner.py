"""Running sync: once (``station sync --once``), in a loop, or as a thread beside the app.

All three share ``Synchronizer.run_once``: push the outbox, then pull the feed, then
checkpoint the WAL, on a connection of their own so a scan never waits for the network.
Before its first push, a synchronizer asks the portal which school its token belongs to
and stops there, nothing sent or written, when it is not the configured school.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from station import __version__
from station.core.clock import Clock, SystemClock
from station.core.config import StationConfig
from station.core.errors import ConfigError, StationError, SyncError
from station.core.timeutil import iso
from station.store import Store, cache, outbox
from station.sync.backoff import retry_delay
from station.sync.client import PortalClient
from station.sync.exchange import PullResult, PushResult, pull_changes, push_outbox
from station.sync.photos import PhotoResult, photo_dir, sync_photos
from station.sync.status import SyncStatus, cycle_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    """Outcome of one sync attempt."""

    ok: bool
    push: PushResult
    pull: PullResult
    error: str | None = None
    #: The token is another school's: a configuration error, not a network one.
    wrong_school: bool = False
    #: The children's photos fetched after the pull (``None``: not tried).
    photos: PhotoResult | None = None


class Synchronizer:
    """Push then pull for one station, with its own store connection and HTTP session."""

    def __init__(
        self,
        config: StationConfig,
        *,
        clock: Clock | None = None,
        client: PortalClient | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        portal = config.portal
        self.client = client or PortalClient(
            portal.url, portal.token, timeout=portal.timeout_seconds, ca_bundle=portal.ca_bundle
        )
        self.store = Store(config.station.database)
        self.client.telemetry = self.telemetry
        self.online = False
        self.last_error: str | None = None
        self.last_success: datetime | None = None
        self.last_result: SyncResult | None = None
        self.school_checked = False
        self._pending = 0

    def run_once(self) -> SyncResult:
        """Push the whole outbox, then pull every page; never raises for network trouble."""
        self.last_result = self._cycle()
        return self.last_result

    def _cycle(self) -> SyncResult:
        push, pull = PushResult(), PullResult()
        self._count_pending()
        try:
            if not self.school_checked:
                check_school(self.client, self.config.station.school)
                self.school_checked = True
            push = push_outbox(
                self.store,
                self.client,
                batch_size=self.config.portal.batch_size,
                now=self.clock.now(),
            )
            self._count_pending()
            # Pull only after a complete push: a pulled balance then never includes a
            # charge whose acknowledgement this station has not recorded yet.
            pull = pull_changes(
                self.store,
                self.client,
                station=self.config.station.name,
                page_size=self.config.portal.page_size,
                now=self.clock.now(),
            )
        except StationError as e:
            self.online = not isinstance(e, SyncError)
            self.last_error = e.message
            log.warning("sync failed: %s", e.message)
            return SyncResult(False, push, pull, e.message, isinstance(e, WrongSchoolError))
        self.online = True
        self.last_error = None
        self.last_success = self.clock.now()
        try:
            self.store.checkpoint()
        except StationError as e:  # a busy database only delays the checkpoint
            log.info("checkpoint skipped: %s", e.message)
        log.info(
            "sync ok: %d acknowledged, %d rejected, %d changes in %d pages",
            push.acknowledged,
            push.rejected,
            pull.changes,
            pull.pages,
        )
        # After a whole pull, in this thread: the photos the feed now announces.
        photos = sync_photos(
            self.store,
            self.client,
            directory=photo_dir(self.config.station.database),
            cap_bytes=self.config.sync.photo_cache_bytes,
        )
        return SyncResult(True, push, pull, photos=photos)

    def _count_pending(self) -> None:
        """Count the meals waiting, in this thread, for :meth:`telemetry`."""
        try:
            with self.store.read() as conn:
                self._pending, _rejected = outbox.counts(conn)
        except StationError as e:  # telemetry only: the cycle reports the store's trouble
            log.info("pending count skipped: %s", e.message)

    def telemetry(self) -> dict[str, str]:
        """What the portal's stations page shows of this station, sent as headers with
        each request: version, clock, meals waiting, sync interval. It never touches the
        store: the pull fetches its next page in another thread while this one writes the
        current page on the same connection, so the count is the one taken at the start of
        the cycle and after the push."""
        return {
            "X-Station-Version": __version__,
            "X-Station-Clock": iso(self.clock.now()),
            "X-Station-Pending": str(self._pending),
            "X-Station-Interval": str(self.config.portal.sync_interval_seconds),
        }

    def status(self) -> SyncStatus:
        with self.store.read() as conn:
            pending, rejected = outbox.counts(conn)
            pulled = cache.meta(conn, "pulled_at")
        return SyncStatus(
            online=self.online,
            pending=pending,
            rejected=rejected,
            last_success=self.last_success,
            pulled_at=datetime.fromisoformat(pulled) if pulled else None,
            last_error=self.last_error,
            now=self.clock.now(),
            stale_after=timedelta(hours=self.config.station.stale_after_hours),
            last_cycle=_cycle_line(self.last_result),
        )

    def close(self) -> None:
        self.client.close()
        self.store.close()


def _cycle_line(result: SyncResult | None) -> str | None:
    if result is None:
        return None
    return cycle_line(
        ok=result.ok,
        sent=result.push.acknowledged,
        rejected=result.push.rejected,
        received=result.pull.changes,
        error=result.error,
    )


class WrongSchoolError(ConfigError):
    """The portal says the token belongs to another school than the configured one."""


def check_school(client: PortalClient, school: str) -> None:
    """Refuse a token of another school before anything is sent or written.

    An empty page of the changes feed (cursor past any real one) names the token's school.
    """
    page = client.changes(2**31 - 1, 1)
    actual = page.get("school")
    if actual != school:
        raise WrongSchoolError(
            f"le jeton du poste appartient à l'école {actual}, pas à l'école {school} "
            "configurée ([station] school) : rien n'a été envoyé ni reçu. Demandez le jeton "
            "de ce poste à l'administrateur du portail."
        )


def sync_once(config: StationConfig, *, clock: Clock | None = None) -> SyncResult:
    """One push + pull; the result says whether both succeeded.

    Raises :class:`WrongSchoolError` (``station sync --once`` exits 2) when the token is
    another school's.
    """
    sync = Synchronizer(config, clock=clock)
    try:
        result = sync.run_once()
    finally:
        sync.close()
    if result.wrong_school:
        raise WrongSchoolError(result.error or "")
    return result


class SyncRunner:
    """A plain thread syncing every ``sync_interval_seconds``, backing off when offline.

    ``on_status`` (and ``on_result``, with the attempt's outcome) are called from the
    runner's thread after every attempt; a UI posts a message from it. ``trigger`` asks for
    a sync now (F9). ``run`` is the same loop in the caller's thread (``station sync``).
    """

    def __init__(
        self,
        config: StationConfig,
        *,
        on_status: Callable[[SyncStatus], None],
        on_result: Callable[[SyncResult], None] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.on_status = on_status
        self.on_result = on_result
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._sync: Synchronizer | None = None
        self._last_status: SyncStatus | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="sync", daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        self._wake.set()

    def is_alive(self) -> bool:
        """Whether the thread :meth:`start` began is still syncing."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def status(self) -> SyncStatus | None:
        return self._last_status

    def _publish(self, status: SyncStatus) -> None:
        self._last_status = status
        try:
            self.on_status(status)
        except Exception:  # a broken listener must not stop the sync
            log.exception("sync status listener failed")

    def run(self) -> None:
        """Sync every interval (backing off while the portal fails) until ``stop``."""
        failures = 0
        try:
            self._sync = Synchronizer(self.config, clock=self.clock)
        except StationError as e:
            log.error("sync cannot start: %s", e.message)
            return
        try:
            while not self._stop.is_set():
                result = self._sync.run_once()
                failures = 0 if result.ok else failures + 1
                if self.on_result is not None:
                    self.on_result(result)
                try:
                    self._publish(self._sync.status())
                except StationError as e:
                    log.warning("sync status unavailable: %s", e.message)
                interval = float(self.config.portal.sync_interval_seconds)
                delay = (
                    interval
                    if result.ok
                    else retry_delay(failures, base=1.0, cap=max(interval, 60.0), rng=self.rng)
                )
                self._wake.wait(delay)
                self._wake.clear()
        finally:
            self._sync.close()
