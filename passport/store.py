"""The only code that touches the passport's data file.

TinyDB's own ``JSONStorage`` rewrites its file in place and loses data when a key
is pulled out mid-write, so the passport keeps two *slot* files and writes the
new state into the older one. Each slot starts with a header line giving its
generation, the schema version and the SHA-256 of the payload. On open, the
newest slot whose checksum holds wins; a torn write only ever damages the slot
that did not hold the last confirmed state. The scheme needs no atomic rename,
which FAT does not promise.

All file operations go through a ``FileLayer`` so tests can put a layer that
fails or "crashes" at any chosen point underneath.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage

from passport.faults import as_key_error
from passport.migrations import CURRENT_SCHEMA, migrate

SLOT_NAMES = ("passport-1.json", "passport-2.json")
FORMAT = "passport"
Tables = dict[str, dict[str, Any]]
T = TypeVar("T")


class FileLayer(Protocol):
    """The few file operations the storage needs, each one a possible fault point."""

    def read(self, path: Path) -> bytes | None:
        """Return the file's bytes, or None when it does not exist."""

    def write_durably(self, path: Path, data: bytes) -> None:
        """Replace the file's content; on return the bytes are on the medium."""

    def move_aside(self, path: Path, target: Path) -> None:
        """Rename a damaged file so that nothing ever writes over it."""

    def replace_durably(self, path: Path, data: bytes) -> None:
        """Replace the file through a temporary sibling: a crash leaves the old bytes or the new."""


class OsFiles:
    """The real file layer: plain ``os`` calls with fsync."""

    retries = 5

    def read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def write_durably(self, path: Path, data: bytes) -> None:
        created = not path.exists()
        self._write(path, data)
        if created:
            self._sync_dir(path.parent)

    def move_aside(self, path: Path, target: Path) -> None:
        os.rename(path, target)
        self._sync_dir(path.parent)

    def replace_durably(self, path: Path, data: bytes) -> None:
        # The rename's directory sync also makes the temporary file's name durable.
        temporary = path.with_name(path.name + ".tmp")
        self._write(temporary, data)
        self._retry(lambda: os.replace(temporary, path))
        self._sync_dir(path.parent)

    def _write(self, path: Path, data: bytes) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        fd = self._open(path, flags)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    def _open(self, path: Path, flags: int) -> int:
        return self._retry(lambda: os.open(path, flags, 0o600))

    def _retry(self, action: Callable[[], T]) -> T:
        # Windows antivirus and indexers hold files for a moment: retry briefly.
        for attempt in range(self.retries):
            try:
                return action()
            except PermissionError:
                if sys.platform != "win32" or attempt == self.retries - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    @staticmethod
    def _sync_dir(folder: Path) -> None:
        if sys.platform == "win32":
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems (FUSE, FAT) refuse fsync on a directory
        finally:
            os.close(fd)


class NewerSchemaError(Exception):
    """The key was written by a newer passport; opening it here could lose data."""

    def __init__(self, schema: int) -> None:
        super().__init__(f"schema {schema} > {CURRENT_SCHEMA}")
        self.schema = schema


@dataclass(frozen=True)
class Slot:
    """What one slot file held when the storage was opened."""

    path: Path
    generation: int = -1
    schema: int = 0
    tables: Tables | None = None
    present: bool = False

    @property
    def valid(self) -> bool:
        return self.tables is not None


def encode(tables: Tables, generation: int) -> bytes:
    """Serialise a state into slot bytes: header line, newline, payload."""
    return frame(_dumps(tables), generation)


