"""Where things live on the key: every path is relative to the key's root folder.

Drive letters and mount points change from one PC to the next, so the key is
found from the program's own location (or ``--key``), never from a fixed path.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEMO_KEY = REPOSITORY / "demo-key"


@dataclass(frozen=True)
class KeyPaths:
    root: Path

    @property
    def app(self) -> Path:
        return self.root / "App"

    @property
    def default_data(self) -> Path:
        return self.app / "DefaultData"

    @property
    def data(self) -> Path:
        return self.root / "Data"

    @property
    def exports(self) -> Path:
        return self.root / "Exports"

    @property
    def logs(self) -> Path:
        return self.data / "logs"


def locate(explicit: str | None) -> KeyPaths:
    """The key given on the command line, the one the frozen program sits on, or the demo key."""
    if explicit:
        return KeyPaths(Path(explicit).resolve())
    if getattr(sys, "frozen", False):
        return KeyPaths(frozen_root(Path(sys.executable).resolve().parent))
    return KeyPaths(DEMO_KEY)


def frozen_root(start: Path) -> Path:
    """The first folder, from ``start`` upwards, that holds ``App/``.

    The Windows program sits at the key's root and the Linux and macOS ones in
    ``App/linux/`` and ``App/macos/``: walking up finds the root from both. A
    program copied alone somewhere keeps its data next to itself.
    """
    for folder in (start, *start.parents):
        if (folder / "App").is_dir():
            return folder
    return start


def reachable(key: KeyPaths) -> bool:
    """Whether the key is still there; a pulled key raises (device not ready) or vanishes."""
    try:
        return key.data.is_dir()
    except OSError:
        return False


def prepare(key: KeyPaths) -> None:
    """Create ``Data/`` (from ``App/DefaultData/`` when the key has it) and ``Exports/``."""
    if not key.data.exists():
        if key.default_data.is_dir():
            copy_content(key.default_data, key.data)
        else:
            key.data.mkdir(parents=True)
    key.exports.mkdir(exist_ok=True)


def copy_content(source: Path, target: Path) -> None:
    """Copy a folder's files without their modes: FAT refuses chmod, which ``copytree`` insists on."""
    target.mkdir(parents=True, exist_ok=True)
    for item in sorted(source.rglob("*")):
        destination = target / item.relative_to(source)
        if item.is_dir():
            destination.mkdir(exist_ok=True)
        else:
            shutil.copyfile(item, destination)
