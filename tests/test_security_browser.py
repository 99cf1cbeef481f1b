"""The whole way in, with Debian's Chromium: launcher, private page, cookie, forms, hostile pages."""

from __future__ import annotations

import functools
import http.server
import os
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from passport.keyroot import REPOSITORY

from support import need

pytestmark = pytest.mark.slow

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_FORM = """<!doctype html><title>Jeu gratuit</title>
<form method="post" action="{target}/profil">
<input type="hidden" name="first_name" value="Mallory">
<input type="hidden" name="csrf_token" value="{token}">
<button id="go">Gagner</button></form>"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hostile_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Another web server on 127.0.0.1: same site as ours for the browser, another origin."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def wait_for(path: Path, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never written")


def test_a_real_browser_gets_in_once_through_the_private_page(tmp_path, hostile_site):
    need("chromium")
    from playwright.sync_api import sync_playwright

    temp, opened = tmp_path / "tmp", tmp_path / "opened.txt"
    temp.mkdir()
    browser_stand_in = tmp_path / "browser.sh"  # records what the launcher hands the browser
    browser_stand_in.write_text(f'#!/bin/sh\nprintf %s "$*" > "{opened}"\n')
    browser_stand_in.chmod(0o700)
    env = {**os.environ, "BROWSER": str(browser_stand_in), "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "passport", "--key", str(tmp_path / "KEY")],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        secret = urlsplit(url).query.partition("=")[2]
        ours = f"http://127.0.0.1:{urlsplit(url).port}"
        command_line = wait_for(opened)
        assert command_line.startswith("file://") and secret not in command_line
        page_file = Path(unquote(urlsplit(command_line).path))
        assert page_file.parent == temp and secret in page_file.read_text()
        assert stat.S_IMODE(page_file.stat().st_mode) == 0o600

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = chromium.new_context()
            page = context.new_page()
            page.goto(command_line)
            page.wait_for_url(ours + "/")
            assert page.title() == "Accueil — Mon passeport"
            assert not page_file.exists()  # used: gone from the temp folder
            assert [c["name"] for c in context.cookies()] == [f"passeport-{urlsplit(url).port}"]
            assert context.cookies()[0]["httpOnly"] and context.cookies()[0]["sameSite"] == "Strict"

            page.goto(ours + "/profil")
            page.fill("#f-first_name", "Léa")
            page.click("main button[type=submit]")  # the header has "Terminer"
            page.wait_for_url(ours + "/")
            assert "Bonjour Léa !" in page.content()  # our own post passes the Origin check

            token = re.search(r'name="csrf_token" value="([^"]+)"', page.goto(ours + "/profil").text()).group(1)
            hostile, folder = hostile_site
            (folder / "jeu.html").write_text(HOSTILE_FORM.format(target=ours, token=token))
            (tmp_path / "jeu.html").write_text(HOSTILE_FORM.format(target=ours, token=token))
            for lure in (f"{hostile}/jeu.html", (tmp_path / "jeu.html").as_uri()):
                page.goto(lure)
                with page.expect_navigation() as answer:
                    page.click("#go")
                assert answer.value.status == 403, lure  # even holding a leaked form token
            page.goto(ours + "/")
            assert "Bonjour Léa !" in page.content()

            stranger = chromium.new_context().new_page()
            stranger.goto(ours + "/")
            assert stranger.title() == "Ouvre ton passeport depuis ta clé — Mon passeport"
            assert "Léa" not in stranger.content()
            assert stranger.goto(url).status == 403  # the secret is spent
            chromium.close()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert secret not in out + err
    assert list(temp.iterdir()) == []
