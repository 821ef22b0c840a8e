"""A whole serving day at DEBUG, station and portal: the logs hold ids, never a child's
name, card number or balance (docs/design.md §7)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cantine_harness.portal import SEED_DAY, PortalProcess, SeededSchool, free_port
from station.cli import main as station_main
from station.logs import _is_ours
from tests.support.station import write_config

NAMES = ["DUPONT", "Hervé", "Léa", "MARTIN", "Tom", "PETIT", "Zoé", "BERNARD", "Noah"]
CARDS = ["1849-01234", "1849-01235", "1849-01236", "1849-01237", "1849-01238"]
AZERTY = str.maketrans("1234567890-", "&é\"'(-è_çà)")


def at(hour: int, minute: int) -> str:
    return f"{SEED_DAY.isoformat()}T{hour:02d}:{minute:02d}:00+01:00"


@pytest.fixture
def debug_logs(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    monkeypatch.setenv("STATION_LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if _is_ours(h)]:
        root.removeHandler(handler)


class Day:
    """Runs ``station`` commands in-process; keeps stdout (the contract output, which may
    name children) apart from stderr (where the logs go)."""

    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = config
        self.capsys = capsys
        self.stderr: list[str] = []
        self.verdicts: list[dict[str, object]] = []

    def run(self, *args: str, config: Path | None = None) -> str:
        station_main(["--config", str(config or self.config), *args])
        out, err = self.capsys.readouterr()
        self.stderr.append(err)
        return out

    def scan(self, code: str, when: str) -> dict[str, object]:
        verdict = json.loads(self.run("scan", code, "--at", when, "--json"))
        self.verdicts.append(verdict)
        return verdict


def personal_data_in(text: str, amounts: set[int]) -> list[str]:
    found = [name for name in NAMES if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]
    for card in CARDS:
        number = card.split("-")[1]
        for form in (card, card.replace("-", ""), number, card.translate(AZERTY)):
            if form in text:
                found.append(form)
    # Ids (uuid7 meal ids), URLs, times and sizes hold digit runs by chance: drop them.
    scrubbed = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
    scrubbed = re.sub(r"https?://\S+|127\.0\.0\.1:\d+|[?&]\w+=\d+", "URL", scrubbed)
    # Timestamps (",500" milliseconds) and HTTP status/size ("200 551") are not amounts.
    scrubbed = re.sub(r"\d{4}-\d\d-\d\d[ T][\d:]{8}([,.]\d+)?([+-]\d\d:\d\d)?", "TIME", scrubbed)
    scrubbed = re.sub(r'HTTP/1\.1" \d+ \d+', "HTTP", scrubbed)
    for cents in amounts:
        euros = f"{cents // 100},{cents % 100:02d}"
        if re.search(rf"(?<![\w.]){cents}(?![\w.])", scrubbed) or euros in scrubbed:
            found.append(f"amount {cents}")
    return found


def test_a_full_serving_day_logs_no_names_cards_or_balances(
    tmp_path: Path,
    portal: PortalProcess,
    school: SeededSchool,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    debug_logs: None,
) -> None:
    config = write_config(
        tmp_path, database=tmp_path / "station.db", url=portal.url, token=school.station_token
    )
    offline = write_config(
        tmp_path,
        database=tmp_path / "station.db",
        url=f"http://127.0.0.1:{free_port()}",
        token=school.station_token,
        name="ligne-1-offline",
    )
    day = Day(config, capsys)

    day.run("sync", "--once")
    day.scan("1849-01234", at(11, 20))  # served, reserved
    day.scan("1849-01234", at(11, 21))  # already served
    day.scan("1849-01235", at(11, 22))  # forfait
    day.scan("1849-01236", at(11, 23))  # prepaid
    day.scan("1849-01237", at(11, 24))  # lost card
    day.scan("1849-01238", at(11, 25))  # insufficient balance
    day.scan("0750-00001", at(11, 26))  # foreign card
    day.scan("@@garbage@@", at(11, 27))  # unreadable
    day.scan("1849-09999", at(11, 28))  # unknown card
    day.scan("1849-01236".translate(AZERTY), at(11, 29))  # AZERTY-garbled, already served
    day.scan("1849-01234", at(16, 0))  # no service
    manual = json.loads(day.run("scan", "--manual", "C1849-46", "--at", at(11, 30), "--json"))
    day.verdicts.append(manual)
    served = day.verdicts[0]
    day.run("void", str(served["meal_id"]), "--at", at(11, 25), "--json")
    day.scan("1849-01234", at(11, 32))  # served again after the void
    day.run("sync", "--once", config=offline)  # network down: a failed sync
    replay = tmp_path / "replay.txt"
    replay.write_text(f"{at(12, 0)}\t1849-01235\n{at(12, 1)}\t1849-01237\n", encoding="utf-8")
    day.run("replay", str(replay), "--json")
    day.run("sync", "--once")
    day.run("report", "--day", SEED_DAY.isoformat(), "--format", "json")
    day.run("doctor")
    day.run("export", "--out", str(tmp_path / "export.json"))

    statuses = {(v["status"], v["reason"]) for v in day.verdicts}
    assert {("served", "reserved"), ("refused", "already_served"), ("refused", "card_blocked")} <= (
        statuses
    )
    assert any(
        r.name == "station.engine" and "scan served" in r.getMessage() for r in caplog.records
    )
    assert any(r.name == "station.sync.runner" for r in caplog.records)
    assert any(
        r.name == "station.engine" and r.getMessage().startswith("void ") for r in caplog.records
    )
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # HTTP client at DEBUG

    amounts = {5000, 500} | {
        int(v["balance_cents"]) for v in day.verdicts if v.get("balance_cents") not in (None, 0)
    }
    station_log = "\n".join(r.getMessage() for r in caplog.records) + "\n" + "".join(day.stderr)
    portal_log = portal.log.read_text(encoding="utf-8", errors="replace")
    assert "scan served/reserved" in station_log
    assert personal_data_in(station_log, amounts) == []
    assert personal_data_in(portal_log, amounts) == []


def test_the_access_log_keeps_paths_without_their_query_strings(portal: PortalProcess) -> None:
    """A search for a card or a name travels in the query string; the access log keeps the
    path and the status, not the query."""
    marker = "1849-04321"
    answer = httpx.get(f"{portal.url}/intendance/familles", params={"q": marker}, timeout=30)
    assert answer.status_code in (200, 303, 404)
    deadline = time.monotonic() + 10
    logged = ""
    while "/intendance/familles" not in logged and time.monotonic() < deadline:
        time.sleep(0.05)
        logged = portal.log.read_text(encoding="utf-8", errors="replace")
    line = next(x for x in logged.splitlines() if "GET /intendance/familles" in x)
    assert f" {answer.status_code}" in line
    assert marker not in logged and "?q=" not in line
