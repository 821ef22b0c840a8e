"""Children's photos at the line: a parent's photo reaches the school's station with the
next sync (a 0600 file named by its SHA-256 beside the database) and shows beside the
name at the scan; a removed photo, ``photo_at_line`` off or another school's token get
nothing; a cut download resumes next time; the disk cap evicts the oldest.

A real portal process (``portal``), a real station store per test, a fault-injecting
proxy between them (``proxy``) and the real serving app under Pilot."""

from __future__ import annotations

import hashlib
import io
import os
import random
import stat
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select, text

from cantine_harness.portal import PortalProcess, SeededSchool, seed_school
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.crud.logins import create_login
from portal_sync_api.crud.roster import transfer_child
from portal_sync_api.crud.schools import set_school
from portal_sync_api.models import School
from station.core.clock import FixedClock
from station.core.config import load_config
from station.core.models import Source
from station.readers.events import ScanEvent
from station.store import cache
from station.sync.photos import photo_dir
from station.sync.runner import sync_once
from station.ui.app import build_app
from station.ui.messages import ScanReceived
from station.ui.widgets.block_font import big_text
from station.ui.widgets.serving.child_photo import (
    PHOTO_COLS,
    PHOTO_ROWS,
    PICTURES,
    TALL_COLS,
    TALL_ROWS,
    ChildPhoto,
)
from station.ui.widgets.serving.verdict_panel import VerdictPanel
from tests.functional.sync.proxy import Fault, FaultyProxy
from tests.support.family_pages import Browser
from tests.support.sync import NOON, Station

PARENT = "parent.photos@example.fr"
PASSWORD = "mot de passe photos 1849"
SHOTS = Path("/tmp/shots/photos")

pytestmark = pytest.mark.anyio


def picture(colour: tuple[int, int, int], *, noisy: bool = False) -> bytes:
    """A JPEG a parent might send: a face-like disc on ``colour``; ``noisy`` makes a file
    that stays large after the portal re-encodes it (about 50 kB)."""
    image = Image.new("RGB", (600, 600), colour)
    if noisy:
        image = Image.frombytes("RGB", (600, 600), random.Random(1849).randbytes(600 * 600 * 3))
    ImageDraw.Draw(image).ellipse((150, 120, 450, 480), fill=(240, 200, 160))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def parent(portal: PortalProcess, school: SeededSchool) -> Browser:
    """The parent of family F18491 (Hervé and Léa), logged in on the real portal."""
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            create_login(
                session,
                email=PARENT,
                password=PASSWORD,
                role="parent",
                family_id=school.families[0],
            )
    finally:
        engine.dispose()
    person = Browser(httpx.Client(base_url=portal.url, timeout=30))  # type: ignore[arg-type]
    answer = person.post("/connexion", {"email": PARENT, "password": PASSWORD}, page="/connexion")
    assert answer.status_code == 303, answer.text
    return person


def upload(person: Browser, child: str, data: bytes) -> None:
    answer = person.post(
        f"/famille/enfants/{child}/photo",
        {"consent": "oui"},
        page=f"/famille/enfants/{child}",
        files={"photo": ("photo.jpg", data, "image/jpeg")},
    )
    assert answer.status_code == 303, answer.text


def remove(person: Browser, child: str) -> None:
    answer = person.post(
        f"/famille/enfants/{child}/photo/supprimer", page=f"/famille/enfants/{child}"
    )
    assert answer.status_code == 303, answer.text


