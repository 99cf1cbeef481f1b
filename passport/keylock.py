"""One passport program at a time per key: an OS lock on ``Data/passport.lock``.

Two programs on one key would each keep their own state in memory and write over
each other's saves. The operating system drops the lock when its process ends,
however it ends, so a lock left by a crashed or killed passport never blocks the
next start: the file stays, the lock does not.

A key pulled out and plugged back in comes back as a new mount: the lock held on
the old one is worth nothing. ``KeyLock.held`` notices (the lock file on the path
is no longer the one we hold) and the store takes the lock again before it writes.

Within one process every ``Store`` on a key shares one OS lock: the app opens one
store per key, and tests that reopen a key in the same process stay simple.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
import weakref
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

LOCK_NAME = "passport.lock"
_HELD_ELSEWHERE = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES}
_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


class KeyInUseError(Exception):
    """Another passport program has this key open; this one must not write to it."""


class _Handle:
    """An open lock file; its OS lock lasts as long as this object (closed when collected)."""

    def __init__(self, path: Path) -> None:
        self.fd = _open(path)
        close = weakref.finalize(self, _close, self.fd)
        try:
            _lock(self.fd)
        except OSError as error:
            if error.errno in _NO_LOCKS:
                return  # a filesystem without locks: work unprotected rather than not at all
            close()
            if isinstance(error, BlockingIOError) or error.errno in _HELD_ELSEWHERE:
                raise KeyInUseError(str(path)) from None
            raise

    def still_on(self, path: Path) -> bool:
        """Whether ``path`` is still the file this handle locks (False once the key went away)."""
        try:
            on_path = os.stat(path)
        except FileNotFoundError:
            return False
        try:
            return os.path.samestat(os.fstat(self.fd), on_path)
        except OSError:
            return False


class KeyLock:
    """The lock of the key whose data folder is ``folder``."""

    _shared: ClassVar[weakref.WeakValueDictionary[str, _Handle]] = weakref.WeakValueDictionary()
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._name = os.path.normcase(os.path.abspath(self.path))
        self._handle: _Handle | None = None

    def claim(self) -> None:
        """Take the lock (or share this process's); raise KeyInUseError if another program has it."""
        with self._guard:
            handle = self._shared.get(self._name)
            if handle is None or not handle.still_on(self.path):
                handle = _Handle(self.path)
                self._shared[self._name] = handle
            self._handle = handle

    def held(self) -> bool:
        """True while this lock is ours and still on the key's lock file."""
        return self._handle is not None and self._handle.still_on(self.path)

    def release(self) -> None:
        """Let go; the OS lock ends when no store of this process uses it any more."""
        self._handle = None


def in_use(folder: Path) -> bool:
    """Whether a passport program holds this key now: for staff tools, which must not create the file."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return False
    try:
        _lock(fd)  # released by the close below
    except OSError as error:
        return isinstance(error, BlockingIOError) or error.errno in _HELD_ELSEWHERE
    finally:
        os.close(fd)
    return False


def _close(fd: int) -> None:
    with suppress(OSError):  # the key may be gone: its descriptors fail, the lock is gone anyway
        os.close(fd)


def _open(path: Path) -> int:
    """Open the lock file, creating it, for reading only: a lock needs no more, and a
    file held open for writing would stop the system from making the key read-only.
    """
    return os.open(path, os.O_RDONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        # Windows locks byte ranges, and may lock past the end of an empty file.
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        # flock, not lockf: a POSIX record lock would vanish when any other
        # descriptor of this file in the process is closed.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
