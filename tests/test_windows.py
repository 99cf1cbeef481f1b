"""The Windows bundle, built under Wine by scripts/build-windows.sh and used like a young person would.

Passeport.exe runs from a key folder under Wine; real HTTP requests from Linux open the
home page, add a step, export a Word document and press « Terminer ».
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from passport.keyroot import KeyPaths
from tests.support import need
from tests.webclient import Browser

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "windows"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
BUNDLE = ROOT / "dist" / "windows" / "Passeport"

pytestmark = pytest.mark.slow


def wine_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(WINEPREFIX=str(CACHE / "prefix"), WINEARCH="win64", WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
    return env


@pytest.fixture(scope="module")
def windows_bundle() -> Path:
    need(WINE, "bash")
    started = time.monotonic()
    build = subprocess.run(
        ["bash", "scripts/build-windows.sh"], cwd=ROOT, capture_output=True, text=True, timeout=20 * 60
    )
    print(f"Windows build: {time.monotonic() - started:.0f} s")
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    assert (BUNDLE / "Passeport.exe").is_file()
    return BUNDLE


@pytest.fixture
def key(windows_bundle: Path, tmp_path: Path) -> KeyPaths:
    root = tmp_path / "KEY"
    shutil.copytree(windows_bundle, root)
    return KeyPaths(root)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def running(key: KeyPaths) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Passeport.exe started from the key, as a double-click would, with a known port."""
    port = free_port()
    # Windows python under Wine cannot use a regular file as stdout: give it /dev/null.
    process = subprocess.Popen(
        [WINE, str(key.root / "Passeport.exe"), "--port", str(port), "--no-browser"],
        cwd=key.root,
        env=wine_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, f"http://127.0.0.1:{port}/"
    finally:
        if process.poll() is None:
            process.kill()
        subprocess.run([WINESERVER, "-k"], env=wine_env(), check=False)


def test_passeport_exe_from_a_key_saves_a_step_and_a_word_document(key, running):
    process, url = running
    browser = Browser(url)
    started = time.monotonic()
    home = browser.wait_for_home(timeout=120)
    print(f"Passeport.exe answered after {time.monotonic() - started:.1f} s")
    assert "Bienvenue dans ton passeport" in home

    form = browser.form("/demarches/nouvelle")
    form["action"] = ["Appeler la Mission Locale de Châteauroux"]
    listing = browser.submit("/demarches/nouvelle", form)
    assert "Appeler la Mission Locale de Châteauroux" in listing

    documents = browser.submit("/documents/suivi", browser.form("/documents/", "/documents/suivi"))
    assert "est prêt et enregistré sur ta clé" in documents

    browser.submit("/terminer", browser.form("/", "/terminer"))
    assert process.wait(timeout=60) == 0

    slots = [path.read_text(encoding="utf-8") for path in key.data.glob("passport-*.json")]
    assert any("Appeler la Mission Locale de Châteauroux" in slot for slot in slots)
    (exported,) = key.exports.glob("*.docx")
    text = "\n".join(cell.text for table in docx.Document(exported).tables for cell in table._cells)
    assert "Appeler la Mission Locale de Châteauroux" in text
