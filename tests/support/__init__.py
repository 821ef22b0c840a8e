"""Reusable helpers for tests: plain modules (constants, seeded schools, config writers,
page clients) that tests import, and ``fixtures/``, the shared fixture modules registered
by ``pytest_plugins`` in ``tests/conftest.py``."""
