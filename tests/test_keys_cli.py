"""build_key.py as staff meet it: French help and French errors, from the real script."""

from __future__ import annotations

import subprocess
import sys

import pytest

from passport.keyroot import REPOSITORY


def build_key(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "build_key.py", *args], cwd=REPOSITORY, capture_output=True, text=True)


def test_help_lists_the_steps_in_french():
    result = build_key("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("Utilisation : build_key.py")
    for line in ("voir les clés branchées", "préparer les clés d'une session", "docs/guide-equipe.md"):
        assert line in result.stdout
    assert "usage:" not in result.stdout and "show this help" not in result.stdout


@pytest.mark.parametrize("command", ["prepare", "verify", "update", "list"])
def test_each_command_explains_itself_in_french(command):
    result = build_key(command, "--help")
    assert result.returncode == 0
    assert "afficher cette aide" in result.stdout
    assert "usage:" not in result.stdout


def test_mistakes_on_the_command_line_are_told_in_french():
    assert "commande inconnue : 'prepar'" in build_key("prepar").stderr
    assert "à indiquer : --session" in build_key("prepare", "--count", "2", "--into", "x").stderr
    assert "impossible avec --target" in build_key("verify", "--target", "a", "--into", "b").stderr
    assert "valeur non valable : 'deux'" in build_key("prepare", "--session", "s", "--count", "deux").stderr


def test_a_missing_build_says_how_to_make_one(tmp_path):
    session = REPOSITORY / "docs" / "exemple-session.toml"
    result = build_key("prepare", "--session", str(session), "--count", "1", "--into", str(tmp_path / "k"),
                       "--build", str(tmp_path / "nothing"))  # fmt: skip
    assert result.returncode == 2
    assert "Pas de version construite" in result.stderr and "--build" in result.stderr
    assert not (tmp_path / "k").exists()
