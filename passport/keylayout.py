"""What a prepared key holds, and the one function that puts it together.

The layout follows PortableApps.com, which staff and IT people already know::

    KEY/
      Passeport.exe  Passeport  Passeport.command   launchers only (Windows, Linux, macOS)
      LISEZ-MOI.html        how to start, plan B, how to quit
      App/                  the program, replaced on update: App/linux/, App/macos/, and the
                            Windows program's own files; App/manifest, App/DefaultData/
      Data/                 the young person's data: never touched here once it exists
      Exports/              Word documents saved on the key

``python -m passport.build OUT`` calls ``assemble``; ``build_key.py prepare`` then copies the
program part of such a folder (launchers, ``LISEZ-MOI.html``, ``App/``) onto each key.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from passport import __version__, keyroot
from passport.keyroot import KeyPaths

KEY_FILES = keyroot.REPOSITORY / "packaging" / "key"
README = "LISEZ-MOI.html"
LINUX, MACOS, WINDOWS = "linux", "macos", "windows"
# Where each system's program goes, relative to the key's root.
PROGRAMS = {LINUX: "App/linux/passeport", MACOS: "App/macos/passeport"}
# The launcher a person double-clicks, at the key's root.
LAUNCHERS = {LINUX: "Passeport", MACOS: "Passeport.command", WINDOWS: "Passeport.exe"}
MANIFEST = "App/manifest"


def this_system() -> str:
    if sys.platform == "win32":
        return WINDOWS
    return MACOS if sys.platform == "darwin" else LINUX


def assemble(target: Path, programs: Mapping[str, Path]) -> KeyPaths:
    """Lay out a complete key at ``target`` with the given builds; an existing ``Data/`` stays as it is.

    ``programs`` maps a system to its build: the one-file program for Linux and
    macOS, the one-folder build (``Passeport.exe`` and its ``App/``) for Windows.
    """
    key = KeyPaths(target)
    key.default_data.mkdir(parents=True, exist_ok=True)
    _copy(KEY_FILES / README, target / README)
    for system, build in programs.items():
        if system == WINDOWS:
            keyroot.copy_content(build, target)
        else:
            _copy(build, target / PROGRAMS[system], executable=True)
            _copy(KEY_FILES / LAUNCHERS[system], target / LAUNCHERS[system], executable=True)
    _write_manifest(key, sorted(programs))
    keyroot.prepare(key)
    return key


def _write_manifest(key: KeyPaths, systems: list[str]) -> None:
    """What is on the key, so a later update or check knows what it is looking at."""
    manifest = {"app": "passeport", "version": __version__, "systems": systems}
    (key.root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _copy(source: Path, destination: Path, executable: bool = False) -> None:
    """Copy content only: FAT keeps no owner or mode, and refuses to be asked."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    if executable:
        with contextlib.suppress(OSError):  # FAT shows every file as executable, or none (the launcher copes)
            os.chmod(destination, 0o755)
