"""Why a write to the key failed, in the words the person needs.

A yanked, full or write-protected key is normal life for the passport, so an
``OSError`` is sorted into one of a few reasons that the pages can explain.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

FULL = "full"
READ_ONLY = "readonly"
GONE = "gone"
ELSEWHERE = "elsewhere"
OTHER = "other"

_BY_ERRNO = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EFBIG: FULL,
    errno.EROFS: READ_ONLY,
    errno.EACCES: READ_ONLY,
    errno.EPERM: READ_ONLY,
    errno.ENOENT: GONE,
    errno.EIO: GONE,
    errno.ENODEV: GONE,
    errno.ENXIO: GONE,
    errno.ENOTCONN: GONE,
    errno.ESTALE: GONE,
}
# Windows: ERROR_NOT_READY (21), ERROR_DEV_NOT_EXIST (55), ERROR_DEVICE_NOT_CONNECTED
# (1167), ERROR_NO_SUCH_DEVICE (433), ERROR_DISK_FULL (112), ERROR_WRITE_PROTECT (19).
_BY_WINERROR = {21: GONE, 55: GONE, 433: GONE, 1167: GONE, 112: FULL, 19: READ_ONLY}


class KeyWriteError(OSError):
    """A write to the key failed; ``reason`` is one of FULL, READ_ONLY, GONE, ELSEWHERE, OTHER."""

    def __init__(self, reason: str, cause: OSError | None = None) -> None:
        super().__init__(cause.errno if cause else None, reason)
        self.reason = reason


def classify(error: OSError, folder: Path | None = None, needed: int = 1) -> str:
    """Return the reason a write failed, looking at Windows codes first.

    Some FAT drivers (fusefat among them) report a full key as "operation not
    permitted": a permission error on a folder with less room than the write
    needed is taken for a full key.
    """
    winerror = getattr(error, "winerror", None)
    if winerror in _BY_WINERROR:
        return _BY_WINERROR[winerror]
    reason = _BY_ERRNO.get(error.errno or 0, OTHER)
    if reason == READ_ONLY and error.errno != errno.EROFS and folder is not None and _free(folder) < needed:
        return FULL
    return reason


def as_key_error(error: OSError, folder: Path | None = None, needed: int = 1) -> KeyWriteError:
    """Wrap an ``OSError`` so callers can catch one type and read its reason."""
    if isinstance(error, KeyWriteError):
        return error
    return KeyWriteError(classify(error, folder, needed), error)


def _free(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62
