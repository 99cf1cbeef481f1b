"""What a target folder holds, decided before anything is written on it.

The one rule that matters: a young person's data is never overwritten. A key
counts as unused only when its ``Data/`` is byte for byte what was seeded and
its ``Exports/`` is empty; anything else is their data.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from passport import instance, keylock
from passport.keys import layout, manifest
from passport.keys.payload import sha256_of

PREPARE = "prepare"
UPDATE = "update"

_MARKER_TEXT = {
    PREPARE: "La préparation de cette clé a été interrompue : elle n'est pas prête.\n"
    "Relancez la même commande « build_key.py prepare » pour la terminer.\n",
    UPDATE: "La mise à jour de cette clé a été interrompue. Les données du jeune n'ont pas été touchées.\n"
    "Relancez « build_key.py update » pour la terminer.\n",
}


class Kind(enum.Enum):
    EMPTY = "vide"
    IN_USE = "ouverte dans le passeport en ce moment"
    UNUSED = "clé préparée, pas encore utilisée"
    HOLDS_DATA = "clé avec les données d'un jeune"
    UNFINISHED_PREPARE = "préparation interrompue"
    UNFINISHED_UPDATE = "mise à jour interrompue"
    NOT_A_KEY = "dossier non vide qui n'est pas une clé"


@dataclass(frozen=True)
class State:
    kind: Kind
    manifest: manifest.Manifest | None = None
    detail: str = ""


def inspect(root: Path) -> State:
    if not root.exists():
        return State(Kind.EMPTY)
    entries = [entry for entry in os.scandir(root) if not _ignorable(entry)]
    if not entries:
        return State(Kind.EMPTY)
    if keylock.in_use(root / layout.DATA):
        return State(Kind.IN_USE)
    found = _manifest(root)
    operation = marker_operation(root)
    if operation == PREPARE:
        # Prepare removes an old manifest first: one still there was written by this run, after seeding.
        used = _use(root, found) if found else ""
        return State(Kind.HOLDS_DATA if used else Kind.UNFINISHED_PREPARE, found, used)
    if operation == UPDATE:
        return State(Kind.UNFINISHED_UPDATE, found)
    if not any((root / name).is_dir() for name in (layout.APP, layout.DATA)):
        return State(Kind.NOT_A_KEY, detail=", ".join(sorted(entry.name for entry in entries)[:3]))
    used = _use(root, found)
    return State(Kind.HOLDS_DATA if used else Kind.UNUSED, found, used)


def _ignorable(entry: os.DirEntry[str]) -> bool:
    # An empty file holds nothing to lose (fusefat also shows the volume label as one).
    return layout.is_noise(entry.name) or (entry.is_file(follow_symlinks=False) and entry.stat().st_size == 0)


def _manifest(root: Path) -> manifest.Manifest | None:
    try:
        return manifest.read(root)
    except manifest.ManifestError:
        return None


def _use(root: Path, found: manifest.Manifest | None) -> str:
    """Why the key counts as holding a young person's data, or "" when it is as it was seeded."""
    seeded = found.seed if found else {}
    data = {path: full for path, full in layout.walk(root, layout.DATA) if not _holds_nothing(path)}
    for path, full in data.items():
        if path not in seeded or sha256_of(full) != seeded[path]:
            return f"{path} a été modifié depuis la préparation" if path in seeded else f"{path} contient des données"
    if any(full.stat().st_size for _, full in layout.walk(root, layout.EXPORTS)):
        return f"{layout.EXPORTS}/ contient des documents"
    return ""


def _holds_nothing(path: str) -> bool:
    """What the app leaves in Data/ by merely starting: its log (no personal data), lock and state files."""
    runtime = {f"{layout.DATA}/{name}" for name in (keylock.LOCK_NAME, instance.STATE_NAME)}
    return path.startswith(f"{layout.DATA}/logs/") or path in runtime


def seed_hashes(root: Path) -> dict[str, str]:
    """The fingerprint of ``Data/`` right after seeding."""
    return {path: sha256_of(full) for path, full in layout.walk(root, layout.DATA)}


def marker_operation(root: Path) -> str | None:
    try:
        text = (root / layout.MARKER).read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return UPDATE if "mise à jour" in text.partition("\n")[0] else PREPARE


def mark(root: Path, operation: str) -> None:
    """Say on the key itself, in plain words, that it is not finished.

    Not fsynced: that would make ext4 flush every other key's pending data. A key whose
    marker was lost with the power has no manifest yet, or one that ``verify`` rejects, so
    a re-run prepares it again all the same.
    """
    root.mkdir(parents=True, exist_ok=True)
    unmark(root)  # a new file rather than a rewrite (see install.fresh)
    (root / layout.MARKER).write_text(_MARKER_TEXT[operation], encoding="utf-8", newline="\r\n")


def unmark(root: Path) -> None:
    (root / layout.MARKER).unlink(missing_ok=True)
