"""The browser tests drive a real ``portal-sync-api serve`` (``web_portal``, shared by the
session) in Debian's chromium; every page's address is relative to that portal."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.web_portal import WebPortal


@pytest.fixture
def browser_context_args(fresh_throttle: WebPortal) -> dict[str, Any]:
    """Every page opens on the session's portal, whose throttle starts over for each test
    (all tests come from 127.0.0.1: one test's failures must not lock out the next)."""
    return {"base_url": fresh_throttle.url}
