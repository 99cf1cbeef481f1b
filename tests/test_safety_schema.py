"""Schema versions: files of every earlier version open forever; migrations are plain functions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from passport import export, migrations
from passport.keyroot import KeyPaths
from passport.store import SLOT_NAMES, NewerSchemaError, Store, encode
from passport.web import create_app

from conftest import Client

FIXTURES = Path(__file__).parent / "fixtures"
VERSIONS = range(1, migrations.CURRENT_SCHEMA + 1)


def header(path: Path) -> dict:
    return json.loads(path.read_bytes().partition(b"\n")[0])


def key_from_fixture(tmp_path: Path, version: int) -> KeyPaths:
    key = KeyPaths(tmp_path / "KEY")
    shutil.copytree(FIXTURES / f"schema-{version}", key.data)
    return key


def test_every_version_has_its_fixture_and_every_older_one_its_migration():
    assert sorted(migrations.MIGRATIONS) == list(range(1, migrations.CURRENT_SCHEMA))
    for version in VERSIONS:
        for name in SLOT_NAMES:
            assert header(FIXTURES / f"schema-{version}" / name)["schema"] == version


@pytest.mark.parametrize("version", VERSIONS)
def test_a_key_written_by_each_version_opens_with_all_its_sheets(tmp_path, version):
    key = key_from_fixture(tmp_path, version)
    app = create_app(key, port=5000)
    app.config["TESTING"] = True
    app.test_client_class = Client
    client = app.test_client()
    assert "Bonjour Léa !" in client.get("/").get_data(as_text=True)
    steps = client.get("/demarches/").get_data(as_text=True)
    assert "Appeler la Mission Locale" in steps
    assert "Forum des métiers à Châteauroux" in steps
    assert "Association Tremplin" in client.get("/structures/").get_data(as_text=True)
    passport = app.extensions["passport"]
    [intake] = passport.intakes()
    assert intake.get("why") == "Fixture why"
    assert export.render(passport, "dossier", intake.id).startswith(b"PK")
    passport.save_step({"date": ["2026-12-12"], "action": ["Rendez-vous au CIO"], "status": ["À faire"]})
    newest = max((key.data / name for name in SLOT_NAMES), key=lambda path: header(path)["generation"])
    assert header(newest)["schema"] == migrations.CURRENT_SCHEMA


def test_a_migration_runs_on_open_and_the_older_slot_stays_as_it_was(tmp_path, monkeypatch):
    """The mechanism, with a test-only schema 2 that renames the steps' "action" to "what"."""

    def rename_action(tables: migrations.Tables) -> migrations.Tables:
        steps = tables.get("steps", {})
        for doc in steps.values():
            doc["answers"]["what"] = doc["answers"].pop("action")
        return tables

    monkeypatch.setattr(migrations, "CURRENT_SCHEMA", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, rename_action)
    key = key_from_fixture(tmp_path, 1)
    before = {name: (key.data / name).read_bytes() for name in SLOT_NAMES}
    store = Store(key.data)
    with store.session() as db:
        assert {doc["answers"]["what"] for doc in db.table("steps").all()} >= {"Appeler la Mission Locale"}
        assert {name: (key.data / name).read_bytes() for name in SLOT_NAMES} == before, "opening writes nothing"
        db.table("steps").insert({"answers": {"what": "Rendez-vous au CIO"}})
    written = [name for name in SLOT_NAMES if (key.data / name).read_bytes() != before[name]]
    assert len(written) == 1, "the save went into the older slot only"
    [kept] = set(SLOT_NAMES) - set(written)
    assert (key.data / kept).read_bytes() == before[kept]
    assert header(key.data / written[0])["schema"] == 2
    store.close()
    with Store(key.data).session() as db:
        assert "Rendez-vous au CIO" in {doc["answers"]["what"] for doc in db.table("steps").all()}


def test_an_older_slot_left_by_a_cut_first_save_is_migrated_again(tmp_path, monkeypatch):
    monkeypatch.setattr(migrations, "CURRENT_SCHEMA", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, lambda tables: {**tables, "migrated": {"1": {"to": 2}}})
    key = key_from_fixture(tmp_path, 1)
    newest = max((key.data / name for name in SLOT_NAMES), key=lambda path: header(path)["generation"])
    older = next(key.data / name for name in SLOT_NAMES if key.data / name != newest)
    older.write_bytes(older.read_bytes()[:100])  # the first save after the update was cut short
    with Store(key.data).session() as db:
        assert db.table("migrated").get(doc_id=1) == {"to": 2}
        assert db.table("steps").all()


def test_migrations_apply_in_order_from_the_file_s_version(monkeypatch):
    monkeypatch.setattr(migrations, "CURRENT_SCHEMA", 3)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, lambda t: {**t, "trace": {**t.get("trace", {}), "1": {"v": 2}}})
    monkeypatch.setitem(migrations.MIGRATIONS, 2, lambda t: {**t, "trace": {**t.get("trace", {}), "2": {"v": 3}}})
    assert migrations.migrate({}, 1) == {"trace": {"1": {"v": 2}, "2": {"v": 3}}}
    assert migrations.migrate({}, 2) == {"trace": {"2": {"v": 3}}}
    assert migrations.migrate({"x": {}}, 3) == {"x": {}}


def test_a_file_from_a_newer_version_is_refused_even_when_its_payload_is_unreadable(tmp_path):
    blob = encode({"steps": {}}, generation=4).replace(b'"schema": 1', b'"schema": 9')
    (tmp_path / SLOT_NAMES[0]).write_bytes(blob[:-5] + b"?????")
    (tmp_path / SLOT_NAMES[1]).write_bytes(encode({"steps": {}}, generation=3))
    with pytest.raises(NewerSchemaError, match="schema 9"):
        Store(tmp_path)
