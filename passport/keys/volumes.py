"""``list``: the removable volumes plugged in, so staff can name them as targets.

Nothing is ever written from here: the list only helps staff type the right
``--target``; writing needs that explicit target and a confirmation.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from passport.keys import state
from passport.keys.console import say, table
from passport.keys.space import unescape_mount

DRIVE_REMOVABLE = 2  # GetDriveTypeW


@dataclass(frozen=True)
class Volume:
    path: Path
    label: str
    size: int
    free: int


def add_to(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "list",
        help="montrer les clés USB branchées",
        description="Montre les clés USB et cartes mémoire branchées, avec leur taille et ce qu'elles "
        "contiennent, pour savoir quoi donner à --target. Cette commande n'écrit rien.",
    )
    parser.set_defaults(run=run)


def run(_args: argparse.Namespace) -> int:
    found = removable()
    if not found:
        say("Aucune clé USB branchée n'a été trouvée. Branchez une clé, attendez qu'elle s'ouvre, puis recommencez.")
        say("(Vous pouvez aussi donner directement son dossier à --target.)")
        return 0
    rows = [[str(v.path), v.label or "—", _gb(v.size), _gb(v.free), state.inspect(v.path).kind.value] for v in found]
    say(table(["Clé (à donner à --target)", "Nom", "Taille", "Libre", "Contenu"], rows))
    return 0


def _gb(size: int) -> str:
    return f"{size / 1_000_000_000:.1f} Go".replace(".", ",")


def names() -> dict[Path, str]:
    """`` « LABEL »`` for each removable volume, to name it in a confirmation."""
    return {volume.path: f" « {volume.label} »" for volume in removable() if volume.label}


def removable() -> list[Volume]:
    if sys.platform == "win32":
        return _windows()
    if sys.platform == "darwin":
        return _macos()
    return linux()


def linux(
    sys_block: Path = Path("/sys/block"),
    mounts: Path = Path("/proc/self/mounts"),
    labels: Path = Path("/dev/disk/by-label"),
) -> list[Volume]:
    """Mounted partitions of block devices the kernel calls removable (or that sit on USB)."""
    removable_devices = [dev for dev in _list(sys_block) if _is_removable(sys_block / dev)]
    names = {dev: dev for dev in removable_devices}
    for dev in removable_devices:
        names.update({part: dev for part in _list(sys_block / dev) if part.startswith(dev)})
    by_label = {os.path.realpath(labels / name): _unescape_label(name) for name in _list(labels)}
    volumes = []
    for line in _read(mounts).splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[0].startswith("/dev/"):
            continue
        device, point = fields[0], Path(unescape_mount(fields[1]))
        if Path(device).name in names:
            volumes.append(_volume(point, by_label.get(os.path.realpath(device), point.name)))
    return [v for v in volumes if v is not None]


def _is_removable(device: Path) -> bool:
    return _read(device / "removable").strip() == "1" or "/usb" in os.path.realpath(device)


def _macos(volumes: Path = Path("/Volumes")) -> list[Volume]:
    found = []
    for name in _list(volumes):
        path = volumes / name
        if os.path.realpath(path) != "/" and os.path.ismount(path):
            found.append(_volume(path, name))
    return [v for v in found if v is not None]


def _windows() -> list[Volume]:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel32.GetLogicalDrives()
    found = []
    for index in range(26):
        root = f"{chr(65 + index)}:\\"
        if mask >> index & 1 and kernel32.GetDriveTypeW(root) == DRIVE_REMOVABLE:
            label = ctypes.create_unicode_buffer(261)
            kernel32.GetVolumeInformationW(root, label, 261, None, None, None, None, 0)
            found.append(_volume(Path(root), label.value))
    return [v for v in found if v is not None]


def _volume(path: Path, label: str) -> Volume | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None  # a card reader with no card in it
    return Volume(path, label, usage.total, usage.free)


def _list(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _unescape_label(name: str) -> str:
    """udev writes a space in a label as ``\\x20`` (and other bytes of the UTF-8 label likewise)."""
    raw = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda found: bytes([int(found.group(1), 16)]), name.encode())
    return raw.decode("utf-8", "replace")
