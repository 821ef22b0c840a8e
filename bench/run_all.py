"""Run every benchmark in turn (``make bench``); each writes its section of RESULTS.md."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if m.name not in ("common", "run_all", "departement_seed") and not m.name.startswith("_")
    )
    failed = []
    for name in names:
        print(f"=== bench.{name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        try:
            module.main()
        except Exception as e:  # a broken benchmark must not hide the others
            print(f"bench.{name} failed: {e!r}", file=sys.stderr)
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
