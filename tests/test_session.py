"""The session's pages (Terminer, heartbeat, key pulled out) and the pieces behind the launcher."""

from __future__ import annotations

import logging
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passport import browser, instance, keyroot, logfile
from passport.keyroot import KeyPaths
from passport.watchdog import BROWSER_GONE, FINISHED, IDLE, KEY_GONE, Limits, Watchdog

PAGES = ["/", "/profil", "/demarches/", "/demarches/nouvelle", "/structures/", "/documents/"]
KEY_GONE_WARNING = 'role="alert">\n      <p><strong>Je ne trouve plus ta clé.</strong>'  # shown, not hidden


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_terminer_button_that_posts_with_its_token(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    form = re.search(r'<form class="finish" method="post" action="/terminer">(.*?)</form>', page, re.S)
    assert form is not None
    assert 'name="csrf_token"' in form.group(1) and ">Terminer</button>" in form.group(1)
    assert '<script src="/static/alive.js" data-beat="/battement" data-every="30000" defer></script>' in page


def test_terminer_without_the_form_token_or_the_cookie_is_refused(
    client: FlaskClient, stranger: FlaskClient, app: Flask
) -> None:
    origin = {"Origin": app.config["PASSPORT_ORIGIN"]}
    assert FlaskClient.post(client, "/terminer", headers=origin).status_code == 400  # no form token
    assert stranger.post("/terminer", headers=origin).status_code == 403
    assert not app.extensions["watchdog"].finished


def test_terminer_finishes_and_every_later_page_says_goodbye(client: FlaskClient, app: Flask) -> None:
    response = client.post("/terminer")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tu peux retirer ta clé" in page
    assert app.extensions["watchdog"].reason == FINISHED
    assert "Tu peux retirer ta clé" in client.get("/demarches/").get_data(as_text=True)


def test_terminer_with_the_key_already_gone_says_so(client: FlaskClient, key: KeyPaths) -> None:
    client.get("/")
    shutil.rmtree(key.root)
    page = client.post("/terminer").get_data(as_text=True)
    assert "Ta clé était déjà retirée" in page
    assert "Tu peux retirer ta clé" not in page


def test_with_the_key_pulled_out_every_page_says_so_in_french(client: FlaskClient, key: KeyPaths) -> None:
    assert KEY_GONE_WARNING not in client.get("/demarches/").get_data(as_text=True)
    client.post("/demarches/nouvelle", data={"date": "2026-03-02", "action": "Appeler le CIO", "status": "À faire"})
    shutil.rmtree(key.root)
    for path in PAGES:
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path  # what the passport holds can still be read
        assert KEY_GONE_WARNING in page and "Rebranche ta clé sur cet ordinateur" in page, path
    assert "Appeler le CIO" in client.get("/demarches/").get_data(as_text=True)


def test_a_form_sent_with_the_key_pulled_out_keeps_what_was_typed(client: FlaskClient, key: KeyPaths) -> None:
    client.get("/")
    shutil.rmtree(key.root)
    response = client.post(
        "/demarches/nouvelle", data={"date": "2026-03-02", "action": "Écrire au CFA", "status": "À faire"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Écrire au CFA" in page and "Rebranche-la" in page


def test_heartbeat_reports_the_key_and_counts_as_presence(client: FlaskClient, app: Flask, key: KeyPaths) -> None:
    assert client.get("/battement?actif=1").get_json() == {"cle": True, "ouvert": True}
    shutil.rmtree(key.root)
    assert client.get("/battement").get_json() == {"cle": False, "ouvert": True}


def test_instance_answers_its_token_only_while_the_key_names_it(
    stranger: FlaskClient, app: Flask, key: KeyPaths
) -> None:
    """Asked by a second launch, which has no cookie."""
    assert stranger.get("/instance").status_code == 503  # no state file yet
    token = instance.claim(key, 5000)
    app.config["INSTANCE_TOKEN"] = token
    response = stranger.get("/instance")
    assert response.status_code == 200 and response.get_json() == {"token": token, "attente": 1}
    instance.claim(key, 5001)  # another passport took the key over
    assert stranger.get("/instance").status_code == 503


def test_a_new_entry_secret_only_for_the_holder_of_the_relaunch_token(
    stranger: FlaskClient, app: Flask, key: KeyPaths
) -> None:
    app.config.update(INSTANCE_TOKEN=instance.claim(key, 5000), RELAUNCH_TOKEN="relaunch-" + "r" * 32)
    for wrong in ("", "relaunch-guess", "relaunch-" + "r" * 31):
        answer = stranger.get("/instance", headers={instance.RELAUNCH_HEADER: wrong}).get_json()
        assert "entree" not in answer and answer["attente"] == 1
    answer = stranger.get("/instance", headers={instance.RELAUNCH_HEADER: "relaunch-" + "r" * 32}).get_json()
    assert answer["attente"] == 2
    assert stranger.get(f"/entrer?jeton={answer['entree']}").status_code == 200
    assert stranger.get("/").status_code == 200  # let in
    assert stranger.get("/instance").get_json()["attente"] == 1  # the first launch's is still unused


def test_relaunch_token_is_private_to_this_user_and_removed_with_the_passport(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(instance.tempfile, "tempdir", str(tmp_path))
    relaunch = instance.write_relaunch("t" * 22)
    path = instance.relaunch_file("t" * 22)
    assert path.parent == tmp_path and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance.read_relaunch("t" * 22) == relaunch
    assert instance.write_relaunch("t" * 22) is None  # never over a file already there
    instance.remove_relaunch("t" * 22)
    assert not path.exists()


def test_a_state_file_whose_token_could_name_another_file_is_ignored(key: KeyPaths) -> None:
    key.data.mkdir(parents=True)
    instance.state_file(key).write_text('{"pid": 1, "port": 2, "token": "../../etc/passwd"}')
    assert instance.read(key) is None


def test_heartbeat_script_is_served_same_origin(client: FlaskClient) -> None:
    response = client.get("/static/alive.js")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_watchdog_stops_when_idle() -> None:
    clock = Clock()
    reasons: list[str] = []
    dog = Watchdog(Limits(idle=60, browser_gone=30), clock, on_finish=reasons.append)
    clock.now += 59
    assert not dog.should_stop()
    dog.saw_page()
    clock.now += 59
    assert not dog.should_stop()
    clock.now += 1
    assert dog.should_stop() and reasons == [IDLE]


def test_watchdog_counts_an_active_heartbeat_as_use_and_a_silent_one_as_presence_only() -> None:
    clock = Clock()
    dog = Watchdog(Limits(idle=60, browser_gone=30), clock)
    for _ in range(5):
        clock.now += 20
        dog.saw_beat(active=True)
    assert not dog.should_stop()
    for _ in range(3):
        clock.now += 20
        dog.saw_beat(active=False)
    assert dog.should_stop() and dog.reason == IDLE


def test_watchdog_stops_when_the_heartbeat_stops() -> None:
    clock = Clock()
    dog = Watchdog(Limits(idle=600, browser_gone=30), clock)
    clock.now += 500
    assert not dog.should_stop()  # no heartbeat ever: pages without JavaScript only have the idle limit
    dog.saw_beat(active=False)
    clock.now += 29
    assert not dog.should_stop()
    clock.now += 1
    assert dog.should_stop() and dog.reason == BROWSER_GONE


def test_watchdog_stops_when_the_key_stays_away_but_not_for_a_short_pull() -> None:
    clock = Clock()
    dog = Watchdog(Limits(idle=10_000, key_gone=60), clock)
    dog.saw_key(False)
    clock.now += 50
    dog.saw_key(True)
    dog.saw_key(False)
    clock.now += 59
    assert not dog.should_stop()
    clock.now += 1
    assert dog.should_stop() and dog.reason == KEY_GONE


def test_watchdog_finishes_once_and_leaves_time_for_the_goodbye_page() -> None:
    clock = Clock()
    reasons: list[str] = []
    dog = Watchdog(Limits(goodbye_grace=1.5), clock, on_finish=reasons.append)
    assert dog.finish(FINISHED)
    assert not dog.finish("stopped")
    assert not dog.should_stop()
    clock.now += 1.5
    assert dog.should_stop()
    assert reasons == [FINISHED]


def test_frozen_program_finds_the_key_root_from_its_own_folder(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "KEY"
    (root / "App" / "linux").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    for program in (root / "App" / "linux" / "passeport", root / "Passeport.exe"):
        monkeypatch.setattr(sys, "executable", str(program))
        assert keyroot.locate(None).root == root
    assert keyroot.locate(str(tmp_path / "other")).root == tmp_path / "other"


def test_program_copied_alone_keeps_its_data_next_to_itself(tmp_path: Path) -> None:
    assert keyroot.frozen_root(tmp_path / "somewhere") == tmp_path / "somewhere"


def test_log_keeps_events_and_drops_what_libraries_might_quote(key: KeyPaths) -> None:
    keyroot.prepare(key)
    handler = logfile.start(key)
    try:
        logging.getLogger("passport.launcher").info("started on port %d", 4242)
        logging.getLogger("passport.web").error("Exception on /documents/fichier/suivi-zoelie.docx [GET]")
        try:
            raise ValueError("Zoélie Tartempion")
        except ValueError:
            logging.getLogger("waitress").exception("error while serving Zoélie")
    finally:
        logfile.stop(handler)
    text = (key.logs / logfile.LOG_NAME).read_text(encoding="utf-8")
    assert "started on port 4242" in text
    assert "builtins.ValueError" in text and "test_session.py" in text
    assert "zoelie" not in text.lower() and "Tartempion" not in text


def test_log_rotates_to_stay_small(key: KeyPaths) -> None:
    keyroot.prepare(key)
    handler = logfile.start(key, max_bytes=2000)
    try:
        for number in range(500):
            logging.getLogger("passport.test").info("event %d", number)
    finally:
        logfile.stop(handler)
    files = sorted(path.name for path in key.logs.iterdir())
    assert files == ["passeport.log", "passeport.log.1", "passeport.log.2"]
    assert all(path.stat().st_size <= 2100 for path in key.logs.iterdir())
    assert "event 499" in (key.logs / "passeport.log").read_text()


def test_log_on_a_key_that_refuses_writes_is_simply_off(tmp_path: Path) -> None:
    blocker = tmp_path / "KEY"
    blocker.write_text("not a folder")  # Data/ cannot be created under a file
    assert logfile.start(KeyPaths(blocker)) is None


def test_browser_gets_the_library_path_the_person_had(monkeypatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/tmp/_MEI123:/opt/lib")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/opt/lib")
    browser.restore_library_path()
    assert browser.os.environ["LD_LIBRARY_PATH"] == "/opt/lib"
    monkeypatch.setenv("LD_LIBRARY_PATH", "/tmp/_MEI123")
    monkeypatch.delenv("LD_LIBRARY_PATH_ORIG")
    browser.restore_library_path()
    assert "LD_LIBRARY_PATH" not in browser.os.environ