def stored_sha(portal: PortalProcess, child: str) -> str:
    engine = make_engine(portal.database_url)
    try:
        with engine.connect() as conn:
            return str(
                conn.execute(
                    text(
                        "SELECT p.sha256 FROM child_photos p JOIN children c "
                        "ON c.id = p.child_id WHERE c.ref = :ref"
                    ),
                    {"ref": child},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def set_photo_at_line(portal: PortalProcess, on: bool) -> None:
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            set_school(session, code="1849", settings={"photo_at_line": on})
    finally:
        engine.dispose()


def feed_photos(portal: PortalProcess, token: str) -> dict[str, object]:
    """``child id → data`` of every ``photo`` change the token's station pulls."""
    answer = httpx.get(
        f"{portal.url}/v1/sync/changes",
        params={"since": 0, "limit": 5000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {c["key"]: c["data"] for c in answer.json()["changes"] if c["kind"] == "photo"}


def get_photo(portal: PortalProcess, token: str, sha: str, **headers: str) -> httpx.Response:
    return httpx.get(
        f"{portal.url}/v1/sync/photos/{sha}",
        headers={"Authorization": f"Bearer {token}", **headers},
        timeout=30,
    )


def files(station: Station) -> dict[str, Path]:
    folder = photo_dir(station.db)
    return {p.name: p for p in folder.iterdir()} if folder.is_dir() else {}


def child_photo(station: Station, child: str) -> str | None:
    with station.line.store.read() as conn:
        found = cache.get_child(conn, child)
    assert found is not None
    return found.photo


def with_cap(station: Station, megabytes: float) -> Station:
    """The same station with ``[sync] photo_cache_mb`` set."""
    path = station.config.path
    assert path is not None
    path.write_text(
        path.read_text(encoding="utf-8") + f"[sync]\nphoto_cache_mb = {megabytes}\n",
        encoding="utf-8",
    )
    return Station(load_config(path), station.line)


def test_a_parents_photo_is_on_the_station_after_one_sync(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    herve = school.children[0]
    upload(parent(portal, school), herve, picture((30, 90, 200)))
    sha = stored_sha(portal, herve)
    result = sync_once(station.config)
    assert result.ok and result.photos is not None and result.photos.fetched == 1
    path = photo_dir(station.db) / f"{sha}.jpg"
    assert set(files(station)) == {path.name}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert child_photo(station, herve) == str(path)
    assert child_photo(station, school.children[2]) is None  # Tom has none
    # A later child change (here: a new sync pulling the whole feed again) keeps it.
    assert sync_once(station.config).photos.fetched == 0  # type: ignore[union-attr]
    assert child_photo(station, herve) == str(path)


async def test_the_verdict_panel_shows_the_photo_after_a_scan_of_that_child(
    station: Station, school: SeededSchool, portal: PortalProcess, tmp_path: Path
) -> None:
    herve, tom = school.children[0], school.children[2]
    upload(parent(portal, school), herve, picture((30, 90, 200)))
    PICTURES.clear()
    assert sync_once(station.config).ok
    path = Path(child_photo(station, herve) or "")
    # Decoded by the sync, before any scan needs it.
    assert PICTURES.has(path, TALL_COLS, TALL_ROWS)
    misses = PICTURES.misses
    app = build_app(station.line, clock=FixedClock(NOON), export_dir=tmp_path, flash_seconds=0)
    async with app.run_test(size=(128, 40)) as pilot:
        app.post_message(
            ScanReceived(ScanEvent(school.cards[herve], Source.SERIAL, NOON, "douchette"))
        )
        await pilot.pause()
        photo = app.screen.query_one(ChildPhoto)
        assert photo.shown_photo == path
        drawn = "".join(strip.text for strip in photo.render_lines(photo.region.reset_offset))
        assert "▀" in drawn and "HD" not in drawn
        assert PICTURES.misses == misses  # no decoding at the scan
        SHOTS.mkdir(parents=True, exist_ok=True)
        app.save_screenshot("serving_with_photo.svg", path=str(SHOTS))
        # Another child without a photo: the initials, never an error.
        app.post_message(
            ScanReceived(ScanEvent(school.cards[tom], Source.SERIAL, NOON, "douchette"))
        )
        await pilot.pause()
        assert photo.shown_photo is None
        assert str(photo.render()) == "\n".join(big_text("TM"))
        # A refusal shows the photo too, in the smaller frame of a 24-row terminal.
        await pilot.resize_terminal(80, 24)
        app.post_message(
            ScanReceived(ScanEvent(school.cards[herve], Source.SERIAL, NOON, "douchette"))
        )
        await pilot.pause()
        assert app.serving.query_one(VerdictPanel).state == "-refused"
        assert photo.shown_photo == path and photo.cells() == (PHOTO_COLS, PHOTO_ROWS)
        drawn = "".join(strip.text for strip in photo.render_lines(photo.region.reset_offset))
        assert "▀" in drawn and "HD" not in drawn
        app.save_screenshot("serving_with_photo_80x24.svg", path=str(SHOTS))


def test_a_removed_photo_is_gone_from_the_station_after_the_next_sync(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    herve = school.children[0]
    person = parent(portal, school)
    upload(person, herve, picture((200, 60, 60)))
    assert sync_once(station.config).ok
    assert len(files(station)) == 1
    remove(person, herve)
    assert feed_photos(portal, school.station_token) == {herve: None}
    result = sync_once(station.config)
    assert result.ok and result.photos is not None and result.photos.removed == 1
    assert files(station) == {}
    assert child_photo(station, herve) is None


def test_a_replaced_photo_replaces_the_file(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    herve = school.children[0]
    person = parent(portal, school)
    upload(person, herve, picture((200, 60, 60)))
    assert sync_once(station.config).ok
    upload(person, herve, picture((60, 200, 60)))
    new = stored_sha(portal, herve)
    assert sync_once(station.config).ok
    assert set(files(station)) == {f"{new}.jpg"}
    assert child_photo(station, herve) == str(photo_dir(station.db) / f"{new}.jpg")


def test_a_station_of_another_school_never_receives_it(
    school: SeededSchool, portal: PortalProcess
) -> None:
    herve = school.children[0]
    upload(parent(portal, school), herve, picture((30, 90, 200)))
    sha = stored_sha(portal, herve)
    other = seed_school(portal.database_url, code="1850")
    assert feed_photos(portal, other.station_token) == {}
    assert get_photo(portal, other.station_token, sha).status_code == 404
    # Its own school's station gets it, cacheable for ever, resumable.
    own = get_photo(portal, school.station_token, sha)
    assert own.status_code == 200 and hashlib.sha256(own.content).hexdigest() == sha
    assert own.headers["etag"] == f'"{sha}"'
    assert "immutable" in own.headers["cache-control"]
    assert feed_photos(portal, school.station_token) == {herve: {"child_id": herve, "sha256": sha}}
    tail = get_photo(portal, school.station_token, sha, Range="bytes=100-")
    assert tail.status_code == 206 and tail.content == own.content[100:]
    assert (
        get_photo(portal, school.station_token, sha, **{"If-None-Match": f'"{sha}"'}).status_code
        == 304
    )
    # A parent's or the intendance's token is no station's.
    assert get_photo(portal, school.parent_token, sha).status_code == 404
    bad = get_photo(portal, school.station_token, "not-a-hash")
    assert bad.status_code == 422 and bad.json()["field"] == "sha256"


def test_photo_at_line_off_announces_nothing(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    herve, lea = school.children[0], school.children[1]
    person = parent(portal, school)
    upload(person, herve, picture((30, 90, 200)))
    assert sync_once(station.config).ok and len(files(station)) == 1
    set_photo_at_line(portal, False)
    upload(person, lea, picture((90, 30, 200)))  # uploaded while off: not announced either
    assert feed_photos(portal, school.station_token) == {herve: None, lea: None}
    assert get_photo(portal, school.station_token, stored_sha(portal, herve)).status_code == 404
    assert sync_once(station.config).ok
    assert files(station) == {}
    assert child_photo(station, herve) is None
    set_photo_at_line(portal, True)
    assert sync_once(station.config).ok
    assert set(files(station)) == {
        f"{stored_sha(portal, herve)}.jpg",
        f"{stored_sha(portal, lea)}.jpg",
    }


def test_an_interrupted_download_is_resumed_on_the_next_sync(
    station: Station, school: SeededSchool, portal: PortalProcess, proxy: FaultyProxy
) -> None:
    herve = school.children[0]
    upload(parent(portal, school), herve, picture((30, 90, 200), noisy=True))
    sha = stored_sha(portal, herve)
    size = len(get_photo(portal, school.station_token, sha).content)
    assert size > 20_000
    proxy.fault = Fault("cut", match="GET /v1/sync/photos/", times=1, cut_bytes=size // 2)
    cut = sync_once(station.config)
    assert cut.ok and cut.photos is not None and cut.photos.failed == 1
    part = photo_dir(station.db) / f"{sha}.jpg.part"
    assert set(files(station)) == {part.name}
    kept = part.stat().st_size
    assert 0 < kept < size
    assert child_photo(station, herve) is None
    proxy.requests.clear()
    resumed = sync_once(station.config)
    assert resumed.ok and resumed.photos is not None and resumed.photos.fetched == 1
    path = photo_dir(station.db) / f"{sha}.jpg"
    assert set(files(station)) == {path.name}
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert child_photo(station, herve) == str(path)


def test_the_disk_cap_evicts_the_oldest_and_unknown_files(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    herve, lea = school.children[0], school.children[1]
    person = parent(portal, school)
    upload(person, herve, picture((30, 90, 200)))
    upload(person, lea, picture((200, 90, 30)))
    both = sync_once(station.config)
    assert both.photos is not None and both.photos.fetched == 2
    old, new = (photo_dir(station.db) / f"{stored_sha(portal, c)}.jpg" for c in (herve, lea))
    # Hervé's is the older file; a stray file in the folder is nobody's.
    stamp = new.stat().st_mtime
    os.utime(old, (stamp - 60, stamp - 60))
    (photo_dir(station.db) / "stray.bin").write_bytes(b"x" * 1000)
    room = (old.stat().st_size + new.stat().st_size) // 2 + new.stat().st_size // 4
    capped = with_cap(station, max(room, new.stat().st_size) / (1024 * 1024))
    result = sync_once(capped.config)
    assert result.photos is not None
    assert (result.photos.removed, result.photos.evicted, result.photos.fetched) == (1, 1, 0)
    assert set(files(station)) == {new.name}
    assert child_photo(station, herve) is None and child_photo(station, lea) == str(new)
    # The next sync does not fetch it back over the cap.
    again = sync_once(capped.config)
    assert again.photos is not None and again.photos.fetched == 0
    assert set(files(station)) == {new.name}


def test_a_zero_cap_fetches_nothing(
    station: Station, school: SeededSchool, portal: PortalProcess
) -> None:
    upload(parent(portal, school), school.children[0], picture((30, 90, 200)))
    result = sync_once(with_cap(station, 0).config)
    assert result.ok and result.photos is not None
    assert (result.photos.fetched, result.photos.skipped) == (0, 1)
    assert files(station) == {}


def test_the_photo_follows_a_pupil_who_changes_school(
    school: SeededSchool, portal: PortalProcess
) -> None:
    herve = school.children[0]
    upload(parent(portal, school), herve, picture((30, 90, 200)))
    sha = stored_sha(portal, herve)
    other = seed_school(portal.database_url, code="1850")
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            schools = {s.code: s for s in session.execute(select(School)).scalars()}
            transfer_child(
                session, school=schools["1849"], child_id=herve, to=schools["1850"], actor="test"
            )
    finally:
        engine.dispose()
    assert feed_photos(portal, school.station_token) == {herve: None}
    assert get_photo(portal, school.station_token, sha).status_code == 404
    assert feed_photos(portal, other.station_token) == {herve: {"child_id": herve, "sha256": sha}}
    assert get_photo(portal, other.station_token, sha).status_code == 200
