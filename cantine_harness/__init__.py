"""The harness above both packages: what the demo, the tests and the benchmarks share.

- :mod:`cantine_harness.portal` starts a real ``portal-sync-api serve`` on loopback,
  makes throwaway databases (SQLite file or PostgreSQL), seeds a small school, makes tokens;
- :mod:`cantine_harness.school` builds a big deterministic school in the portal's database;
- :mod:`cantine_harness.feeds` builds the same kind of school as a change feed for a
  station's cache (no portal needed);
- :mod:`cantine_harness.calendar` holds the one ``school_days`` rule of that data;
- :mod:`cantine_harness.demo` is ``station demo``'s setup: demo school, portal, station.

Nothing here is product code: ``station/`` and ``portal_sync_api/`` never import it (but
the ``station demo`` command entry point).
"""
