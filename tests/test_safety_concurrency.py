"""Eight people's worth of clicks at once: 8 threads × 100 saves over HTTP to a real waitress
server, on the disk and on a FAT32 key. Every save is there, once, on the key."""

from __future__ import annotations

import http.client
import re
import socket
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from waitress.server import create_server

from passport.keyroot import KeyPaths
from passport.store import Store
from passport.web import create_app, security

THREADS, SAVES = 8, 100


class Browser:
    """One person's browser on one kept-alive connection. Unlike http_session.HttpSession it
    does not follow the redirect after a save: the steps page it leads to grows with every
    save, and rendering it 800 times would measure Jinja, not the storage."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.origin = f"http://127.0.0.1:{port}"
        self.cookie = cookie

    def get(self, path: str) -> str:
        self.connection.request("GET", path, headers={"Cookie": self.cookie})
        return self._answer()[1]

    def form_token(self, path: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.get(path)).group(1)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields)
        headers = {"Cookie": self.cookie, "Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request("POST", path, body=body, headers=headers)
        return self._answer()[0]

    def _answer(self) -> tuple[tuple[int, str], str]:
        response = self.connection.getresponse()
        self.cookie = response.getheader("Set-Cookie", "").split(";")[0] or self.cookie
        return (response.status, response.getheader("Location", "")), response.read().decode()


@pytest.mark.slow
def test_eight_threads_saving_a_hundred_steps_each_over_http(disk):
    key = KeyPaths(disk / "KEY")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    secret = security.new_secret()
    app = create_app(key, port, secret)
    server = create_server(app, sockets=[listener], threads=THREADS)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()

    # One browser is let in by the launcher's secret; the eight threads are eight of its tabs.
    entrance = Browser(port)
    entrance.get(security.entry_url(port, secret).removeprefix(entrance.origin))

    def save_hundred(thread: int) -> int:
        browser = Browser(port, entrance.cookie)
        token = browser.form_token("/demarches/nouvelle")
        saved = 0
        for number in range(SAVES):
            fields = {"date": "2026-11-29", "action": f"Démarche {thread}-{number}", "status": "À faire"}
            status, location = browser.post("/demarches/nouvelle", {**fields, "csrf_token": token})
            saved += status == 302 and location.endswith("/demarches/")
        return saved

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            confirmed = sum(pool.map(save_hundred, range(THREADS)))
    finally:
        server.close()
        serving.join(timeout=10)
        app.extensions["passport"].store.close()
    assert confirmed == THREADS * SAVES
    expected = {f"Démarche {t}-{n}" for t in range(THREADS) for n in range(SAVES)}
    in_app = [step.get("action") for step in app.extensions["passport"].steps()]
    assert sorted(in_app) == sorted(expected)
    with Store(key.data) as store, store.session() as db:
        on_key = [doc["answers"]["action"] for doc in db.table("steps").all()]
    assert sorted(on_key) == sorted(expected)
    assert sorted(doc_id for doc_id in range(1, THREADS * SAVES + 1)) == sorted(
        step.id for step in app.extensions["passport"].steps()
    )
