"""The launcher as a person meets it: real processes of ``python -m passport`` spoken to over HTTP."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from passport import instance
from passport.keyroot import KeyPaths

from http_session import HttpSession
from support import (
    browser_opened,
    browser_recorder,
    fat_image,
    first_line,
    forwarded_to,
    need,
    need_root,
    wait_for_exit,
)

REPO = Path(__file__).resolve().parent.parent
HOLD_THE_KEY = """
import sys, time
from pathlib import Path
from passport.store import Store
store = Store(Path(sys.argv[1]))
print("holding", flush=True)
time.sleep(120)
"""
pytestmark = pytest.mark.slow


class Launch:
    """Starts passports on one key, each with a private temp folder and a recording browser."""

    def __init__(self, folder: Path) -> None:
        self.key = KeyPaths(folder / "KEY")
        self.host_temp = folder / "host-temp"
        self.host_temp.mkdir()
        self.browser, self.browser_log = browser_recorder(folder)
        self.processes: list[subprocess.Popen[str]] = []

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(self.host_temp), "BROWSER": self.browser}

    def start(self, *args: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "passport", "--key", str(self.key.root), *args]
        return self.popen(command)

    def popen(self, command: list[str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            command, cwd=REPO, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.processes.append(process)
        return process

    def opened(self, count: int = 1) -> list[tuple[str, str]]:
        return browser_opened(self.browser_log, count)

    def log_text(self) -> str:
        return "".join(path.read_text() for path in sorted(self.key.logs.glob("passeport.log*")))

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    launcher = Launch(tmp_path)
    yield launcher
    launcher.stop_all()


def finish(browser: HttpSession) -> str:
    """Press "Terminer" on the home page."""
    return browser.post("/", "/terminer", {})


def test_browser_is_sent_through_a_private_page_that_leads_into_the_passport(launch: Launch) -> None:
    process = launch.start()
    url = first_line(process)
    [(opened, _)] = launch.opened()
    assert opened.startswith(f"file://{launch.host_temp}/") and forwarded_to(opened) == url
    assert "Bienvenue dans ton passeport" in HttpSession(url).first_page
    assert not Path(opened.removeprefix("file://")).exists()  # used, so removed


def test_terminer_saves_stops_and_leaves_nothing_behind(launch: Launch) -> None:
    process = launch.start()
    browser = HttpSession(first_line(process))
    assert "Bonjour Zoélie" in browser.post("/profil", "/profil", {"first_name": "Zoélie"})
    step = {"date": "2026-03-02", "action": "Appeler Marcelline Tartempion", "kind": "Appel", "status": "À faire"}
    assert "enregistré" in browser.post("/demarches/nouvelle", "/demarches/nouvelle", step)
    assert launch.opened()

    page = finish(browser)

    assert "Tu peux retirer ta clé" in page
    assert "<script" not in page and "<form" not in page  # the page outlives the server
    assert wait_for_exit(process, timeout=15) == 0
    assert not instance.state_file(launch.key).exists()
    assert list(launch.host_temp.iterdir()) == []  # forwarding page, relaunch token: all gone
    log = launch.log_text()
    assert "stopping: finished" in log
    for personal in ("Zoélie", "zoelie", "Marcelline", "Tartempion"):
        assert personal not in log


def test_second_launch_lets_a_browser_back_into_the_running_passport_and_exits(launch: Launch) -> None:
    """The first entry secret is spent: the second launch gets a fresh one for this user's browser."""
    first = launch.start()
    url = first_line(first)
    HttpSession(url)  # the first browser went in, then was closed (its cookie is gone)

    second = launch.start()
    again = first_line(second)

    assert again != url and again.split("?")[0] == url.split("?")[0]  # same passport, new secret
    opened = launch.opened(2)[1][0]
    assert forwarded_to(opened) == again
    assert "Bienvenue dans ton passeport" in HttpSession(again).first_page  # a browser with no cookie
    assert wait_for_exit(second, timeout=20) == 0
    assert not Path(opened.removeprefix("file://")).exists()
    assert first.poll() is None
    assert instance.read(launch.key).pid == first.pid  # type: ignore[union-attr]


def test_second_launch_by_another_user_gets_no_way_in(launch: Launch, tmp_path: Path) -> None:
    """Another user of the PC has another temp folder: no relaunch token, only the plain address."""
    first = launch.start("--no-browser")
    url = first_line(first)
    launch.host_temp = tmp_path / "other-user-temp"
    launch.host_temp.mkdir()

    second = launch.start("--no-browser")

    assert wait_for_exit(second, timeout=20) == 0
    plain = first_line(second)
    assert plain == url.split("entrer")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        HttpSession(plain)
    assert refused.value.code == 403


