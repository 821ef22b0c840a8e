"""``portal-sync-api serve --workers N`` (what portal-sync-api.service runs) serves the API
from several uvicorn processes, finding the database through the environment, and runs
the background work (mail sender, notice pass, payment expiry) once, in its supervising
process; it refuses pools larger than the PostgreSQL server accepts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import uvicorn

from cantine_harness.portal import free_port, portal_database, postgres_server_url, seed_school
from portal_sync_api.cli import listening_socket
from portal_sync_api.core.db import make_engine, session_scope
from portal_sync_api.mail.outbox import queue_mail


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


SERVE = (sys.executable, "-m", "portal_sync_api")


def test_serve_workers_leave_the_background_work_to_the_supervisor(tmp_path: Path) -> None:
    mails = tmp_path / "mails"
    log = tmp_path / "serve.log"
    with portal_database(directory=tmp_path) as url:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
        env["PORTAL_MAIL_DIR"] = str(mails)
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [*SERVE, "--db", url, "serve", "--port", str(port), "--workers", "2"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
            )
        try:
            wait_until(lambda: log.read_text().count("Application startup complete") == 2, process)
            engine = make_engine(url)
            with session_scope(engine) as session:
                queue_mail(
                    session,
                    to="parent@example.fr",
                    subject="Essai",
                    template="test_message",
                    context={"name": "Zoé"},
                )
            engine.dispose()
            wait_until(lambda: mails.is_dir() and any(mails.glob("*.eml")), process)
        finally:
            process.terminate()
            process.wait(timeout=15)
        text = log.read_text()
        assert text.count("mail: sender started") == 1
        assert text.count("background work: run by the supervising process") == 2
        assert len(list(mails.glob("*.eml"))) == 1


def test_serve_refuses_pools_larger_than_the_postgres_server_accepts(tmp_path: Path) -> None:
    server = postgres_server_url()
    if server is None:
        pytest.skip("PORTAL_TEST_POSTGRES_URL is not set")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_DB_POOL_SIZE"] = "60"
    result = subprocess.run(
        [*SERVE, "--db", server, "serve", "--port", str(free_port()), "--workers", "2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--workers" in result.stderr and "2 processus × 65 connexions" in result.stderr
    assert "Application startup" not in result.stderr


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert process.poll() is None, "the portal stopped"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_workers_connections_have_nagle_off() -> None:
    # Without TCP_NODELAY an answer written in two sends waits for the client's delayed
    # acknowledgement: every request of a worker took 40 ms more than with one process.
    config = uvicorn.Config("portal_sync_api.api.main:create_app", host="127.0.0.1", port=0)
    listening = listening_socket(config)
    listening.listen()  # as each worker's server does
    try:
        client = socket.create_connection(listening.getsockname())
        accepted, _ = listening.accept()
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        finally:
            accepted.close()
            client.close()
    finally:
        listening.close()
