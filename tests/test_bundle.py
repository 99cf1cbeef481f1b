"""The real Linux bundle, started from a real FAT32 key, spoken to over HTTP.

The bundle is built once per test session (``passport.build`` keeps it in
``build/bundle/`` while its inputs are unchanged).
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from passport import build, forms, instance, keylayout
from passport.keyroot import KeyPaths
from passport.records import Passport, load_directory
from passport.store import Store
from tests.support import (
    WebClient,
    browser_recorder,
    fat_image,
    first_line,
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


def start(launcher: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["sh", str(launcher)], env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_bundle_is_one_small_file(program: Path) -> None:
    assert program.stat().st_size < 20 * 1024 * 1024


def test_bundle_runs_from_a_fat32_key_and_leaves_nothing_behind(program: Path, tmp_path: Path) -> None:
    need_root()
    host_temp = tmp_path / "host-temp"
    host_temp.mkdir()
    browser, browser_log = browser_recorder(tmp_path)
    env = {**os.environ, "TMPDIR": str(host_temp), "BROWSER": browser, "LD_LIBRARY_PATH": PERSON_LIBRARY_PATH}

    with fat_image(tmp_path) as mount:
        keylayout.assemble(mount, {keylayout.LINUX: program})
        process = start(mount / "Passeport", env)
        url = first_line(process)
        assert any(p.name.startswith("_MEI") for p in host_temp.iterdir())  # unpacked in the PC's temp folder
        client = WebClient(url)
        for path in PAGES:
            assert client.get(path)[0] == 200, path
        assert client.post("/demarches/nouvelle", STEP)[0] == 302
        client.get("/documents/")
        assert client.post("/documents/suivi")[0] == 302

        second = start(mount / "Passeport", env)
        assert wait_for_exit(second, timeout=60) == 0, second.stderr.read() if second.stderr else ""
        assert first_line(second) == url

        opened = [line.split("|") for line in browser_log.read_text().splitlines()]
        assert opened == [[url, PERSON_LIBRARY_PATH]] * 2  # the person's library path, restored for the browser

        client.get("/")
        status, goodbye = client.post("/terminer")
        assert status == 200 and "Tu peux retirer ta clé" in goodbye
        assert wait_for_exit(process, timeout=30) == 0, process.stderr.read() if process.stderr else ""
        assert list(host_temp.iterdir()) == []  # the _MEI folders and the passport's own: all gone
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
        assert "stopping: finished" in (key.logs / "passeport.log").read_text()
    finally:
        unmount(remounted)
