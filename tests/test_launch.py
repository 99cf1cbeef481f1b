"""``python -m passport`` as a real process: it answers its printed URL and saves for good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from passport.keyroot import REPOSITORY
from passport.store import Store

from http_session import HttpSession

pytestmark = pytest.mark.slow


def start(key_dir) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    process = subprocess.Popen(
        [sys.executable, "-m", "passport", "--key", str(key_dir), "--no-browser"],
        cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return process, process.stdout.readline().strip()


def test_the_printed_url_answers_and_a_step_added_over_http_is_on_the_key(tmp_path):
    process, url = start(tmp_path / "KEY")
    try:
        assert url.startswith("http://127.0.0.1:")
        browser = HttpSession(url)
        assert "Bienvenue dans ton passeport" in browser.first_page
        fields = {"date": "2026-11-29", "action": "Aller au forum des métiers", "status": "À faire"}
        page = browser.post("/demarches/nouvelle", "/demarches/nouvelle", fields)
        assert "C&#39;est enregistré." in page
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    with Store(tmp_path / "KEY" / "Data").session() as db:
        assert [s["answers"]["action"] for s in db.table("steps").all()] == ["Aller au forum des métiers"]
