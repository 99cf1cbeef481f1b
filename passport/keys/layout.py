"""Which parts of a key are the program (replaced on update) and which are the young person's.

Paths are key-relative, POSIX-style strings so that a manifest written on one
OS reads the same on another.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from passport.keyroot import REPOSITORY

APP = "App"
DEFAULT_DATA = "App/DefaultData"
DATA = "Data"
EXPORTS = "Exports"
README = "LISEZ-MOI.html"
MANIFEST = "App/manifest.json"
MARKER = "CLE-INCOMPLETE.txt"
DEFAULT_BUILD = REPOSITORY / "dist" / "key"

# What operating systems and file managers leave on a volume: never "someone's files".
_NOISE = {"System Volume Information", "$RECYCLE.BIN", ".Trashes", ".fseventsd", ".Spotlight-V100", ".DS_Store"}
_NOISE_PREFIXES = (".Trash-", "._")


def is_noise(name: str) -> bool:
    return name in _NOISE or name.startswith(_NOISE_PREFIXES)


def is_program(path: str) -> bool:
    """Launchers and ``LISEZ-MOI.html`` at the root and ``App/`` but the key's own seed and manifest."""
    top, _, rest = path.partition("/")
    if not rest:
        return path not in (MARKER,) and not is_noise(path)
    if top != APP or path == MANIFEST:
        return False
    return not (path + "/").startswith(DEFAULT_DATA + "/") and not is_noise(path.rsplit("/", 1)[-1])


def walk(root: Path, under: str = "") -> Iterator[tuple[str, Path]]:
    """Every regular file below ``root/under`` as (key-relative path, full path), sorted."""
    start = root / under if under else root
    if not start.is_dir():
        return
    for folder, dirs, files in os.walk(start):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder, name)
            yield full.relative_to(root).as_posix(), full
