"""The real Linux bundle, started from a real FAT32 key, spoken to over HTTP.

The bundle is built once per test session (``passport.build`` keeps it in
``build/bundle/`` while its inputs are unchanged).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from passport import build, forms, instance, keyform, keylayout
from passport.keyroot import KeyPaths
from passport.records import Passport, load_directory
from passport.store import Store

from form_support import EXAMPLES, GOOD, docx_text
from http_session import HttpSession
from support import (
    browser_opened,
    browser_recorder,
    fat_image,
    first_line,
    forwarded_to,
    mount_fat,
    need,
    need_root,
    unmount,
    wait_for_exit,
)

pytestmark = pytest.mark.slow
PAGES = ["/", "/profil", "/demarches/", "/demarches/nouvelle", "/structures/", "/documents/"]
STEP = {"date": "2026-03-02", "action": "Appeler la Mission Locale", "kind": "Appel", "status": "À faire"}
PERSON_LIBRARY_PATH = "/opt/bibliotheques-de-la-personne"


@pytest.fixture(scope="session")
def program() -> Path:
    need("strip", "ldd", "objdump")
    return build.build_program()


@contextmanager
def launcher(path: Path, env: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """Starts the key's launcher; whatever still runs at the end is killed, before the key is unmounted."""
    started: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        process = subprocess.Popen(
            ["sh", str(path)], env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # the bootloader and its Python child, killed together below
        )  # fmt: skip
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def test_bundle_is_one_small_file(program: Path) -> None:
    assert program.stat().st_size < 20 * 1024 * 1024


def test_bundle_runs_from_a_fat32_key_and_leaves_nothing_behind(program: Path, tmp_path: Path) -> None:
    need_root()
    host_temp = tmp_path / "host-temp"
    host_temp.mkdir()
    browser, browser_log = browser_recorder(tmp_path)
    env = {**os.environ, "TMPDIR": str(host_temp), "BROWSER": browser, "LD_LIBRARY_PATH": PERSON_LIBRARY_PATH}

    # A sparse 300 MB image with 4 KB clusters; the one-file program starts from it in ~1.5 s
    # (with 512-byte clusters fusefat takes ~9 s to read the end of a 10 MB file).
    with fat_image(tmp_path, size_mb=300, cluster_kb=4) as mount, launcher(mount / "Passeport", env) as start:
        key = keylayout.assemble(mount, {keylayout.LINUX: program})
        shutil.copyfile(EXAMPLES / "formulaire-cio.toml", key.data / keyform.FORM_FILE)  # a structure's form
        shutil.copyfile(EXAMPLES / "modele-bilan-cio.docx", key.data / keyform.TEMPLATE_FILE)  # and Word template
        process = start()
        url = first_line(process)
        assert any(p.name.startswith("_MEI") for p in host_temp.iterdir())  # unpacked in the PC's temp folder
        [(page, library_path)] = browser_opened(browser_log)
        assert forwarded_to(page) == url and library_path == PERSON_LIBRARY_PATH  # restored for the browser
        browser = HttpSession(url)
        for path in PAGES:
            assert "Terminer" in browser.get(path), path  # any error status raises
        assert "enregistré" in browser.post("/demarches/nouvelle", "/demarches/nouvelle", STEP)
        assert "est prêt et enregistré sur ta clé" in browser.post("/documents/", "/documents/suivi", {})
        assert "enregistré" in browser.post("/bilans/nouveau", "/bilans/nouveau", GOOD)
        made = browser.post("/documents/", "/documents/bilan", {})  # through docxtpl, inside the bundle
        assert "est prêt et enregistré sur ta clé" in made and "n&#39;a pas pu être utilisé" not in made

        second = start()
        again = first_line(second)  # a fresh entry secret from the running passport
        assert again != url and again.split("?")[0] == url.split("?")[0]
        page, library_path = browser_opened(browser_log, 2)[1]
        assert forwarded_to(page) == again and library_path == PERSON_LIBRARY_PATH
        assert "Bienvenue" in HttpSession(again).first_page  # a browser without the cookie gets back in
        assert wait_for_exit(second, timeout=60) == 0, second.stderr.read() if second.stderr else ""

        assert "Tu peux retirer ta clé" in browser.post("/", "/terminer", {})
        assert wait_for_exit(process, timeout=30) == 0, process.stderr.read() if process.stderr else ""
        assert list(host_temp.iterdir()) == []  # _MEI folders, forwarding pages, relaunch token: all gone
        assert not instance.state_file(KeyPaths(mount)).exists()

    remounted = tmp_path / "remounted"
    remounted.mkdir()
    mount_fat(tmp_path / "key.img", remounted)
    try:
        key = KeyPaths(remounted)
        steps = Passport(Store(key.data), forms.load(), load_directory()).steps()
        assert [step.get("action") for step in steps] == [STEP["action"]]
        [document] = key.exports.glob("suivi-*.docx")
        with zipfile.ZipFile(document) as docx:
            assert STEP["action"] in docx.read("word/document.xml").decode()
        [intake] = key.exports.glob("bilan-*.docx")
        assert GOOD["solution"] in docx_text(intake)
        assert "stopping: finished" in (key.logs / "passeport.log").read_text()
    finally:
        unmount(remounted)
