"""Putting program files on a key, for ``prepare`` and ``update`` alike.

A file already on the key with the right content is left alone, so a re-run
after an interruption only writes what is missing, and an update only what
changed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from passport.keys.payload import CHUNK, ProgramFile, sha256_of

# Windows has no sync(): there each file is flushed as it is written.
FLUSH_EACH_FILE = not hasattr(os, "sync")
BINARY = getattr(os, "O_BINARY", 0)


def put(files: Iterable[ProgramFile], root: Path, advance: Callable[[int], None], reuse: bool) -> int:
    """Copy ``files`` under ``root``; return how many were actually written.

    With ``reuse``, a file already there with the right content is kept and any other is
    replaced by a new file; without it, the files must not exist yet.
    """
    written = 0
    folders: set[Path] = set()
    for item in files:
        target = root / item.path
        if not (reuse and _same(target, item)):
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            if reuse:
                fresh(target)
            copy_file(item.source, target, item.mode)
            written += 1
        advance(item.size)
    return written


def _same(target: Path, item: ProgramFile) -> bool:
    try:
        return target.stat().st_size == item.size and sha256_of(target) == item.sha256
    except OSError:
        return False


def copy_file(source: Path, target: Path, mode: int = 0o644, flush: bool = FLUSH_EACH_FILE) -> None:
    """Copy into a new file, as ``cp`` does: created with the source's permissions (which FAT ignores)."""
    reader = os.open(source, os.O_RDONLY | BINARY)
    try:
        writer = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY, mode)
        try:
            _copy_bytes(reader, writer)
            if flush:
                os.fsync(writer)
        finally:
            os.close(writer)
    finally:
        os.close(reader)


def write_new(target: Path, data: bytes) -> None:
    writer = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | BINARY, 0o644)
    try:
        _write_all(writer, data)
        if FLUSH_EACH_FILE:
            os.fsync(writer)
    finally:
        os.close(writer)


def _write_all(writer: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(writer, view) :]


def _copy_bytes(reader: int, writer: int) -> None:
    if sys.platform == "linux":
        offset = 0
        while sent := os.sendfile(writer, reader, offset, 1 << 30):
            offset += sent
        return
    while chunk := os.read(reader, CHUNK):
        _write_all(writer, chunk)


def fresh(path: Path) -> None:
    """Remove a file about to be written again: a new file is what every FAT driver handles best.

    fusefat, for one, refuses to grow a file it has just truncated (EPERM past its first cluster).
    """
    path.unlink(missing_ok=True)


def settle() -> None:
    """Push everything written to the keys out of the PC's cache before saying they can be pulled out.

    Only for keys given with ``--target``: key folders made with ``--into`` sit on a disk nobody
    pulls out, and are flushed by the OS like any saved file (a power cut in between leaves files
    that ``verify`` rejects and a re-run rewrites). Waiting for that flush would double the time
    to prepare 50 folders, for no one's benefit.
    """
    if hasattr(os, "sync"):
        os.sync()
