"""A real browser for the web page tests: Playwright's sync API driving Debian's chromium.

Never a browser downloaded by Playwright: the system's ``/usr/bin/chromium`` (installed by
``scripts/ensure-system-packages.sh``) is started through ``executable_path``; when it is
missing, every browser test FAILS saying how to install it (a browser test that silently
skips proves nothing).

Registered for every test through ``pytest_plugins`` in ``tests/conftest.py``:

- ``browser``: one headless chromium per test module; the browser test package widens it
  to the whole package (one browser for all its tests, per pytest-xdist worker), never
  to the session (see below why);
- ``new_page``: a factory ``new_page("phone" | "desktop") -> Page``, each page in a fresh
  context (its own cookies), closed after the test;
- ``phone_page`` (390×844) and ``desktop_page`` (1280×800): one such page each;
- ``browser_context_args``: options of every new context; a test folder overrides it to
  add ``base_url`` (then ``page.goto("/connexion")`` works).

Helpers: :func:`assert_accessible` (axe-core in the page; fails listing every violation of
impact serious or critical) and :func:`screenshot` (a full-page PNG in
``tests/screenshots/``, named ``<page>-<phone|desktop>.png``, git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

# Nothing may ever be fetched: Playwright (its driver starts with the first browser test)
# looks for browsers inside its own package (none there), never in a user cache, and
# never downloads one.
os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", "0")
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

#: Debian's chromium (``apt-get install chromium``).
CHROMIUM = Path("/usr/bin/chromium")
#: A sandboxed machine: running as root (no chromium sandbox possible), no GPU, no network
#: but loopback (nothing to update, sync or fetch in the background). Playwright gives
#: each launch a fresh temporary profile (``--user-data-dir`` of its own).
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
Viewport = Literal["phone", "desktop"]
#: The two sizes every page is checked at (CSS pixels).
VIEWPORTS: dict[Viewport, ViewportSize] = {
    "phone": ViewportSize(width=390, height=844),
    "desktop": ViewportSize(width=1280, height=800),
}
#: Where :func:`screenshot` writes (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
#: Longest wait of one browser action; the 2-core test machine is shared.
ACTION_TIMEOUT_MS = 15_000
#: Longest wait of one ``expect(...)`` assertion (Playwright's default, 5 s, is short on a
#: loaded machine).
EXPECT_TIMEOUT_MS = 10_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)
#: axe-core impacts that fail a test.
FAILING_IMPACTS = ("serious", "critical")


def chromium_executable() -> Path:
    """The system chromium, or a test failure saying how to install it."""
    found = CHROMIUM if CHROMIUM.exists() else None
    if found is None:
        which = shutil.which("chromium")
        found = Path(which) if which else None
    if found is None:
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. Install it "
            "with `sudo apt-get install chromium` (or run scripts/ensure-system-packages.sh); "
            "Playwright never downloads a browser here.",
            pytrace=False,
        )
    return found


@contextlib.contextmanager
def playwright_running() -> Iterator[Playwright]:
    """Playwright's driver process until the block ends."""
    with sync_playwright() as driver:
        yield driver


@contextlib.contextmanager
def chromium_running(driver: Playwright) -> Iterator[Browser]:
    """The system chromium, headless, until the block ends."""
    executable = chromium_executable()
    launched = driver.chromium.launch(
        executable_path=executable, headless=True, args=list(LAUNCH_ARGS)
    )
    try:
        yield launched
    finally:
        launched.close()


# Module scope here, and never session: while Playwright's sync API lives it marks its
# event loop as running in the main thread, so any asyncio test run meanwhile (Textual's
# Pilot, anyio) fails with « Cannot run the event loop while another loop is running ».
# tests/functional/browser/conftest.py widens both to its package: one browser for all the
# browser tests, stopped before the next folder's tests.


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver process, for the module."""
    with playwright_running() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """One headless system chromium for the module (see the package-wide override)."""
    with chromium_running(playwright_driver) as launched:
        yield launched


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    """Options of every new browser context; override in a test folder's ``conftest.py``
    (e.g. to add ``base_url``)."""
    return {}


@pytest.fixture
def new_page(
    browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[Callable[[Viewport], Page]]:
    """``new_page("phone" | "desktop")``: a page in a fresh context (own cookies), French
    locale and Paris time; every context is closed after the test."""
    contexts = []

    def make(viewport: Viewport = "desktop") -> Page:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport],
            locale="fr-FR",
            timezone_id="Europe/Paris",
            **browser_context_args,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(new_page: Callable[[Viewport], Page]) -> Page:
    """A page at 390×844 (a phone), in its own context."""
    return new_page("phone")


@pytest.fixture
def desktop_page(new_page: Callable[[Viewport], Page]) -> Page:
    """A page at 1280×800 (a laptop), in its own context."""
    return new_page("desktop")


def viewport_name(page: Page) -> Viewport:
    """``phone`` or ``desktop``, from the page's width."""
    size = page.viewport_size
    return "phone" if size is not None and size["width"] < 700 else "desktop"


def axe_violations(page: Page, impacts: tuple[str, ...] = FAILING_IMPACTS) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, only those of ``impacts``."""
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in impacts]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violation: rule id, impact, help, help URL and every target."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation.get('helpUrl', '')}>"
        )
        for node in violation.get("nodes", []):
            target = " ".join(str(part) for part in node.get("target", []))
            lines.append(f"    at {target}")
    return "\n".join(lines)


def assert_accessible(page: Page, impacts: tuple[str, ...] = FAILING_IMPACTS) -> None:
    """Run axe-core on the current page; fail the test listing every violation of impact
    serious or critical (rule id, impact, help, target selectors)."""
    violations = axe_violations(page, impacts)
    if violations:
        pytest.fail(
            f"axe-core: {len(violations)} {'/'.join(impacts)} violation(s) on {page.url} "
            f"({viewport_name(page)}):\n{describe_violations(violations)}",
            pytrace=False,
        )


def screenshot(page: Page, name: str) -> Path:
    """Write a full-page PNG of ``page`` to ``tests/screenshots/<name>-<phone|desktop>.png``
    and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{viewport_name(page)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
