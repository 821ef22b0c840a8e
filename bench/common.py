"""Shared helpers for the benchmarks: the database a run measures on, percentiles, tables
and bench/RESULTS.md sections."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import socket
import statistics
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cantine_harness.portal import postgres_throwaway

RESULTS = Path(__file__).with_name("RESULTS.md")
_HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench`; each section is replaced when its benchmark runs again.\n"
    "Every figure sits beside a reference measured in the same run, and their ratio.\n"
)


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of ``values`` by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def table(rows: Sequence[tuple[str, str, str, str, str]]) -> str:
    """A Markdown table of (measure, figure, reference, ratio, target) rows."""
    lines = [
        "| measure | figure | reference (same run) | ratio | target |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"


def write_section(name: str, body: str) -> None:
    """Replace (or add) the section ``## name`` of bench/RESULTS.md and print it."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"## {name}\n\n_{stamp}, {machine()}_\n\n{body.strip()}\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else _HEADER
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    print(section)


def postgres_url() -> str | None:
    """The PostgreSQL server to measure on: ``PORTAL_TEST_POSTGRES_URL``, else a server
    answering on 127.0.0.1:5432, else ``None`` (the PostgreSQL rows are skipped)."""
    url = os.environ.get("PORTAL_TEST_POSTGRES_URL")
    if url:
        return url
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 5432), 0.5):
        return "postgresql://postgres@127.0.0.1:5432/postgres"
    return None


@contextlib.contextmanager
def bench_database(kind: str, directory: Path, name: str, *, prefix: str) -> Iterator[str]:
    """An empty database URL: ``directory/name.db`` for ``sqlite``, else a throwaway
    PostgreSQL database named from ``prefix``, dropped on exit."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / name}.db"
        return
    server = postgres_url()
    assert server is not None
    with postgres_throwaway(server, prefix=prefix) as url:
        yield url
