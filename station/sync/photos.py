"""Children's photos at the line: after each pull, fetch what the feed announces.

The portal announces each child's photo by the SHA-256 of its JPEG (feed kind ``photo``,
docs/sync-protocol.md) and serves the bytes of an announced hash at
``GET /v1/sync/photos/{sha256}``. This runs in the sync thread after a successful pull,
never on the scan path:

- files live in a folder beside the database (:func:`photo_dir`), named by their hash,
  mode 0600 in a 0700 folder;
- a download goes to ``<hash>.jpg.part``, is fsynced, checked against its hash and only
  then renamed; a cut download keeps its part and resumes next time with ``Range``;
- files of hashes no longer announced (photo replaced or removed, consent withdrawn,
  ``photo_at_line`` off, child gone from the roster) and unknown files are deleted;
- the folder stays under ``[sync] photo_cache_mb``: past it the oldest files go first,
  and a photo that does not fit is not fetched (the line shows the initials);
- ``children.photo`` points at the local file once it is there.

Listeners registered with :func:`on_fetched` (the serving screen's picture cache) are
then told which files are present, in the same thread, so a scan finds them decoded.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from station.core.errors import StationError, SyncError
from station.store import Store, cache
from station.sync.client import PortalClient

log = logging.getLogger(__name__)

SUFFIX = ".jpg"
PART = ".jpg.part"
#: No photo the portal makes is near this (256×256 JPEG, about 15 kB): a larger answer
#: is not a photo of ours and is not written.
MAX_PHOTO_BYTES = 2 * 1024 * 1024
#: Read size: a cut connection loses at most the unfinished read, the rest stays in the part.
_CHUNK = 1024

Listener = Callable[[Sequence[Path]], None]
_listeners: list[Listener] = []


def on_fetched(listener: Listener) -> None:
    """Call ``listener`` with the present photo files after each photo sync."""
    if listener not in _listeners:
        _listeners.append(listener)


def photo_dir(database: Path) -> Path:
    """The photo folder of the station whose database is ``database``:
    ``/var/lib/cantine/station.db`` → ``/var/lib/cantine/station-photos``."""
    return database.parent / f"{database.stem}-photos"


@dataclass(frozen=True)
class PhotoResult:
    """What one photo sync did."""

    fetched: int = 0
    removed: int = 0
    """Files deleted because nothing announces them any more (or unknown)."""
    evicted: int = 0
    """Announced photos deleted to stay under the disk cap."""
    skipped: int = 0
    """Announced photos not fetched: they do not fit under the cap."""
    failed: int = 0
    error: str | None = None
    present: tuple[Path, ...] = field(default=())


class _Skip(Exception):
    """This photo is not fetched now (gone from the portal, or no room for it)."""


def sync_photos(
    store: Store, client: PortalClient, *, directory: Path, cap_bytes: int
) -> PhotoResult:
    """Bring the photo folder in line with the announced photos; never raises for
    network or disk trouble (the next sync retries; the line shows initials meanwhile)."""
    try:
        return _sync_photos(store, client, directory, cap_bytes)
    except OSError as e:
        log.warning("photo folder unusable: %s", e.strerror)
        return PhotoResult(error=f"Dossier des photos inutilisable ({directory}) : {e.strerror}")


def _sync_photos(
    store: Store, client: PortalClient, directory: Path, cap_bytes: int
) -> PhotoResult:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with store.read() as conn:
        announced = cache.announced_photos(conn)
        pointed = cache.photo_files(conn)
    wanted = set(announced.values())
    removed = _remove_unwanted(directory, wanted)
    used, evicted = _evict(directory, cap_bytes)
    fetched = skipped = failed = 0
    error: str | None = None
    first_child: dict[str, str] = {}
    for child, sha in sorted(announced.items(), reverse=True):
        first_child[sha] = child
    for sha in sorted(wanted, key=first_child.__getitem__):
        if (directory / f"{sha}{SUFFIX}").is_file() or sha in evicted:
            skipped += sha in evicted
            continue
        if error is not None:  # the portal is unreachable: the rest waits for next time
            failed += 1
            continue
        try:
            used += _download(client, directory, sha, room=cap_bytes - used)
            fetched += 1
        except _Skip:
            skipped += 1
        except SyncError as e:
            failed += 1
            error = e.message
            log.warning("photo download failed: %s", e.message)
    present = {sha: directory / f"{sha}{SUFFIX}" for sha in wanted}
    present = {sha: path for sha, path in present.items() if path.is_file()}
    files = {
        child: (str(present[sha]) if sha in present else None) for child, sha in announced.items()
    }
    # Written only when something changed: no write lock every sync for nothing.
    changed = {child: path for child, path in files.items() if pointed.get(child) != path}
    try:
        if changed:
            with store.write() as conn:
                cache.set_photo_files(conn, changed)
    except StationError as e:  # a busy database: the next sync points them
        log.info("photo files not recorded yet: %s", e.message)
    paths = tuple(sorted(present.values()))
    for listener in list(_listeners):
        try:
            listener(paths)
        except Exception:  # a broken listener must not stop the sync
            log.exception("photo listener failed")
    return PhotoResult(fetched, removed, len(evicted), skipped, failed, error, paths)


def _sha_of(name: str) -> str | None:
    for suffix in (PART, SUFFIX):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def _remove_unwanted(directory: Path, wanted: set[str]) -> int:
    """Delete every file that is not (a part of) an announced photo."""
    removed = 0
    for entry in directory.iterdir():
        if _sha_of(entry.name) in wanted and entry.is_file():
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                continue  # never ours: left alone
            entry.unlink()
            removed += 1
        except OSError as e:
            log.warning("photo file not removed: %s", e.strerror)
    return removed


def _evict(directory: Path, cap_bytes: int) -> tuple[int, set[str]]:
    """Delete the oldest files until the folder fits under ``cap_bytes``; returns the
    bytes used then and the hashes evicted (not fetched again in this run)."""
    files = [(p, p.stat()) for p in directory.iterdir() if p.is_file()]
    used = sum(stat.st_size for _p, stat in files)
    evicted: set[str] = set()
    # Parts first (unfinished, worth least), then the oldest finished files.
    for path, stat in sorted(files, key=lambda f: (not f[0].name.endswith(PART), f[1].st_mtime)):
        if used <= cap_bytes:
            break
        path.unlink(missing_ok=True)
        used -= stat.st_size
        sha = _sha_of(path.name)
        if sha is not None:
            evicted.add(sha)
    return used, evicted


def _download(client: PortalClient, directory: Path, sha: str, *, room: int) -> int:
    """Fetch one photo into ``<sha>.jpg`` (resuming its part); returns the bytes added to
    the folder. Raises :class:`_Skip` when it is gone or does not fit, ``SyncError`` for
    network trouble (the part stays for the next try)."""
    final = directory / f"{sha}{SUFFIX}"
    part = directory / f"{sha}{PART}"
    have = before = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = client.session.get(
            f"{client.url}/v1/sync/photos/{sha}",
            headers=headers,
            timeout=client.timeout,
            verify=client.verify,
            stream=True,
        )
    except requests.exceptions.RequestException as e:
        raise SyncError(f"Photo non téléchargée : {type(e).__name__}") from e
    with response:
        if response.status_code == 416:  # the part is no prefix of it: start again
            part.unlink(missing_ok=True)
            raise _Skip(sha)
        if response.status_code == 404:
            raise _Skip(sha)
        if response.status_code == 206 and have:
            total = int(response.headers.get("Content-Range", "/0").rsplit("/", 1)[1] or 0)
        elif response.status_code == 200:
            have, total = 0, int(response.headers.get("Content-Length") or 0)
        else:
            raise SyncError(f"Le portail a répondu {response.status_code} pour une photo.")
        if not 0 < total <= MAX_PHOTO_BYTES or total - have > room:
            raise _Skip(sha)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if have else os.O_TRUNC)
        with os.fdopen(os.open(part, flags, 0o600), "ab" if have else "wb") as out:
            written = have
            try:
                for chunk in response.iter_content(_CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                    if written > total:
                        break
            except requests.exceptions.RequestException as e:
                raise SyncError(f"Photo interrompue : {type(e).__name__}") from e
            finally:
                out.flush()
                os.fsync(out.fileno())
    data = part.read_bytes()
    if len(data) > total:  # more than announced: not the photo, start again
        part.unlink(missing_ok=True)
        raise SyncError("Photo reçue trop longue : nouvel essai plus tard.")
    if len(data) < total:
        raise SyncError("Photo interrompue : elle sera reprise à la prochaine synchronisation.")
    if hashlib.sha256(data).hexdigest() != sha:
        part.unlink(missing_ok=True)
        raise SyncError("Photo reçue altérée (empreinte différente) : nouvel essai plus tard.")
    os.chmod(part, 0o600)
    os.replace(part, final)
    _fsync_dir(directory)
    return len(data) - before


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
