"""build_key.py prepare, into folders: what a prepared key holds, and what prepare refuses to touch."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docx import Document

from passport import forms, keyform, vault
from passport.keyroot import REPOSITORY
from passport.keys import cli, layout, manifest, verify, volumes
from passport.records import Passport, load_directory
from passport.store import PENDING, Store

from support import FIRST_NAMES, fake_build, roster_file, session_file


def open_passport(key: Path) -> Passport:
    return Passport(Store(key / layout.DATA), forms.load(), load_directory())


def tree_hashes(folder: Path) -> dict[str, str]:
    return {path: hashlib.sha256(full.read_bytes()).hexdigest() for path, full in layout.walk(folder)}


@pytest.fixture
def staff(tmp_path: Path) -> dict[str, Path]:
    """What staff have at hand: a build, a session file, a roster of 20 first names."""
    return {
        "build": fake_build(tmp_path / "build"),
        "session": session_file(tmp_path),
        "roster": roster_file(tmp_path, FIRST_NAMES),
    }


def prepare(staff: dict[str, Path], *where: str, roster: bool = True) -> int:
    who = ["--roster", str(staff["roster"])] if roster else []
    return cli.main(["prepare", "--session", str(staff["session"]), *who, "--build", str(staff["build"]), *where])


def test_twenty_keys_from_a_roster_each_verify_and_open_with_their_first_name(staff, tmp_path, capsys):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into), "--sheet", str(tmp_path / "fiche.docx")) == 0
    keys = sorted(into.iterdir())
    assert [key.name for key in keys][:2] == ["cle-01-b01", "cle-02-b02"]
    assert len(keys) == 20
    for key, first_name in zip(keys, FIRST_NAMES, strict=True):
        assert verify.check(key).ok, key
        assert not (key / layout.MARKER).exists()
        # Protected (the session file says nothing): the program's folder keeps no first name.
        assert first_name.encode() not in b"".join(
            full.read_bytes() for _, full in layout.walk(key, layout.DEFAULT_DATA)
        )
        passport = open_passport(key)
        assert passport.store.protection == PENDING  # the young person chooses a phrase at the first start
        assert passport.profile()["first_name"] == first_name
        assert passport.profile()["referent_structure"] == "mission-locale"
        assert passport.session()["counsellor"] == "Camille Martin"
        by_id = {s.id: s for s in passport.directory()}
        assert by_id["cio"].address == "1 rue de l'Exemple, 36000 Châteauroux"
        assert by_id["cio"].about.startswith("Information et orientation")  # the default text is kept
        local = [s for s in passport.directory() if s.local]
        assert [(s.name, s.phone) for s in local] == [("Point Information Jeunesse de Châteauroux", "02 54 11 11 11")]
        assert os.access(key / "Passeport", os.X_OK)
    out = capsys.readouterr().out
    assert "20 clé(s) prête(s) sur 20" in out
    assert "Maëlys" in out  # the summary table names who each key is for
    sheet = Document(str(tmp_path / "fiche.docx"))
    rows = [[cell.text for cell in row.cells] for row in sheet.tables[0].rows]
    assert rows[1][:3] == ["1", "B01", "Léa"]
    assert len(rows) == 21
    codes = [row[5] for row in rows[1:]]
    assert all(vault.valid_code(code) for code in codes) and len(set(codes)) == 20
    first = Store(keys[0] / layout.DATA)
    first.set_phrase("lune cartable riviere soleil", kdf=vault.PhraseKdf(1, 8192))
    first.close()
    again = Store(keys[0] / layout.DATA)
    again.recover(codes[0], "girafe bouton orage cerise")  # the code printed for this key opens it
    assert Passport(again, forms.load(), load_directory()).profile()["first_name"] == "Léa"
    again.close()


def test_the_key_layout_has_every_bundle_and_a_manifest_of_app(staff, tmp_path):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into), "--count", "1", roster=False) == 0
    key = into / "cle-01"
    names = {entry.name for entry in key.iterdir()}
    assert names == {"App", "Data", "Exports", "LISEZ-MOI.html", "Passeport", "Passeport.command", "Passeport.exe"}
    listed = manifest.read(key).files
    on_key = {path for path, _ in layout.walk(key, layout.APP)} - {layout.MANIFEST}
    assert on_key == {path for path in listed if path.startswith("App/")}
    assert {"App/linux/passeport", "App/macos/passeport", "App/base_library.zip"} <= on_key
    for path, digest in listed.items():
        assert hashlib.sha256((key / path).read_bytes()).hexdigest() == digest
    # --count: no first name yet, but the session is there for the intake sheet.
    passport = open_passport(key)
    assert passport.profile() == {}
    assert passport.new_intake_answers()["occasion"].startswith("Prévention du décrochage")


def test_a_folder_that_is_not_a_key_is_refused_before_anything_is_written(staff, tmp_path, capsys):
    into = tmp_path / "cles"
    stranger = into / "cle-03-b03"
    stranger.mkdir(parents=True)
    (stranger / "vacances.jpg").write_bytes(b"\xff\xd8 photo")
    assert prepare(staff, "--into", str(into)) == 2
    assert sorted(entry.name for entry in into.iterdir()) == ["cle-03-b03"]
    assert [entry.name for entry in stranger.iterdir()] == ["vacances.jpg"]
    err = capsys.readouterr().err
    assert "n'est pas vide et n'est pas une clé du passeport (vacances.jpg)" in err
    assert "Rien n'a été écrit" in err


def test_a_key_holding_a_young_persons_data_is_refused_and_left_as_it_is(staff, tmp_path, capsys):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into)) == 0
    used = into / "cle-05-b05"
    open_passport(used).save_step({"date": ["2026-03-20"], "action": ["Appeler la Mission Locale"], "status": ["Fait"]})
    before = tree_hashes(used)
    capsys.readouterr()
    assert prepare(staff, "--into", str(into)) == 2
    assert tree_hashes(used) == before
    err = capsys.readouterr().err
    assert "cle-05-b05" in err
    assert "contient les données d'un jeune" in err
    assert "build_key.py update" in err


def test_running_the_same_command_again_leaves_finished_keys_alone(staff, tmp_path, capsys):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into)) == 0
    before = tree_hashes(into)
    capsys.readouterr()
    assert prepare(staff, "--into", str(into)) == 0
    assert tree_hashes(into) == before
    assert capsys.readouterr().out.count("déjà prête") == 20


def test_an_unused_key_is_prepared_again_when_the_session_changed(staff, tmp_path):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into), "--count", "2", roster=False) == 0
    staff["session"].write_text(staff["session"].read_text().replace("Camille Martin", "Sacha Petit"))
    assert prepare(staff, "--into", str(into), "--count", "2", roster=False) == 0
    assert open_passport(into / "cle-01").session()["counsellor"] == "Sacha Petit"
    assert verify.check(into / "cle-01").ok


def test_targets_must_match_the_roster_and_be_confirmed(staff, tmp_path, capsys, monkeypatch):
    first, second = tmp_path / "E", tmp_path / "F"
    first.mkdir()
    second.mkdir()
    assert prepare(staff, "--target", str(first), "--target", str(second)) == 2
    assert "20 jeune(s) dans la liste pour 2 clé(s)" in capsys.readouterr().err
    # Without --yes and without a keyboard to answer, nothing is written.
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115
    assert prepare(staff, "--target", str(first), "--target", str(second), "--count", "2", roster=False) == 2
    assert list(first.iterdir()) == []
    assert "relancez avec --yes" in capsys.readouterr().err


def test_a_confirmation_names_each_volume_and_no_means_nothing_written(staff, tmp_path, capsys, monkeypatch):
    first, second = tmp_path / "E", tmp_path / "F"
    first.mkdir()
    second.mkdir()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: print(question) or "non")
    monkeypatch.setattr(volumes, "removable", lambda: [volumes.Volume(first, "PASSEPORT", 8 * 10**9, 8 * 10**9)])
    args = ("--target", str(first), "--target", str(second), "--count", "2")
    assert prepare(staff, *args, roster=False) == 2
    out = capsys.readouterr().out
    assert "Ces 2 volume(s) vont être écrits" in out
    assert f"{first} « PASSEPORT »  (vide" in out
    assert f"{second}  (vide" in out
    assert list(first.iterdir()) == list(second.iterdir()) == []
    monkeypatch.setattr("builtins.input", lambda question: "oui")
    assert prepare(staff, *args, roster=False) == 0
    assert verify.check(first).ok
    assert verify.check(second).ok


def test_a_killed_run_leaves_keys_marked_incomplete_and_a_rerun_finishes_all_twenty(staff, tmp_path):
    # Bundles big enough for the run to last a few seconds, so it can be stopped half-way.
    build = fake_build(tmp_path / "big-build", app_bytes=3 * 1024 * 1024)
    half = 20 * sum(full.stat().st_size for _, full in layout.walk(build)) // 2
    into = tmp_path / "cles"
    command = [
        sys.executable,
        "build_key.py",
        "prepare",
        "--session",
        str(staff["session"]),
        "--roster",
        str(staff["roster"]),
        "--build",
        str(build),
        "--into",
        str(into),
    ]
    run = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _written_bytes(into) < half:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    run.wait()
    keys = sorted(into.iterdir())
    unfinished = [key for key in keys if (key / layout.MARKER).exists()]
    assert unfinished, "the run was not stopped half-way"
    assert all(not verify.check(key).ok for key in unfinished)
    assert "interrompue" in verify.check(unfinished[0]).reason
    finished = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    keys = sorted(into.iterdir())
    assert len(keys) == 20
    for key, first_name in zip(keys, FIRST_NAMES, strict=True):
        assert verify.check(key).ok, key
        assert open_passport(key).profile()["first_name"] == first_name


def _written_bytes(folder: Path) -> int:
    if not folder.exists():
        return 0
    return sum(full.stat().st_size for _, full in layout.walk(folder) if full.exists())


def test_the_structures_form_and_template_go_onto_each_key_where_the_app_reads_them(staff, tmp_path):
    examples = REPOSITORY / "docs" / "exemples"
    form, template = examples / "formulaire-cio.toml", examples / "modele-bilan-cio.docx"
    chosen = f'id = "cio"\nformulaire = "{form}"\nmodele = "{template}"'
    staff["session"].write_text(staff["session"].read_text().replace('id = "mission-locale"', chosen))
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into), "--count", "1", roster=False) == 0
    key = into / "cle-01"
    for folder in (layout.DATA, layout.DEFAULT_DATA):
        assert (key / folder / keyform.FORM_FILE).read_bytes() == form.read_bytes()
        assert (key / folder / keyform.TEMPLATE_FILE).read_bytes() == template.read_bytes()
    loaded = keyform.load(key / layout.DATA)
    assert loaded.problems == ()
    assert loaded.forms.intake.title == "Fiche bilan de l'accueil au CIO"
    assert verify.check(key).ok


def test_an_unused_key_open_in_the_passport_is_not_prepared_again(staff, tmp_path, capsys):
    into = tmp_path / "cles"
    assert prepare(staff, "--into", str(into), "--count", "1", roster=False) == 0
    staff["session"].write_text(staff["session"].read_text().replace("Camille Martin", "Sacha Petit"))
    with Store(into / "cle-01" / layout.DATA):
        capsys.readouterr()
        assert prepare(staff, "--into", str(into), "--count", "1", roster=False) == 2
        assert "ouverte dans le passeport en ce moment" in capsys.readouterr().err
    assert prepare(staff, "--into", str(into), "--count", "1", roster=False) == 0
    assert open_passport(into / "cle-01").session()["counsellor"] == "Sacha Petit"
