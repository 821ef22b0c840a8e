"""``portal-sync-api serve --workers N`` (what portal-sync-api.service runs) serves the API
from several uvicorn processes, finding the database through the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cantine_harness.portal import free_port, portal_database, seed_school


def test_serve_with_two_workers_answers_health_and_station_requests(tmp_path: Path) -> None:
    with portal_database(directory=tmp_path) as url:
        seeded = seed_school(url)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "PORTAL_DATABASE_URL"}
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal_sync_api",
                "--db",
                url,
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, (
                    process.stderr.read().decode() if process.stderr else ""
                )
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "portal workers never became healthy"
                time.sleep(0.1)
            page = httpx.get(
                base + "/v1/sync/changes",
                params={"since": 0, "limit": 10},
                headers={"Authorization": f"Bearer {seeded.station_token}"},
            )
            assert page.status_code == 200 and page.json()["school"] == "1849"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
