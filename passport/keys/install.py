"""Putting program files on a key, for ``prepare`` and ``update`` alike.

A file already on the key with the right content is left alone, so a re-run
after an interruption only writes what is missing, and an update only what
changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from passport.keys.payload import ProgramFile, sha256_of

# Windows has no sync(): there each file is flushed as it is written.
FLUSH_EACH_FILE = not hasattr(os, "sync")


def put(files: Iterable[ProgramFile], root: Path, advance: Callable[[int], None], reuse: bool) -> int:
    """Copy ``files`` under ``root``; return how many were actually written."""
    written = 0
    for item in files:
        target = root / item.path
        if not (reuse and _same(target, item)):
            copy_file(item.source, target)
            written += 1
        advance(item.size)
    return written


def _same(target: Path, item: ProgramFile) -> bool:
    try:
        return target.stat().st_size == item.size and sha256_of(target) == item.sha256
    except OSError:
        return False


def copy_file(source: Path, target: Path) -> None:
    """Copy bytes and, where the filesystem keeps them, permissions (the Linux launcher must stay executable)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh(target)
    shutil.copyfile(source, target)
    with contextlib.suppress(OSError):  # FAT keeps no permissions; nothing is lost
        shutil.copymode(source, target)
    if FLUSH_EACH_FILE:
        with target.open("rb+") as handle:
            os.fsync(handle.fileno())


def fresh(path: Path) -> None:
    """Remove a file about to be written again: a new file is what every FAT driver handles best.

    fusefat, for one, refuses to grow a file it has just truncated (EPERM past its first cluster).
    """
    path.unlink(missing_ok=True)


def settle() -> None:
    """Push everything written to the keys out of the PC's cache before saying they are ready."""
    if hasattr(os, "sync"):
        os.sync()
