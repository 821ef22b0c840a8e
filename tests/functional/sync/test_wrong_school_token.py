"""A station configured for school 1849 given a token of school 0683."""

from __future__ import annotations

from pathlib import Path

from cantine_harness.portal import create_station_token, seed_school
from station.store import cache
from tests.functional.sync.proxy import FaultyProxy
from tests.support.sync import make_station, sync_cli


def test_sync_once_with_another_schools_token_exits_2_and_writes_nothing(
    tmp_path: Path, proxy: FaultyProxy, school_database: str
) -> None:
    seed_school(school_database, code="1849", tokens=False)
    seed_school(school_database, code="0683", tokens=False)
    token = create_station_token(school_database, school="0683", name="ligne-9")
    station = make_station(tmp_path, proxy.url, token)
    with station.line.store.read() as conn:
        before = cache.pull_cursor(conn)
    station.close()
    done = sync_cli(station)
    assert done.returncode == 2, done.stderr
    assert "école 0683" in done.stderr and "1849" in done.stderr
    station = make_station(tmp_path, proxy.url, token)
    try:
        with station.line.store.read() as conn:
            assert cache.pull_cursor(conn) == before == 0
            assert conn.execute("SELECT count(*) FROM children").fetchone()[0] == 0
    finally:
        station.close()