def frame(payload: bytes, generation: int) -> bytes:
    """Put the header line (generation, schema, length, SHA-256) in front of a payload."""
    header = {
        "format": FORMAT,
        "schema": CURRENT_SCHEMA,
        "generation": generation,
        "length": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    return json.dumps(header).encode() + b"\n" + payload


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class _Encoder:
    """Serialises the state, re-encoding only the documents that changed since the last save.

    Encoding every document at every save made a save at 1,000 steps cost ~8 ms of
    ``json.dumps`` alone. Each document's bytes are kept with a private copy of the
    document; a document equal to its copy reuses its bytes. (Python equality treats
    ``True == 1``; the passport never swaps one for the other in a field.)
    """

    def __init__(self, tables: Tables) -> None:
        self._cache: dict[tuple[str, str], tuple[Any, bytes, bytes]] = {}
        self.encode(tables)
        self.commit()

    def encode(self, tables: Tables) -> bytes:
        fresh: dict[tuple[str, str], tuple[Any, bytes, bytes]] = {}
        parts = []
        for name, table in tables.items():
            docs = []
            for doc_id, doc in table.items():
                known = self._cache.get((name, doc_id))
                if known is None or known[0] != doc:
                    blob = _dumps(doc)
                    known = (json.loads(blob), _dumps(doc_id) + b":" + blob, blob)
                fresh[name, doc_id] = known
                docs.append(known[1])
            parts.append(_dumps(name) + b":{" + b",".join(docs) + b"}")
        self._pending = fresh
        return b"{" + b",".join(parts) + b"}"

    def commit(self) -> None:
        """The last encoded state is on the medium: remember its documents."""
        self._cache = self._pending

    def committed(self) -> Tables:
        """A fresh copy of the state last saved, for when a save fails half-way."""
        tables: Tables = {}
        for (name, doc_id), (_, _, blob) in self._cache.items():
            tables.setdefault(name, {})[doc_id] = json.loads(blob)
        return tables


def decode(path: Path, raw: bytes | None) -> Slot:
    """Read slot bytes; anything torn, truncated or tampered with is invalid."""
    if raw is None:
        return Slot(path)
    head, sep, payload = raw.partition(b"\n")
    try:
        header = json.loads(head)
        valid = (
            sep
            and header.get("format") == FORMAT
            and header.get("length") == len(payload)
            and header.get("sha256") == hashlib.sha256(payload).hexdigest()
        )
        tables = json.loads(payload) if valid else None
        generation, schema = int(header["generation"]), int(header["schema"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return Slot(path, present=True)
    if not _well_formed(tables):
        return Slot(path, present=True)
    return Slot(path, generation, schema, tables, present=True)


def _well_formed(tables: object) -> bool:
    return isinstance(tables, dict) and all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values()) for table in tables.values()
    )


@dataclass(frozen=True)
class Survey:
    """What a key's slot files hold, found without changing anything on the key."""

    slots: tuple[Slot, ...]

    @property
    def newest(self) -> Slot | None:
        return max((slot for slot in self.slots if slot.valid), key=lambda slot: slot.generation, default=None)

    @property
    def present(self) -> bool:
        return any(slot.present for slot in self.slots)


def survey(data_dir: Path, files: FileLayer | None = None) -> Survey:
    """Read the slots for staff tools that check or update a key: unlike ``Store``, never moves a file."""
    layer = files or OsFiles()
    return Survey(tuple(decode(data_dir / name, layer.read(data_dir / name)) for name in SLOT_NAMES))


class SlotStorage(Storage):
    """A TinyDB storage over two checksummed slot files, kept in memory between saves."""

    def __init__(self, data_dir: Path, files: FileLayer) -> None:
        self._files = files
        self._dir = data_dir
        self.moved_aside: list[str] = []
        slots = [decode(data_dir / name, files.read(data_dir / name)) for name in SLOT_NAMES]
        valid = [slot for slot in slots if slot.valid]
        if not valid:
            self._set_aside([slot for slot in slots if slot.present])
        newest = max(valid, key=lambda slot: slot.generation, default=None)
        if newest is not None and newest.schema > CURRENT_SCHEMA:
            raise NewerSchemaError(newest.schema)
        self._generation = newest.generation if newest else 0
        self._current = newest.path if newest else data_dir / SLOT_NAMES[1]
        self._tables: Tables = migrate(newest.tables, newest.schema) if newest else {}
        self._encoder = _Encoder(self._tables)

    def _set_aside(self, damaged: list[Slot]) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for slot in damaged:
            target = slot.path.with_name(f"{slot.path.name}.abime-{stamp}")
            self._files.move_aside(slot.path, target)
            self.moved_aside.append(target.name)

    @property
    def generation(self) -> int:
        return self._generation

    def read(self) -> Tables:
        return self._tables

    def write(self, data: Tables) -> None:
        target = self._dir / (SLOT_NAMES[0] if self._current.name == SLOT_NAMES[1] else SLOT_NAMES[1])
        blob = frame(self._encoder.encode(data), self._generation + 1)
        try:
            self._files.write_durably(target, blob)
        except OSError as error:
            # TinyDB already changed the in-memory state: put the confirmed one back.
            self._tables = self._encoder.committed()
            raise as_key_error(error) from None
        self._encoder.commit()
        self._generation += 1
        self._current = target
        self._tables = data


class Store:
    """The passport's database: one instance per key, one lock around every call."""

    def __init__(self, data_dir: Path, files: FileLayer | None = None) -> None:
        self._lock = threading.RLock()
        self._dir = data_dir
        self._files = files or OsFiles()
        self._db = TinyDB(data_dir, self._files, storage=SlotStorage)

    @property
    def generation(self) -> int:
        """How many saves the data has seen: tells which of two copies of a plain file is newer."""
        with self._lock:
            return self._db.storage.generation

    def read_plain(self, name: str) -> bytes | None:
        """The bytes of a plain file next to the data, or None when there is none."""
        try:
            return self._files.read(self._dir / name)
        except OSError:
            return None

    def write_plain(self, name: str, data: bytes) -> None:
        """Replace a plain file next to the data: something that holds nothing personal.

        Such a file (the indicators summary) stays readable without the young person's
        secret once the data is encrypted. It is written under a temporary name, then put
        in place, so a key pulled out mid-write leaves the old file or the new one.
        """
        try:
            self._files.replace_durably(self._dir / name, data)
        except OSError as error:
            raise as_key_error(error) from None

    @property
    def moved_aside(self) -> list[str]:
        """Names of damaged files set aside when the key was opened."""
        return list(self._db.storage.moved_aside)

    def persist(self) -> None:
        """Write the state as it stands: after an update, the data migrated to the current schema."""
        with self._lock:
            storage = self._db.storage
            storage.write(storage.read())

    @contextmanager
    def session(self) -> Iterator[TinyDB]:
        """Hold the lock while the caller reads or writes the database."""
        with self._lock:
            yield self._db
