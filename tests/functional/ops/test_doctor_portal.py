"""``station doctor`` against a portal: unreachable, token refused, wrong school, clock skew."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cantine_harness.portal import PortalProcess, SeededSchool, create_station_token, free_port
from station.core.config import load_config
from station.doctor import Level
from tests.support.doctor import blocking, doctor
from tests.support.station import write_config


def _config(tmp_path: Path, db_path: Path, url: str, token: str) -> object:
    return load_config(write_config(tmp_path, database=db_path, url=url, token=token))


def test_reachable_portal_with_a_good_token_is_ok(
    tmp_path: Path, db_path: Path, portal: PortalProcess, school: SeededSchool
) -> None:
    findings = doctor(_config(tmp_path, db_path, portal.url, school.station_token))  # type: ignore[arg-type]
    assert findings["portal.ok"].level is Level.OK
    assert findings["portal.token_ok"].level is Level.OK
    assert findings["portal.clock_ok"].level is Level.OK
    assert blocking(findings) == set()


def test_unreachable_portal_warns_and_the_line_still_serves(tmp_path: Path, db_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    findings = doctor(_config(tmp_path, db_path, url, "st_x"))  # type: ignore[arg-type]
    finding = findings["portal.unreachable"]
    assert finding.level is Level.WARNING and "injoignable" in finding.detail
    assert "/healthz" in finding.fix
    assert blocking(findings) == set()


def test_refused_token_blocks_with_how_to_get_a_new_one(
    tmp_path: Path, db_path: Path, portal: PortalProcess, school: SeededSchool
) -> None:
    findings = doctor(_config(tmp_path, db_path, portal.url, "st_not-a-real-token"))  # type: ignore[arg-type]
    finding = findings["portal.token"]
    assert finding.level is Level.BLOCKING and "401 Unauthorized" in finding.detail
    assert "portal-sync-api station create --school 1849" in finding.fix


def test_token_of_another_school_blocks(
    tmp_path: Path, db_path: Path, portal: PortalProcess, school: SeededSchool
) -> None:
    from cantine_harness.portal import seed_school

    seed_school(portal.database_url, code="0750", tokens=False)
    other = create_station_token(portal.database_url, school="0750", name="ligne-x")
    findings = doctor(_config(tmp_path, db_path, portal.url, other))  # type: ignore[arg-type]
    assert "portal.wrong_school" in blocking(findings)


class _SkewedPortal(BaseHTTPRequestHandler):
    skew_seconds = 0.0

    def date_time_string(self, timestamp: float | None = None) -> str:
        return formatdate(time.time() + self.skew_seconds, usegmt=True)

    def do_GET(self) -> None:
        if self.path.startswith("/healthz"):
            body = {"status": "ok", "database": "ok"}
        else:
            body = {"school": "1849", "since": 0, "next": 0, "more": False, "changes": []}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def skewed_portal() -> Iterator[tuple[str, type[_SkewedPortal]]]:
    handler = type("Handler", (_SkewedPortal,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("skew", "code", "level", "words"),
    [
        (-3600, "portal.clock_skew", Level.BLOCKING, "en avance de 3600 s"),
        (600, "portal.clock_skew", Level.BLOCKING, "en retard de 600 s"),
        (90, "portal.clock_drift", Level.WARNING, "en retard de 90 s"),
        (0, "portal.clock_ok", Level.OK, "(±1 s)"),
    ],
)
def test_clock_skew_against_the_portal_date_header(
    tmp_path: Path,
    db_path: Path,
    skewed_portal: tuple[str, type[_SkewedPortal]],
    skew: int,
    code: str,
    level: Level,
    words: str,
) -> None:
    url, handler = skewed_portal
    handler.skew_seconds = skew
    findings = doctor(_config(tmp_path, db_path, url, "st_x"))  # type: ignore[arg-type]
    finding = findings[code]
    assert finding.level is level
    assert words.split(" de ")[0] in finding.detail
    if level is not Level.OK:
        assert "timedatectl set-ntp true" in finding.fix
    assert findings["portal.token_ok"].level is Level.OK
