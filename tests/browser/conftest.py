"""Fixtures for the real-browser tests: one Chromium per session, the passport as a real process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.driving import AXE, CHROMIUM, CHROMIUM_ARGS, Served, open_page, serve
from tests.support import IN_CI, need


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, started once for this folder's tests (package scope: Playwright's sync API
    allows one instance at a time, and other test files start their own); each test gets its
    own context (cookies, downloads)."""
    need(CHROMIUM)
    if not AXE.is_file():
        message = f"{AXE} is missing: scripts/test.sh runs `npm ci`"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """``python -m passport --key TMP --no-browser`` on an empty key."""
    with serve(tmp_path / "KEY", tmp_path / "server.log") as running:
        yield running


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    """A fresh browser context on the served passport, opened at the address it printed."""
    with open_page(browser, served) as opened:
        yield opened
