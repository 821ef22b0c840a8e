"""Offline exports cannot be forged from the portal's database alone:
whoever reads ``stations.token_hash`` still cannot make a file the portal imports."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cantine_contract import offline_export as export
from cantine_harness.portal import PortalProcess, SeededSchool, meal
from portal_sync_api.cli import main as portal_main
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.core.security import hash_token
from portal_sync_api.models import Station

HERVE = "C1849-42"


def _meals(portal: PortalProcess, school: SeededSchool) -> list[object]:
    with portal.client(school.intendance_token) as client:
        return list(client.get(f"/v1/children/{HERVE}/meals").json()["meals"])


def _forged(version: int, stored_digest: str) -> dict[str, object]:
    """An export signed the way version 1 did: HMAC keyed by the digest in the database."""
    body: dict[str, object] = {
        "format": export.FORMAT,
        "version": version,
        "station": "ligne-1",
        "school": "1849",
        "created_at": "2026-11-24T14:00:00+01:00",
        "items": [meal("FORGED-1", HERVE, charged_cents=0)],
    }
    signed = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    value = hmac.new(stored_digest.encode("ascii"), signed.encode("utf-8"), hashlib.sha256)
    body["signature"] = {
        "alg": "HMAC-SHA256",
        "key": "sha256-hex(token)",
        "value": value.hexdigest(),
    }
    return body


@pytest.mark.parametrize("version", [1, export.VERSION])
def test_an_export_signed_with_the_stored_token_hash_is_refused(
    version: int,
    portal: PortalProcess,
    school: SeededSchool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = hash_token(school.station_token)  # what stations.token_hash holds
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(_forged(version, stored)), encoding="utf-8")
    assert portal_main(["--db", portal.database_url, "import", "meals", str(path)]) == 1
    err = capsys.readouterr().err
    assert "rien n'a été importé" in err or "refusé" in err
    assert _meals(portal, school) == []


def test_the_portal_keeps_a_verification_key_that_cannot_sign(
    portal: PortalProcess, school: SeededSchool
) -> None:
    document = export.build(
        station="ligne-1",
        school="1849",
        created_at="2026-11-24T14:00:00+01:00",
        items=[],
        token=school.station_token,
    )
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            station = session.scalars(select(Station)).one()
            stored_key = station.export_key
            stored_digest = station.token_hash
    finally:
        engine.dispose()
    assert stored_key is not None and stored_key != stored_digest
    assert not export.verify(document, stored_digest)
    assert export.verify(document, stored_key)
    assert document["signature"]["alg"] == "Ed25519"


def test_a_station_registered_before_version_2_learns_its_key_at_its_first_sync(
    portal: PortalProcess, school: SeededSchool
) -> None:
    engine = make_engine(portal.database_url)
    try:
        with session_scope(engine) as session:
            session.scalars(select(Station)).one().export_key = None
        with portal.client(school.station_token) as client:
            assert client.get("/v1/sync/changes?limit=1").status_code == 200
        with session_scope(engine) as session:
            learnt = session.scalars(select(Station)).one().export_key
    finally:
        engine.dispose()
    assert learnt == export.public_key(school.station_token)
