"""The Windows bundle, built under Wine by scripts/build-windows.sh and used as on a PC.

``Passeport.exe`` is started from a key folder with no argument, as a double-click
would. Wine hands the page it opens to the Linux side (winebrowser → ``xdg-open``),
where a stand-in browser records it; the test then follows that page like a browser
and speaks real HTTP: home page, a step added, a Word export, « Terminer ».
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from passport import forms
from passport.keyroot import KeyPaths
from passport.records import Passport, load_directory
from passport.store import Store
from tests.support import need

from http_session import HttpSession

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PREFIX = ROOT / ".cache" / "windows" / "prefix"  # the Wine prefix the build made: our "PC"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
BUNDLE = ROOT / "dist" / "windows" / "Passeport"
REFRESH = re.compile(r'<meta http-equiv="refresh" content="\d+; ?url=([^"]+)">')
STEP = "Appeler la Mission Locale de Châteauroux"


@pytest.fixture(scope="module")
def windows_bundle() -> Path:
    need(WINE, WINESERVER)
    started = time.monotonic()
    build = subprocess.run(["bash", "scripts/build-windows.sh"], cwd=ROOT, capture_output=True, text=True)
    print(f"\nWindows build: {time.monotonic() - started:.0f} s")
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return BUNDLE


def wine_env(extra_path: Path | None = None) -> dict[str, str]:
    """The environment of a program started on the "PC": no host Python variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(WINEPREFIX=str(PREFIX), WINEARCH="win64", WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
    if extra_path:
        env["PATH"] = f"{extra_path}:{env['PATH']}"
    return env


@pytest.fixture
def default_browser(windows_bundle: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A PC whose default browser records what it is asked to open, in ``browser.log``.

    A Windows PC opens ``.html`` files with its default browser; a fresh Wine prefix has no
    such association, so it is added. Wine passes what it opens to ``xdg-open``.
    """
    recorder = tmp_path / "bin"
    recorder.mkdir()
    log = tmp_path / "browser.log"
    (recorder / "xdg-open").write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    (recorder / "xdg-open").chmod(0o755)
    env = wine_env(recorder)
    subprocess.run([WINE, "reg", "add", r"HKCR\.html", "/ve", "/d", "htmlfile", "/f"], env=env, capture_output=True)
    yield log, env
    subprocess.run([WINESERVER, "-k"], env=env, check=False)


def opened_address(log: Path, process: subprocess.Popen[bytes], timeout: float) -> str:
    """The passport's address, found the way the browser finds it: through the pages it was given."""
    deadline = time.monotonic() + timeout
    while not (log.exists() and log.read_text().strip()):
        assert process.poll() is None, f"Passeport.exe stopped with code {process.returncode}"
        assert time.monotonic() < deadline, "Passeport.exe opened no browser"
        time.sleep(0.2)
    address = log.read_text().splitlines()[0]
    while address.startswith("file://"):  # a local page that moves on to the next address
        page = Path(urllib.parse.unquote(urllib.parse.urlsplit(address).path)).read_text(encoding="utf-8")
        address = html.unescape(REFRESH.search(page).group(1))  # type: ignore[union-attr]
    return address


def test_passeport_exe_from_a_key_saves_a_step_and_a_word_document(windows_bundle, default_browser, tmp_path):
    log, env = default_browser
    key = KeyPaths(tmp_path / "KEY")
    shutil.copytree(windows_bundle, key.root)
    started = time.monotonic()
    process = subprocess.Popen(
        [WINE, str(key.root / "Passeport.exe")],
        cwd=tmp_path,
        env=env,
        # Windows python under Wine cannot take a regular file as stdout; a windowed program has none anyway.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        browser = HttpSession(opened_address(log, process, timeout=120))
        print(f"Passeport.exe showed its home page after {time.monotonic() - started:.1f} s")
        assert "Bienvenue dans ton passeport" in browser.first_page

        fields = {"date": date.today().isoformat(), "action": STEP, "status": "À faire"}
        assert html.escape(STEP) in browser.post("/demarches/nouvelle", "/demarches/nouvelle", fields)
        assert "enregistré sur ta clé" in browser.post("/documents/", "/documents/suivi", {})

        goodbye = browser.post("/", "/terminer", {})
        assert "Tu peux retirer ta clé" in goodbye
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()

    steps = Passport(Store(key.data), forms.load(), load_directory()).steps()
    assert [step.get("action") for step in steps] == [STEP]
    [document] = key.exports.glob("suivi-*.docx")
    with zipfile.ZipFile(document) as docx:
        assert html.escape(STEP, quote=False) in docx.read("word/document.xml").decode()
    assert not list(PREFIX.glob("drive_c/users/*/Temp/passeport-*")), "files left in the PC's temp folder"
