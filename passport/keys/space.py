"""Free space on a volume, and the space a key will take there, known before writing.

Some FUSE filesystems (fusefat among them) do not report their size. For
those, the free space is counted from the FAT itself, read from the device or
image the mount table names; when even that fails, the space is unknown and
the key is refused rather than half written.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import sys
from array import array
from collections.abc import Iterable
from pathlib import Path

# FAT32 keys of 32-64 GB use 32 KiB clusters: a safe unit when the filesystem does not say.
DEFAULT_UNIT = 32 * 1024
# Room left for the young person's sheets and Word documents, and for directory entries.
HEADROOM = 4 * 1024 * 1024


def existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def device_of(path: Path) -> int:
    return os.stat(existing_ancestor(path)).st_dev


def free_and_unit(path: Path) -> tuple[int | None, int]:
    """Bytes free on the volume holding ``path`` (None when nobody can tell) and its allocation unit."""
    where = existing_ancestor(path)
    usage = shutil.disk_usage(where)
    if usage.total > 0:
        return usage.free, _unit(where)
    source = mount_source(where)
    if source is not None:
        try:
            return fat_free(source)
        except (OSError, ValueError):
            pass
    return None, DEFAULT_UNIT


def read_only(path: Path) -> bool:
    """A volume mounted read-only, or a key whose write-protect switch is on (where the OS tells)."""
    if not hasattr(os, "statvfs"):
        return False  # Windows says so at the first write; that key then fails with its reason
    return bool(os.statvfs(existing_ancestor(path)).f_flag & os.ST_RDONLY)


def _unit(path: Path) -> int:
    if sys.platform == "win32" or not hasattr(os, "statvfs"):
        return DEFAULT_UNIT
    unit = os.statvfs(path).f_frsize
    return unit if 512 <= unit <= 1024 * 1024 else DEFAULT_UNIT


def needed(sizes: Iterable[int], replaced: Iterable[int], unit: int) -> int:
    """What writing files of ``sizes`` over files of ``replaced`` sizes takes, rounded to whole clusters."""
    grow = sum(_round(size, unit) for size in sizes) - sum(_round(size, unit) for size in replaced)
    return max(grow, 0) + HEADROOM


def _round(size: int, unit: int) -> int:
    return -(-size // unit) * unit if size else 0


def mount_source(path: Path, table: Path = Path("/proc/self/mounts")) -> Path | None:
    """The device or image mounted at the mount point holding ``path`` (Linux mount table)."""
    try:
        lines = table.read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 2:
            continue
        source, point = unescape_mount(fields[0]), unescape_mount(fields[1])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) > best[0]):
            best = (len(point), source)
    if best is None or not os.path.isabs(best[1]) or not os.path.exists(best[1]):
        return None
    return Path(best[1])


def unescape_mount(field: str) -> str:
    """The mount table writes a space as ``\\040``."""
    return re.sub(r"\\([0-7]{3})", lambda found: chr(int(found.group(1), 8)), field)


def fat_free(device: Path) -> tuple[int, int]:
    """Free bytes and cluster size of a FAT16/FAT32 volume, counted from its allocation table."""
    with device.open("rb") as handle:
        boot = handle.read(512)
        if len(boot) < 512 or boot[510:512] != b"\x55\xaa":
            raise ValueError("not a FAT boot sector")
        sector, per_cluster, reserved, copies, root_entries, total16 = struct.unpack_from("<HBHBHH", boot, 11)
        fat16_size = struct.unpack_from("<H", boot, 22)[0]
        total32, fat32_size = struct.unpack_from("<II", boot, 32)
        fat32 = fat16_size == 0
        fat_size = fat32_size if fat32 else fat16_size
        total = total16 or total32
        root_sectors = (root_entries * 32 + sector - 1) // sector
        clusters = (total - reserved - copies * fat_size - root_sectors) // per_cluster
        entry = 4 if fat32 else 2
        handle.seek(reserved * sector + 2 * entry)
        table = handle.read(clusters * entry)
    entries = array("I" if fat32 else "H")
    entries.frombytes(table[: len(table) // entries.itemsize * entries.itemsize])
    if sys.byteorder == "big":
        entries.byteswap()
    return entries.count(0) * sector * per_cluster, sector * per_cluster
