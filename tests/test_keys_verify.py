"""build_key.py verify: each way a key can be damaged gets its reason, and nothing personal is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from passport.keys import cli, layout, state, verify

from support import fake_build, fill_passport, flip_byte, session_file


@pytest.fixture
def keys(tmp_path: Path) -> list[Path]:
    into = tmp_path / "cles"
    args = [
        "prepare",
        "--session",
        str(session_file(tmp_path)),
        "--count",
        "2",
        "--build",
        str(fake_build(tmp_path / "b")),
    ]
    assert cli.main([*args, "--into", str(into)]) == 0
    return sorted(into.iterdir())


def reason(key: Path) -> str:
    result = verify.check(key)
    assert not result.ok
    return result.reason


def test_a_fresh_key_and_a_used_key_are_ok(keys):
    fill_passport(keys[1])
    assert verify.check(keys[0]).ok
    assert verify.check(keys[1]).ok


def test_a_flipped_byte_anywhere_in_the_program(keys):
    flip_byte(keys[0] / "Passeport.exe", 10)
    assert reason(keys[0]) == "fichier modifié : Passeport.exe"
    flip_byte(keys[1] / "App/DefaultData/passport-1.json", 50)
    assert reason(keys[1]) == "fichier modifié : App/DefaultData/passport-1.json"


def test_missing_and_extra_files(keys):
    (keys[0] / "App/lib/module3.pyd").unlink()
    (keys[0] / "LISEZ-MOI.html").unlink()
    (keys[0] / "App/virus.exe").write_bytes(b"MZ")
    assert reason(keys[0]) == (
        "fichier manquant : App/lib/module3.pyd; fichier manquant : LISEZ-MOI.html; fichier en trop : App/virus.exe"
    )


def test_what_macos_leaves_behind_is_not_a_fault(keys):
    (keys[0] / "App/linux/._passeport").write_bytes(b"\x00\x05\x16\x07")
    (keys[0] / "App/.DS_Store").write_bytes(b"x")
    assert verify.check(keys[0]).ok


def test_data_that_cannot_be_read(keys):
    for slot in (keys[0] / layout.DATA).iterdir():
        flip_byte(slot, 80)
    assert reason(keys[0]) == "données illisibles (fichiers abîmés)"
    for slot in (keys[1] / layout.DATA).iterdir():
        slot.unlink()
    assert reason(keys[1]) == "aucune donnée dans Data/"


def test_one_torn_slot_is_normal_life(keys):
    slots = sorted((keys[0] / layout.DATA).iterdir())
    slots[0].write_bytes(slots[0].read_bytes()[:40])
    assert verify.check(keys[0]).ok


def test_no_manifest_no_data_folder_and_an_interrupted_run(keys, tmp_path):
    (keys[0] / layout.MANIFEST).unlink()
    assert "manifeste absent" in reason(keys[0])
    state.mark(keys[1], state.PREPARE)
    assert reason(keys[1]) == "préparation interrompue : relancez « build_key.py prepare »"
    state.unmark(keys[1])
    for slot in (keys[1] / layout.DATA).iterdir():
        slot.unlink()
    (keys[1] / layout.DATA).rmdir()
    assert reason(keys[1]) == "Data/ manque"
    assert reason(tmp_path / "absente") == "introuvable (clé débranchée ?)"


def test_the_command_prints_ok_or_failure_per_key_and_no_personal_content(keys, capsys):
    fill_passport(keys[0])
    (keys[1] / "App/linux/passeport").unlink()
    capsys.readouterr()
    assert cli.main(["verify", "--target", str(keys[0]), "--target", str(keys[1])]) == 1
    captured = capsys.readouterr()
    rows = [line.split() for line in captured.out.splitlines() if line.startswith(str(keys[0].parent))]
    assert [row[1] for row in rows] == ["OK", "ÉCHEC"]
    assert "1 clé(s) OK, 1 en échec." in captured.out
    everything = captured.out + captured.err
    for personal in ("Léa", "Martin", "Service civique", "Démarche du", "Camille"):
        assert personal not in everything


def test_verify_into_a_folder_checks_every_key_in_it(keys, capsys):
    assert cli.main(["verify", "--into", str(keys[0].parent)]) == 0
    assert "2 clé(s) OK, 0 en échec." in capsys.readouterr().out
