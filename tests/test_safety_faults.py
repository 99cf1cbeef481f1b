"""Real faults on real filesystems, through the pages: a full key (size-limited tmpfs, full FAT32
image), a write-protected key (read-only bind mount), a key pulled out (its fusefat process
killed, or its folder gone). Each time the page says what happened in French, shows the
typed input again, loses nothing saved before, and the save works once the cause is gone."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from passport.keyroot import KeyPaths
from passport.store import Store
from passport.web import create_app

from conftest import Client
from support import FatKey, fill_up, tmpfs, write_protect_switch

pytestmark = pytest.mark.slow

FIRST = {"date": "2026-11-20", "action": "Appeler la Mission Locale", "status": "À faire"}
# Big enough to need new room on the key: 10,000 two-byte characters.
TYPED = {"date": "2026-11-29", "action": "Candidature chez le boulanger", "status": "En cours", "result": "é" * 10_000}
FULL, READ_ONLY, GONE = "Ta clé est pleine", "Ta clé est protégée en écriture", "La clé a été retirée"


def open_app(root: Path) -> FlaskClient:
    app = create_app(KeyPaths(root), port=5000)
    app.config["TESTING"] = True
    app.test_client_class = Client
    return app.test_client()


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def on_key(root: Path) -> list[str]:
    """The steps as the files on the key hold them (read by a fresh store)."""
    with Store(root / "Data") as store, store.session() as db:
        return [doc["answers"]["action"] for doc in db.table("steps").all()]


def assert_refused_with(client: FlaskClient, root: Path, message: str) -> None:
    response = client.post("/demarches/nouvelle", data=dict(TYPED))
    shown = page(response)
    assert response.status_code == 503
    assert message in shown
    assert 'value="Candidature chez le boulanger"' in shown, "the typed input is shown again"
    assert "é" * 10_000 in shown
    assert "Appeler la Mission Locale" in page(client.get("/demarches/"))
    assert "Candidature chez le boulanger" not in page(client.get("/demarches/"))


def assert_saved_once_fixed(client: FlaskClient, root: Path) -> None:
    response = client.post("/demarches/nouvelle", data=dict(TYPED))
    assert response.status_code == 302
    assert on_key(root) == ["Appeler la Mission Locale", "Candidature chez le boulanger"]


def export_refused_with(client: FlaskClient, root: Path, message: str) -> None:
    response = client.post("/documents/dossier", follow_redirects=True)
    assert message in page(response)
    assert not list((root / "Exports").glob("*.docx")), "no half-written document is left"


@pytest.fixture(params=["tmpfs", "fat"])
def small_key(request, tmp_path) -> Iterator[Path]:
    if request.param == "tmpfs":
        with tmpfs(tmp_path, size_kb=1024) as mount:
            yield mount
    else:
        with FatKey(tmp_path, size_mb=34) as key:
            yield key.mount


def test_a_full_key(small_key):
    client = open_app(small_key)
    assert client.post("/demarches/nouvelle", data=dict(FIRST)).status_code == 302
    filler = fill_up(small_key)
    assert_refused_with(client, small_key, FULL)
    export_refused_with(client, small_key, FULL)
    assert on_key(small_key) == ["Appeler la Mission Locale"]
    filler.unlink()
    assert_saved_once_fixed(client, small_key)
    response = client.post("/documents/dossier", follow_redirects=True)
    assert "est prêt et enregistré sur ta clé" in page(response)


@pytest.fixture
def switchable_key(disk) -> Iterator[tuple[Path, object]]:
    root = disk / "KEY"
    root.mkdir()
    with write_protect_switch(root) as protect:
        yield root, protect


def test_a_write_protected_key(switchable_key):
    root, protect = switchable_key
    client = open_app(root)
    assert client.post("/demarches/nouvelle", data=dict(FIRST)).status_code == 302
    protect(True)
    assert_refused_with(client, root, READ_ONLY)
    done = client.post("/demarches/1/fait", follow_redirects=True)
    assert READ_ONLY in page(done)
    assert "À faire" in page(client.get("/demarches/1"))
    export_refused_with(client, root, READ_ONLY)
    assert on_key(root) == ["Appeler la Mission Locale"]
    protect(False)
    assert_saved_once_fixed(client, root)


def test_a_key_write_protected_before_the_passport_starts(switchable_key):
    root, protect = switchable_key
    client = open_app(root)
    client.post("/profil", data={"first_name": "Léa"})
    client.post("/demarches/nouvelle", data=dict(FIRST))
    del client  # the passport is closed...
    protect(True)  # ...the switch is pushed, and the passport started again
    client = open_app(root)
    assert "Bonjour Léa !" in page(client.get("/"))
    assert_refused_with(client, root, READ_ONLY)
    protect(False)
    assert_saved_once_fixed(client, root)


def test_a_key_pulled_out_and_plugged_back_in(tmp_path):
    with FatKey(tmp_path) as key:
        client = open_app(key.mount)
        assert client.post("/demarches/nouvelle", data=dict(FIRST)).status_code == 302
        key.pull_out()
        assert_refused_with(client, key.mount, GONE)
        assert client.get("/").status_code == 200
        assert client.get("/documents/").status_code == 200
        assert GONE in page(client.post("/documents/suivi", follow_redirects=True))
        key.plug_in()
        assert_saved_once_fixed(client, key.mount)
        del client
        key.eject()
        key.plug_in()
        assert on_key(key.mount) == ["Appeler la Mission Locale", "Candidature chez le boulanger"]


def test_a_key_whose_folder_vanished_and_came_back(tmp_path):
    root, away = tmp_path / "KEY", tmp_path / "ailleurs"
    client = open_app(root)
    assert client.post("/demarches/nouvelle", data=dict(FIRST)).status_code == 302
    root.rename(away)
    assert_refused_with(client, root, GONE)
    away.rename(root)
    assert_saved_once_fixed(client, root)
