"""A key prepared by build_key.py, then started with the real bundle from a FAT32 image, over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from passport import build, keylayout
from passport.keys import cli, state, verify

from http_session import HttpSession
from support import fat_image, first_line, need, need_root, roster_file, session_file, wait_for_exit

pytestmark = pytest.mark.slow


def test_a_prepared_key_starts_with_the_first_name_the_structure_and_the_local_partners(tmp_path: Path) -> None:
    need_root()
    need("strip", "ldd", "objdump")
    output = tmp_path / "dist-key"  # what "bash scripts/build-key.sh dist/key" leaves
    keylayout.assemble(output, {keylayout.LINUX: build.build_program()})
    session, roster = session_file(tmp_path), roster_file(tmp_path, ["Maëlys"])
    host_temp = tmp_path / "host-temp"
    host_temp.mkdir()
    env = {**os.environ, "TMPDIR": str(host_temp), "BROWSER": "true %s"}

    with fat_image(tmp_path, size_mb=300, cluster_kb=4) as key:
        args = ["prepare", "--session", str(session), "--roster", str(roster), "--build", str(output)]
        assert cli.main([*args, "--target", str(key), "--yes"]) == 0
        assert verify.check(key).ok
        process = subprocess.Popen(
            ["sh", str(key / "Passeport")], env=env, cwd="/", text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        try:
            browser = HttpSession(first_line(process))
            assert "Choisis ta phrase secrète" in browser.first_page  # a key is protected unless the session says not
            phrase = {"new_phrase": "lune cartable riviere soleil", "again": "lune cartable riviere soleil"}
            home = browser.post("/premiere-ouverture", "/premiere-ouverture", phrase)
            assert "Bonjour Maëlys !" in home
            assert "Ton ou ta référente : Camille Martin, Mission Locale — 02 54 00 00 00" in home
            assert '<option value="mission-locale" selected>Mission Locale</option>' in browser.get("/profil")
            directory = browser.get("/structures/")
            assert "Point Information Jeunesse de Châteauroux" in directory
            assert "02 54 11 11 11" in directory
            assert "1 rue de l&#39;Exemple, 36000 Châteauroux" in directory  # the CIO, completed
            assert "Lundi au vendredi, 9 h - 17 h" in directory
            intake = browser.get("/bilans/nouveau")
            assert "Prévention du décrochage — lycée Jean-Giraudoux" in intake  # the session, for the intake
            assert "Tu peux retirer ta clé" in browser.post("/", "/terminer", {})
            assert wait_for_exit(process, timeout=30) == 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # The phrase chosen at the first start is a save: the key now holds a young person's data.
        assert state.inspect(key).kind is state.Kind.HOLDS_DATA
        assert verify.check(key).ok
        everything = b"".join(path.read_bytes() for path in key.rglob("*") if path.is_file())
        assert "Maëlys".encode() not in everything  # encrypted in Data/, never in App/DefaultData/
