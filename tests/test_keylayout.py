"""The key's layout, its launchers and LISEZ-MOI.html."""

from __future__ import annotations

import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from passport import keylayout
from passport.keyroot import KeyPaths

FAKE_PROGRAM = '#!/bin/sh\nprintf "%s\\n" "$0" "$@"\n'


def fake_program(folder: Path) -> Path:
    """A stand-in for the PyInstaller program: prints where it runs from and its arguments."""
    program = folder / "passeport-build"
    program.write_text(FAKE_PROGRAM)
    program.chmod(0o755)
    return program


def fake_windows_build(folder: Path) -> Path:
    build = folder / "Passeport"
    (build / "App" / "passport").mkdir(parents=True)
    (build / "Passeport.exe").write_bytes(b"MZ")
    (build / "App" / "python311.dll").write_bytes(b"MZ")
    (build / "App" / "passport" / "static.css").write_text("x")
    return build


@pytest.fixture
def assembled(tmp_path: Path) -> KeyPaths:
    programs = {
        keylayout.LINUX: fake_program(tmp_path),
        keylayout.MACOS: fake_program(tmp_path),
        keylayout.WINDOWS: fake_windows_build(tmp_path),
    }
    return keylayout.assemble(tmp_path / "KEY", programs)


def test_key_root_holds_launchers_and_the_readme_only(assembled: KeyPaths) -> None:
    root_files = sorted(p.name for p in assembled.root.iterdir() if p.is_file())
    assert root_files == ["LISEZ-MOI.html", "Passeport", "Passeport.command", "Passeport.exe"]
    folders = sorted(p.name for p in assembled.root.iterdir() if p.is_dir())
    assert folders == ["App", "Data", "Exports"]
    assert (assembled.root / "App" / "linux" / "passeport").is_file()
    assert (assembled.root / "App" / "macos" / "passeport").is_file()
    assert (assembled.root / "App" / "python311.dll").is_file()  # the Windows program's own files
    assert assembled.default_data.is_dir()
    manifest = json.loads((assembled.root / keylayout.MANIFEST).read_text())
    assert manifest["systems"] == ["linux", "macos", "windows"]


def test_assembling_again_never_touches_the_data(assembled: KeyPaths, tmp_path: Path) -> None:
    (assembled.data / "passport-1.json").write_text("the young person's data")
    (assembled.exports / "suivi.docx").write_bytes(b"doc")
    keylayout.assemble(assembled.root, {keylayout.LINUX: fake_program(tmp_path)})
    assert (assembled.data / "passport-1.json").read_text() == "the young person's data"
    assert (assembled.exports / "suivi.docx").read_bytes() == b"doc"


def test_new_key_data_starts_from_default_data(tmp_path: Path) -> None:
    key = KeyPaths(tmp_path / "KEY")
    key.default_data.mkdir(parents=True)
    (key.default_data / "directory.json").write_text("[]")
    keylayout.assemble(key.root, {keylayout.LINUX: fake_program(tmp_path)})
    assert (key.data / "directory.json").read_text() == "[]"


def test_linux_launcher_runs_the_program_in_place(assembled: KeyPaths) -> None:
    out = subprocess.run(
        ["sh", str(assembled.root / "Passeport"), "--no-browser"], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == [str(assembled.root / "App" / "linux" / "passeport"), "--no-browser"]


def test_linux_launcher_runs_a_temporary_copy_when_the_key_forbids_programs(
    assembled: KeyPaths, tmp_path: Path
) -> None:
    """A key mounted without the right to run programs (showexec, noexec)."""
    (assembled.root / "App" / "linux" / "passeport").chmod(0o644)
    host_temp = tmp_path / "host-temp"
    host_temp.mkdir()
    out = subprocess.run(
        ["sh", str(assembled.root / "Passeport"), "--no-browser"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TMPDIR": str(host_temp)},
    )
    ran_from, *arguments = out.stdout.splitlines()
    assert Path(ran_from).is_relative_to(host_temp)
    assert arguments == ["--key", str(assembled.root), "--no-browser"]
    assert list(host_temp.iterdir()) == []  # the copy is removed afterwards


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.addresses += [value or "" for name, value in attrs if name in ("href", "src", "action")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_readme_is_self_contained_and_covers_what_people_need() -> None:
    source = (keylayout.KEY_FILES / keylayout.README).read_text(encoding="utf-8")
    page = _Page()
    page.feed(source)
    text = re.sub(r"\s+", " ", "".join(page.text))
    assert all(address.startswith("#") for address in page.addresses)  # nothing outside the page
    assert not re.search(r"(https?:)?//|@import|url\(", source)
    assert '<html lang="fr">' in source
    for needed in (
        "Sur un PC Windows",
        "Sur un Mac",
        "Sur un ordinateur Linux",
        "sh Passeport",
        "Terminer",
        "Tu peux retirer ta clé",
        "--key",
        "Exports",
    ):
        assert needed in text, needed
