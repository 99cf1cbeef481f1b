"""build_key.py update, on key folders: the program changes, the young person's data does not."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from passport import migrations, store
from passport.keys import cli, layout, manifest, state, verify
from passport.store import Store, survey

from support import fake_build, fill_passport, session_file


def tree_hashes(folder: Path) -> dict[str, str]:
    return {path: hashlib.sha256(full.read_bytes()).hexdigest() for path, full in layout.walk(folder)}


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """A key prepared from an old build, then used for a few weeks."""
    build = fake_build(tmp_path / "old")
    into = tmp_path / "cles"
    args = ["prepare", "--session", str(session_file(tmp_path)), "--count", "1", "--build", str(build)]
    assert cli.main([*args, "--into", str(into)]) == 0
    key = into / "cle-01"
    fill_passport(key)
    return key


@pytest.fixture
def new_build(tmp_path: Path) -> Path:
    build = fake_build(tmp_path / "new", seed=2)
    (build / "App/macos/passeport").unlink()
    (build / "App/lib/new-module.pyd").write_bytes(b"new module")
    return build


def update(key: Path, build: Path, *extra: str) -> int:
    return cli.main(["update", "--target", str(key), "--build", str(build), "--yes", *extra])


def test_update_replaces_the_program_and_leaves_data_and_exports_byte_identical(key, new_build, capsys):
    data, exports, defaults = (tree_hashes(key / part) for part in (layout.DATA, layout.EXPORTS, layout.DEFAULT_DATA))
    assert len(exports) == 1
    capsys.readouterr()
    assert update(key, new_build) == 0
    assert tree_hashes(key / layout.DATA) == data
    assert tree_hashes(key / layout.EXPORTS) == exports
    assert tree_hashes(key / layout.DEFAULT_DATA) == defaults  # the key's own seed stays
    for path, full in layout.walk(new_build):
        assert (key / path).read_bytes() == full.read_bytes(), path
    assert not (key / "App/macos").exists()
    assert verify.check(key).ok
    out = capsys.readouterr().out
    assert "à jour" in out
    assert "1 ancien(s) retiré(s)" in out
    assert "vérifiée" in out


def test_update_never_removes_what_the_program_did_not_put_there(key, new_build):
    (key / "mes-notes.txt").write_text("à moi")
    (key / "App" / "linux" / "fichier-perso.txt").write_text("à moi aussi")
    assert update(key, new_build) == 1  # verify reports the stranger in App/ ...
    assert (key / "mes-notes.txt").read_text() == "à moi"
    assert (key / "App" / "linux" / "fichier-perso.txt").exists()  # ... but update does not delete it
    assert "fichier en trop : App/linux/fichier-perso.txt" in verify.check(key).reason


def test_an_older_data_file_is_copied_aside_then_migrated_by_the_app(key, new_build, monkeypatch):
    before = tree_hashes(key / layout.DATA)
    newest = survey(key / layout.DATA).newest
    assert newest is not None and newest.schema == migrations.CURRENT_SCHEMA
    current = migrations.CURRENT_SCHEMA

    def add_field(tables):
        tables.setdefault("profile", {}).setdefault("1", {})["migrated"] = True
        return tables

    monkeypatch.setattr(migrations, "CURRENT_SCHEMA", current + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, current, add_field)
    assert update(key, new_build) == 0
    backups = [p for p in (key / layout.DATA).iterdir() if p.name.startswith("sauvegarde-avant-mise-a-jour-")]
    assert len(backups) == 1
    assert tree_hashes(backups[0]) == {name: before[name] for name in store.SLOT_NAMES}
    assert survey(key / layout.DATA).newest.schema == current + 1
    with Store(key / layout.DATA).session() as db:
        assert db.table("profile").get(doc_id=1)["migrated"] is True
        assert len(db.table("steps")) == 3


def test_data_from_a_newer_passport_is_refused(key, new_build, capsys):
    slot = survey(key / layout.DATA).newest.path
    head, _, payload = slot.read_bytes().partition(b"\n")
    header = json.loads(head)
    header["schema"] = 99
    slot.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    before = tree_hashes(key)
    assert update(key, new_build) == 2
    assert tree_hashes(key) == before
    assert "version plus récente" in capsys.readouterr().err


def test_update_refuses_what_is_not_a_finished_key(tmp_path, new_build, capsys):
    empty, stranger, half = tmp_path / "vide", tmp_path / "photos", tmp_path / "moitie"
    empty.mkdir()
    stranger.mkdir()
    (stranger / "ete.jpg").write_bytes(b"jpeg")
    state.mark(half, state.PREPARE)
    for folder, reason in (
        (empty, "est vide"),
        (stranger, "n'est pas une clé"),
        (half, "relancez « build_key.py prepare »"),
    ):
        assert update(folder, new_build) == 2
        assert reason in capsys.readouterr().err
    assert [p.name for p in empty.iterdir()] == []
    assert [p.name for p in stranger.iterdir()] == ["ete.jpg"]


def test_an_interrupted_update_is_finished_by_running_it_again(key, new_build):
    data = tree_hashes(key / layout.DATA)
    state.mark(key, state.UPDATE)  # as a run killed after a few files would leave it
    (key / "App/linux/passeport").write_bytes(b"half written")
    assert "mise à jour interrompue" in verify.check(key).reason
    assert update(key, new_build) == 0
    assert verify.check(key).ok
    assert tree_hashes(key / layout.DATA) == data


def test_a_hand_made_key_without_manifest_gets_one(tmp_path, new_build):
    key = tmp_path / "ancienne"
    (key / layout.DATA).mkdir(parents=True)
    Store(key / layout.DATA).persist()
    assert update(key, new_build) == 0
    assert verify.check(key).ok
    assert manifest.read(key).seed == {}
    assert state.inspect(key).kind is state.Kind.HOLDS_DATA


def test_a_key_open_in_the_passport_is_left_alone(key, new_build, capsys):
    before = tree_hashes(key)
    with Store(key / layout.DATA):  # the passport running on the key holds its lock
        assert update(key, new_build) == 2
        assert "ouverte dans le passeport en ce moment" in capsys.readouterr().err
    assert tree_hashes(key) == before
    assert update(key, new_build) == 0