def test_stale_state_from_a_killed_passport_does_not_block(launch: Launch) -> None:
    killed = launch.start("--no-browser")
    first_line(killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert instance.read(launch.key) is not None  # left behind, as after a crash

    process = launch.start("--no-browser")
    url = first_line(process)

    assert "Bienvenue" in HttpSession(url).first_page
    assert instance.read(launch.key).pid == process.pid  # type: ignore[union-attr]


def test_state_naming_another_program_on_a_live_port_does_not_block(launch: Launch) -> None:
    """A key coming from another PC: its pid and port mean something else here."""
    other = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        launch.key.data.mkdir(parents=True)
        state = {"pid": os.getpid(), "port": other.server_address[1], "token": "from-another-pc"}
        instance.state_file(launch.key).write_text(json.dumps(state))

        process = launch.start("--no-browser")
        url = first_line(process)

        assert url != instance.page_url(other.server_address[1])
        assert "Bienvenue" in HttpSession(url).first_page
    finally:
        other.shutdown()


def test_stops_by_itself_when_nobody_uses_it(launch: Launch) -> None:
    process = launch.start("--no-browser", "--idle-seconds", "1")
    first_line(process)
    assert wait_for_exit(process, timeout=15) == 0
    assert not instance.state_file(launch.key).exists()
    assert "stopping: idle" in launch.log_text()


def test_stops_by_itself_when_the_browser_is_gone(launch: Launch) -> None:
    process = launch.start("--no-browser", "--browser-gone-seconds", "1")
    browser = HttpSession(first_line(process))
    assert '"cle":true' in browser.get("/battement")  # a page was open, then its heartbeat stops
    assert wait_for_exit(process, timeout=15) == 0
    assert "stopping: browser-gone" in launch.log_text()


def test_windowed_build_without_stdout_or_stderr_still_serves(launch: Launch) -> None:
    """Windowed builds start with sys.stdout and sys.stderr set to None."""
    code = (
        "import sys; sys.stdout = None; sys.stderr = None\n"
        "from passport.launcher import main\n"
        f"sys.exit(main(['--key', {str(launch.key.root)!r}]))"
    )
    process = launch.popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while (running := instance.read(launch.key)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running is not None and running.pid == process.pid
    second = launch.start("--no-browser")  # no console to read: a second launch prints a way in
    finish(HttpSession(first_line(second)))
    assert wait_for_exit(process, timeout=15) == 0
    assert process.stdout is not None and process.stdout.read() == ""


def test_key_pulled_out_while_open_shows_a_french_page_then_terminer_says_so(launch: Launch, tmp_path: Path) -> None:
    need_root()
    with fat_image(tmp_path) as mount:
        launch.key = KeyPaths(mount)
        process = launch.start("--no-browser")
        browser = HttpSession(first_line(process))
        assert '"cle":true' in browser.get("/battement")

        subprocess.run(["fusermount", "-u", "-z", str(mount)], check=True)  # the key is pulled out

        page = browser.get("/demarches/")
        assert '<div id="cle-absente" class="message message-error" role="alert">' in page  # not hidden
        assert "Je ne trouve plus ta clé" in page
        assert '"cle":false' in browser.get("/battement")
        assert "Ta clé était déjà retirée" in browser.post("/", "/terminer", {})
        assert wait_for_exit(process, timeout=15) == 0


def test_real_browser_heartbeat_keeps_it_alive_and_closing_the_browser_stops_it(launch: Launch, tmp_path: Path) -> None:
    """Chromium runs alive.js under the pages' CSP; once Chromium is gone, the passport stops."""
    need("chromium")
    process = launch.start("--no-browser", "--beat-seconds", "1", "--browser-gone-seconds", "4")
    url = first_line(process)
    chromium = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # its renderer and helper processes go with it below
    )  # fmt: skip
    try:
        time.sleep(8)  # the page loads and sends its first heartbeat
        assert process.poll() is None
    finally:
        os.killpg(chromium.pid, signal.SIGKILL)
        chromium.wait()
    assert wait_for_exit(process, timeout=30) == 0
    assert "stopping: browser-gone" in launch.log_text()


def test_two_double_clicks_at_once_give_one_passport(launch: Launch) -> None:
    first, second = launch.start("--no-browser"), launch.start("--no-browser")
    lines = [first_line(first), first_line(second)]
    deadline = time.monotonic() + 30
    while all(p.poll() is None for p in (first, second)) and time.monotonic() < deadline:
        time.sleep(0.1)
    [(serving, url)] = [(p, line) for p, line in zip((first, second), lines, strict=True) if p.poll() is None]
    [(gone, way_in)] = [(p, line) for p, line in zip((first, second), lines, strict=True) if p is not serving]
    assert gone.returncode == 0
    assert way_in != url and way_in.split("?")[0] == url.split("?")[0]  # the same passport, a fresh entry
    assert "Bienvenue" in HttpSession(way_in).first_page
    assert instance.read(launch.key).pid == serving.pid  # type: ignore[union-attr]


def test_a_key_held_by_another_program_is_refused_in_french(launch: Launch) -> None:
    """Another passport program (an old version, a copy elsewhere) has the key open, with no state file."""
    launch.key.data.mkdir(parents=True)
    holder = launch.popen([sys.executable, "-c", HOLD_THE_KEY, str(launch.key.data)])
    assert first_line(holder) == "holding"
    process = launch.start("--no-browser", "--starting-wait-seconds", "1")
    assert wait_for_exit(process, timeout=30) == 1
    assert process.stderr is not None and "Ton passeport est déjà ouvert" in process.stderr.read()
    assert process.stdout is not None and process.stdout.read() == ""  # no address: nothing served
