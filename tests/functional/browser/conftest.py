"""The browser tests drive a real ``portal-sync-api serve`` (``web_portal``, shared by the
session) in Debian's chromium; every page's address is relative to that portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright

from tests.support.browser import chromium_running, playwright_running
from tests.support.web_portal import WebPortal


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver, for every browser test and stopped after the last one (it must
    not outlive them: it keeps an event loop marked running in the main thread)."""
    with playwright_running() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless system chromium for every browser test (per xdist worker)."""
    with chromium_running(playwright_driver) as launched:
        yield launched


@pytest.fixture
def browser_context_args(fresh_throttle: WebPortal) -> dict[str, Any]:
    """Every page opens on the session's portal, whose throttle starts over for each test
    (all tests come from 127.0.0.1: one test's failures must not lock out the next)."""
    return {"base_url": fresh_throttle.url}
