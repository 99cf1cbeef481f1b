"""The real Linux bundle on a key prepared with protection: a phrase, a save, nothing in clear."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from passport import build, forms, keylayout
from passport.records import Passport, load_directory
from passport.store import LOCKED, SLOT_NAMES, Store

from http_session import HttpSession
from support import browser_recorder, first_line, need, wait_for_exit

pytestmark = pytest.mark.slow
CODE = "7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV"
PHRASE = "lune cartable riviere soleil"
STEP = {"date": "2026-03-02", "action": "Rendez-vous chez Zoé-Quentin au CIO", "status": "À faire"}


def test_the_bundle_asks_for_a_phrase_and_writes_only_encrypted_data(tmp_path: Path) -> None:
    need("strip", "ldd", "objdump")
    program = build.build_program()
    key = keylayout.assemble(tmp_path / "KEY", {keylayout.LINUX: program})
    with Store(key.data) as store:
        store.prepare_protection(CODE)
    host_temp = tmp_path / "host-temp"
    host_temp.mkdir()
    browser, _ = browser_recorder(tmp_path)
    env = {**os.environ, "TMPDIR": str(host_temp), "BROWSER": browser}
    process = subprocess.Popen(
        ["sh", str(key.root / "Passeport")], env=env, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        session = HttpSession(first_line(process))
        assert "Choisis ta phrase secrète" in session.first_page  # Argon2id and libsodium inside the bundle
        fields = {"new_phrase": PHRASE, "again": PHRASE}
        assert "Ta phrase secrète est enregistrée" in session.post("/premiere-ouverture", "/premiere-ouverture", fields)
        assert "enregistré" in session.post("/demarches/nouvelle", "/demarches/nouvelle", STEP)
        assert "Tu peux retirer ta clé" in session.post("/", "/terminer", {})
        assert wait_for_exit(process, timeout=30) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    everything = b"".join(path.read_bytes() for path in key.data.rglob("*") if path.is_file())
    assert b"Zo\xc3\xa9-Quentin" not in everything and "Zoé-Quentin".encode("utf-16-le") not in everything
    assert all(b'"state": "on"' in (key.data / name).read_bytes().partition(b"\n")[0] for name in SLOT_NAMES)
    store = Store(key.data)
    assert store.protection == LOCKED
    store.unlock(PHRASE)
    assert [step.get("action") for step in Passport(store, forms.load(), load_directory()).steps()] == [STEP["action"]]
