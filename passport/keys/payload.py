"""The program as built: what every key gets, read once from the build output and hashed once.

The build output is a key folder assembled by the bundle build (launchers and
``LISEZ-MOI.html`` at its root, one bundle per OS under ``App/``). Only its
program part is taken; each key gets its own ``App/DefaultData/`` and ``Data/``.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from passport import keylayout
from passport.keys import layout
from passport.keys.console import StaffError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ProgramFile:
    path: str
    source: Path
    size: int
    sha256: str
    mode: int = 0o644


@dataclass(frozen=True)
class Program:
    """The part of a key that ``update`` replaces."""

    root: Path
    files: tuple[ProgramFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def systems(self) -> list[str]:
        """The systems whose launcher is in the build (``linux``, ``macos``, ``windows``)."""
        names = {f.path for f in self.files}
        return sorted(system for system, launcher in keylayout.LAUNCHERS.items() if launcher in names)

    def hashes(self) -> dict[str, str]:
        return {f.path: f.sha256 for f in self.files}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load(build: Path) -> Program:
    """Read the build output; refuse one that cannot go onto a FAT key as it is."""
    if not (build / layout.APP).is_dir():
        raise StaffError(
            f"Pas de version construite dans {build} (dossier {layout.APP}/ introuvable). "
            "Construisez d'abord le passeport (voir le README), ou indiquez le bon dossier avec --build."
        )
    links = [path for path, full in _entries(build) if full.is_symlink()]
    if links:
        raise StaffError(
            f"La version construite contient des liens symboliques qu'une clé FAT ne peut pas garder : {links[0]}"
        )
    paths = [(path, full) for path, full in layout.walk(build) if layout.is_program(path)]
    if not any(path.startswith(layout.APP + "/") for path, _ in paths):
        raise StaffError(f"Le dossier {build / layout.APP} ne contient aucun programme.")
    if layout.README not in {path for path, _ in paths}:
        raise StaffError(f"{layout.README} manque dans la version construite ({build}).")
    with ThreadPoolExecutor(max_workers=4) as pool:
        digests = list(pool.map(sha256_of, (full for _, full in paths)))
    files = tuple(
        ProgramFile(path, full, full.stat().st_size, digest, full.stat().st_mode & 0o777)
        for (path, full), digest in zip(paths, digests, strict=True)
    )
    return Program(build, files)


def _entries(root: Path) -> list[tuple[str, Path]]:
    return [(full.relative_to(root).as_posix(), full) for full in root.rglob("*")]
