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


def locate(explicit: str | None) -> KeyPaths:
    """The key given on the command line, the one the frozen program sits on, or the demo key."""
    if explicit:
        return KeyPaths(Path(explicit).resolve())
    if getattr(sys, "frozen", False):
        return KeyPaths(Path(sys.executable).resolve().parent)
    return KeyPaths(DEMO_KEY)


def prepare(key: KeyPaths) -> None:
    """Create ``Data/`` (from ``App/DefaultData/`` when the key has it) and ``Exports/``."""
    if not key.data.exists():
        if key.default_data.is_dir():
            shutil.copytree(key.default_data, key.data)
        else:
            key.data.mkdir(parents=True)
    key.exports.mkdir(exist_ok=True)
