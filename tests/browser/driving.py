"""Driving the real thing: the passport as a process, Debian's Chromium through Playwright.

Chromium is never downloaded (`playwright install` cannot reach its servers): Debian's
build is launched with the flags that keep it off the network. Playwright gives every
launch a fresh, empty profile (user-data-dir) of its own.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# axe is served at this same-origin address by the browser context itself (page.route), so
# the pages keep their real Content-Security-Policy (`script-src 'self'`) while axe runs.
AXE_PATH = "/__tests__/axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
START_TIMEOUT = 30


@dataclass
class Served:
    """The passport process and the address it printed on its first line."""

    url: str
    key: Path
    process: subprocess.Popen[str]

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def at(self, path: str) -> str:
        return self.origin + path


@dataclass
class Watch:
    """What the browser complained about while the test ran (CSP refusals, script errors)."""

    problems: list[str] = field(default_factory=list)


@contextmanager
def serve(key: Path, log: Path) -> Iterator[Served]:
    """Start ``python -m passport --key KEY --no-browser`` from the worktree; stop it after."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "passport", "--key", str(key), "--no-browser"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            yield Served(_first_line(process, log), key, process)
        finally:
            stop(process)


def _first_line(process: subprocess.Popen[str], log: Path) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(START_TIMEOUT):
            raise AssertionError(f"the passport printed no address in {START_TIMEOUT} s: {log.read_text()}")
    line = process.stdout.readline().strip()
    assert line.startswith("http://127.0.0.1:"), f"unexpected first line {line!r}: {log.read_text()}"
    return line


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


@contextmanager
def open_page(
    browser: Browser, served: Served, viewport: dict[str, int] = DESKTOP, *, enter: bool = True
) -> Iterator[Page]:
    """A new context at the printed address, arrived on the home page (``enter=False``: a
    browser that never had that address). Fails the test on any CSP refusal or script error."""
    context = browser.new_context(viewport=viewport, locale="fr-FR", accept_downloads=True)
    context.route(served.at(AXE_PATH), _serve_axe)
    watch = Watch()
    page = context.new_page()
    page.on("console", lambda message: _note(watch, message.type, message.text))
    page.on("pageerror", lambda error: watch.problems.append(f"script error: {error}"))
    try:
        if enter:
            page.goto(served.url)  # the one-time address moves on to the home page by itself
            page.wait_for_url(served.at("/"))
        yield page
    finally:
        context.close()
    assert not watch.problems, watch.problems


def _serve_axe(route: Route) -> None:
    route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")


def _note(watch: Watch, kind: str, text: str) -> None:
    if kind == "error" and "Failed to load resource" not in text:
        watch.problems.append(text)


def origin_of(page: Page) -> str:
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}"


def go(page: Page, path: str) -> None:
    page.goto(origin_of(page) + path)


def focused_name(page: Page) -> str:
    """What a screen reader would roughly announce for the focused element: label or text."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return '';
            const text = (el.labels && el.labels.length) ? el.labels[0].innerText : (el.innerText || el.value || '');
            return text.replace(/\\s+/g, ' ').trim();
        }"""
    )


def tab_to(page: Page, name: str, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until the focused element's name starts with ``name``."""
    key = "Shift+Tab" if backwards else "Tab"
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        current = focused_name(page)
        if current.startswith(name):
            return
        seen.append(current)
    raise AssertionError(f"{key} never reached {name!r}; went through {seen}")
