"""Serves a stream of scans and prints each verdict as soon as ``scan`` returns.

Run by the crash test, which SIGKILLs it at random moments. Protocol on stdout, flushed
per line: ``READY``, then for each scan ``BEGIN <i> <day> <code>`` and ``DONE <i> <status>
<meal_id or ->``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from station.engine import ServingLine
from station.store import Store


def main() -> None:
    db_path, codes_path, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
    paris = ZoneInfo("Europe/Paris")
    with open(codes_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    scans = [line.split(" ", 1) for line in lines]
    line = ServingLine(Store(db_path), station="ligne-1", school="1849", timezone=paris)
    out = sys.stdout
    out.write("READY\n")
    out.flush()
    for i in range(start, len(scans)):
        day, code = scans[i]
        out.write(f"BEGIN {i} {day} {code}\n")
        out.flush()
        at = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=paris)
        verdict = line.scan(code, at=at)
        out.write(f"DONE {i} {verdict.status.value} {verdict.meal_id or '-'}\n")
        out.flush()
    out.write("END\n")
    out.flush()


if __name__ == "__main__":
    main()
