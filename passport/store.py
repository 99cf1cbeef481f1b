"""The only code that touches the passport's data file.

TinyDB's own ``JSONStorage`` rewrites its file in place and loses data when a key
is pulled out mid-write, so the passport keeps two *slot* files and writes the
new state over the older one. Each slot starts with a header line giving its
generation, the schema version and a SHA-256 over those and the payload. On
open, the newest slot whose checksum holds wins; a torn write only ever damages
the slot that did not hold the last confirmed state. A save never renames a
file: FAT does not promise that a rename is atomic.

When no slot can be read, the damaged files are copied aside under a dated name
(never written over) and the person is told. A file written by a newer passport
is refused whole. ``Data/passport.lock`` keeps a second passport program off the
key (``passport.keylock``).

A protected key's slots carry a ``protection`` part in their header and an
encrypted payload (``passport.vault``): the checksum still tells a torn slot
without the key, and the store stays *locked* until the phrase or the recovery
code opens the newest slot.

All file operations go through a ``FileLayer`` so tests can put a layer that
fails or "crashes" at any chosen point underneath.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage

from passport import migrations, vault
from passport.faults import ELSEWHERE, GONE, KeyWriteError, as_key_error
from passport.keylock import KeyInUseError, KeyLock

SLOT_NAMES = ("passport-1.json", "passport-2.json")
FORMAT = "passport"
# A passport of ten years of steps is a few MB; anything this big is not ours, and
# reading it whole (a 50 MB junk file) would only cost memory and time.
MAX_SLOT_BYTES = 32 * 1024 * 1024
HEADER_MAX = 4096
ASIDE_MARK = ".abime-"
TORN_HEADER = re.compile(rb'\{"format": "passport", "schema": (?P<schema>\d+), "generation": (?P<generation>\d+)[,}]')
Tables = dict[str, dict[str, Any]]
T = TypeVar("T")


class FileTooBig(ValueError):
    """A file is larger than any slot the passport writes."""


class FileLayer(Protocol):
    """The few file operations the storage needs, each one a possible fault point."""

    def read(self, path: Path, limit: int) -> bytes | None:
        """Return the file's bytes, or None when it does not exist; FileTooBig past ``limit``."""

    def write_durably(self, path: Path, data: bytes) -> None:
        """Replace the file's content; on return the bytes are on the medium."""

    def move_aside(self, path: Path, target: Path) -> None:
        """Keep a damaged file under ``target`` (never replaced); a crash leaves one name or both."""

    def replace_durably(self, path: Path, data: bytes) -> None:
        """Replace the file through a temporary sibling: a crash leaves the old bytes or the new."""

    def names(self, folder: Path) -> list[str]:
        """The names of the files in ``folder`` (none when it is gone)."""

    def wipe(self, path: Path) -> None:
        """Write zeros over a file, then remove it: a deleted file's clusters keep its bytes."""

    def remove(self, path: Path) -> None:
        """Remove a file if it exists."""


class OsFiles:
    """The real file layer. Each primitive below is one system call, so a test layer
    can take their place and crash between any two of them.

    ``write_durably`` overwrites in place and then shortens, rather than opening with
    ``O_TRUNC``: fusefat refuses ``O_TRUNC`` on a file longer than one cluster, and an
    overwrite needs no new clusters on a nearly full key. A torn write leaves new and
    old bytes mixed, which the checksum rejects. ``move_aside`` copies then deletes,
    since a rename on FAT may be a delete then a create (a file too big to be a
    passport is only renamed).
    """

    retries = 5
    chunk = 1024 * 1024

    def read(self, path: Path, limit: int) -> bytes | None:
        try:
            with path.open("rb") as handle:
                if os.fstat(handle.fileno()).st_size > limit:
                    raise FileTooBig(path.name)
                return handle.read()
        except FileNotFoundError:
            return None

    def write_durably(self, path: Path, data: bytes) -> None:
        fd, created = self.open_rw(path)
        try:
            self.write_at(fd, 0, data)
            if self.size(fd) > len(data):
                self.truncate(fd, len(data))
            self.sync(fd)
        finally:
            self.close(fd)
        if created:
            self.sync_dir(path.parent)

    def move_aside(self, path: Path, target: Path) -> None:
        if self.length(path) > MAX_SLOT_BYTES:
            self.rename(path, target)  # larger than any passport: none of ours, not worth copying
            self.sync_dir(path.parent)
            return
        fd = self.open_new(target)
        try:
            offset = 0
            for block in self.blocks(path):
                self.write_at(fd, offset, block)
                offset += len(block)
            self.sync(fd)
        except OSError:
            self.close(fd)
            self.remove(target)
            raise
        self.close(fd)
        self.sync_dir(target.parent)
        self.remove(path)
        self.sync_dir(path.parent)

    def replace_durably(self, path: Path, data: bytes) -> None:
        # The rename's directory sync also makes the temporary file's name durable.
        temporary = path.with_name(path.name + ".tmp")
        self.write_durably(temporary, data)
        self.replace(temporary, path)
        self.sync_dir(path.parent)

    def names(self, folder: Path) -> list[str]:
        try:
            return sorted(os.listdir(folder))
        except FileNotFoundError:
            return []

    def wipe(self, path: Path) -> None:
        fd, _ = self.open_rw(path)
        try:
            length = self.size(fd)
            for offset in range(0, length, self.chunk):
                self.write_at(fd, offset, bytes(min(self.chunk, length - offset)))
            self.sync(fd)
        finally:
            self.close(fd)
        self.remove(path)
        self.sync_dir(path.parent)

    # The primitives -------------------------------------------------------------

    def open_rw(self, path: Path) -> tuple[int, bool]:
        """Open for writing, creating the file if needed; say whether it was created."""
        try:
            return self._open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL), True
        except FileExistsError:
            return self._open(path, os.O_RDWR), False

    def open_new(self, path: Path) -> int:
        """Create a file that must not exist yet (FileExistsError otherwise)."""
        return self._open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL)

    def write_at(self, fd: int, offset: int, data: bytes) -> None:
        os.lseek(fd, offset, os.SEEK_SET)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def size(self, fd: int) -> int:
        return os.fstat(fd).st_size

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)

    def sync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def length(self, path: Path) -> int:
        return os.stat(path).st_size

    def rename(self, path: Path, target: Path) -> None:
        """Rename, never over an existing file (FileExistsError)."""
        if target.exists():
            raise FileExistsError(target.name)
        os.rename(path, target)

    def replace(self, path: Path, target: Path) -> None:
        """Rename over ``target``."""
        self._retry(lambda: os.replace(path, target))

    def blocks(self, path: Path) -> Iterator[bytes]:
        with path.open("rb") as handle:
            while block := handle.read(self.chunk):
                yield block

    def remove(self, path: Path) -> None:
        with suppress(FileNotFoundError):
            os.remove(path)

    def sync_dir(self, folder: Path) -> None:
        if sys.platform == "win32":
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems (FUSE, FAT) refuse fsync on a directory
        finally:
            os.close(fd)

    def _open(self, path: Path, flags: int) -> int:
        return self._retry(lambda: os.open(path, flags | getattr(os, "O_BINARY", 0), 0o600))

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


class Locked(Exception):
    """The data is encrypted and the phrase has not been given yet."""


class NewerSchemaError(Exception):
    """The key was written by a newer passport; opening it here could lose data."""

    def __init__(self, schema: int) -> None:
        super().__init__(f"schema {schema} > {migrations.CURRENT_SCHEMA}")
        self.schema = schema


@dataclass(frozen=True)
class Slot:
    """What one slot file held when it was read."""

    path: Path
    generation: int = -1
    schema: int = 0
    tables: Tables | None = None
    present: bool = False
    empty: bool = False
    sha256: str = ""
    protection: dict[str, Any] | None = None
    sealed: bytes | None = None  # the encrypted payload of a protected slot

    @property
    def valid(self) -> bool:
        return self.tables is not None or self.sealed is not None

    def header(self) -> dict[str, Any]:
        return {"format": FORMAT, "schema": self.schema, "generation": self.generation, "protection": self.protection}

    @property
    def version(self) -> tuple[int, str]:
        """Which saved state this slot holds."""
        return self.generation, self.sha256


def encode(tables: Tables, generation: int, protection: dict[str, Any] | None = None) -> bytes:
    """Serialise a plain state into slot bytes: header line, newline, payload."""
    return frame(_dumps(tables), generation, protection)


def frame(payload: bytes, generation: int, protection: dict[str, Any] | None = None) -> bytes:
    """Put the header line (generation, schema, length, SHA-256) in front of a payload."""
    schema = migrations.CURRENT_SCHEMA
    return _frame(payload, generation, digest(schema, generation, payload, protection), protection)


def digest(schema: int, generation: int, payload: bytes, protection: dict[str, Any] | None = None) -> str:
    """The SHA-256 a slot's header carries: of the payload *and* the header's numbers.

    A checksum of the payload alone let a torn header pass: new bytes up to
    ``"generation": 3``, then the old header's rest and the old payload, made a
    valid slot that dressed an old state as the newest (found by the crash tests).
    A protected slot's wrapped keys are covered too.
    """
    head = b"%s %d %d" % (FORMAT.encode(), schema, generation)
    if protection is not None:
        head += b" " + _canonical(protection)
    return hashlib.sha256(head + b"\n" + payload).hexdigest()


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _frame(payload: bytes, generation: int, sha256: str, protection: dict[str, Any] | None = None) -> bytes:
    header: dict[str, Any] = {
        "format": FORMAT,
        "schema": migrations.CURRENT_SCHEMA,
        "generation": generation,
        "length": len(payload),
        "sha256": sha256,
    }
    if protection is not None:
        header["protection"] = protection
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
    """Read slot bytes; anything torn, truncated or tampered with is invalid.

    The schema is taken from the header alone, so a file from a newer passport is
    recognised even when this version cannot check or read its payload.
    """
    if raw is None:
        return Slot(path)
    end = raw.find(b"\n", 0, HEADER_MAX)
    try:
        header = json.loads(raw[:end]) if end >= 0 else None
        generation, schema = int(header["generation"]), int(header["schema"])
    except (ValueError, TypeError, KeyError, IndexError):
        return _torn_header(path, raw)
    read = Slot(path, generation, schema, present=True)
    payload = raw[end + 1 :]
    protection = header.get("protection")
    if protection is not None and not isinstance(protection, dict):
        return read
    sha256 = digest(schema, generation, payload, protection)
    if header.get("format") != FORMAT or header.get("length") != len(payload) or header.get("sha256") != sha256:
        return read
    if vault.is_sealed(protection):
        return Slot(path, generation, schema, present=True, sha256=sha256, protection=protection, sealed=payload)
    try:
        tables = json.loads(payload)
    except ValueError:
        return read
    if not _well_formed(tables):
        return read
    return Slot(path, generation, schema, tables, present=True, sha256=sha256, protection=protection)


def _torn_header(path: Path, raw: bytes) -> Slot:
    """A damaged slot; if its header was cut after the generation, keep that much.

    A first save cut inside its header line must not be taken for a lost passport.
    """
    start = TORN_HEADER.match(raw)
    if start is None:
        return Slot(path, present=True, empty=not raw)
    return Slot(path, int(start["generation"]), int(start["schema"]), present=True)


def _well_formed(tables: object) -> bool:
    """The shape TinyDB needs: tables of documents keyed by their number."""
    return isinstance(tables, dict) and all(
        isinstance(table, dict) and all(key.isdigit() and isinstance(doc, dict) for key, doc in table.items())
        for table in tables.values()
    )


def read_slot(files: FileLayer, path: Path) -> Slot:
    """One slot as found on the key; a file that cannot be read at all counts as damaged."""
    try:
        return decode(path, files.read(path, MAX_SLOT_BYTES))
    except (FileTooBig, OSError):
        return Slot(path, present=True)


def _first_save_cut_short(found: list[Slot], slots: list[Slot]) -> bool:
    """A lone slot, empty or torn with generation 1: the very first save was cut short, nothing was lost."""
    return len(found) == 1 < len(slots) and (found[0].empty or found[0].generation == 1)


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

    @property
    def schema(self) -> int:
        """The newest schema any slot claims, readable or not: what ``SlotStorage`` refuses above its own."""
        return max((slot.schema for slot in self.slots), default=0)


def survey(data_dir: Path, files: FileLayer | None = None) -> Survey:
    """Read the slots for staff tools that check or update a key: unlike ``Store``, never moves a file."""
    layer = files or OsFiles()
    return Survey(tuple(read_slot(layer, data_dir / name) for name in SLOT_NAMES))


class Found:
    """What the slot files held when the key was opened, before any key is needed.

    Checksums tell a torn or damaged slot without the data key, so which slot is
    newest, and which files must be set aside, is known while the key is locked.
    """

    def __init__(self, data_dir: Path, files: FileLayer) -> None:
        slots = [read_slot(files, data_dir / name) for name in SLOT_NAMES]
        newer = max((slot.schema for slot in slots), default=0)
        if newer > migrations.CURRENT_SCHEMA:
            raise NewerSchemaError(newer)
        self.slots = slots
        self.valid = sorted((slot for slot in slots if slot.valid), key=lambda slot: slot.generation, reverse=True)
        self.newest = self.valid[0] if self.valid else None
        found = [slot for slot in slots if slot.present]
        self.unreadable = self.newest is None and bool(found) and not _first_save_cut_short(found, slots)
        self.aside = [slot.path for slot in found] if self.unreadable else []

    @property
    def protection(self) -> dict[str, Any] | None:
        return self.newest.protection if self.newest else None

    def open(self, keys: vault.Keys | None) -> tuple[Slot | None, Tables]:
        """The newest state that opens; a sealed slot needs ``keys`` (``Locked`` without them).

        A sealed slot that passes its checksum but not its authentication was written
        under another data key or tampered with: the older slot is tried instead.
        """
        for slot in self.valid:
            if slot.sealed is None:
                return slot, migrations.migrate(slot.tables or {}, slot.schema)
            if keys is None:
                raise Locked
            try:
                tables = json.loads(keys.open(slot.sealed, vault.associated_data(slot.header())))
            except (vault.Damaged, ValueError):
                continue
            if _well_formed(tables):
                return slot, migrations.migrate(tables, slot.schema)
        return None, {}


class SlotStorage(Storage):
    """A TinyDB storage over two checksummed slot files, kept in memory between saves.

    With ``keys``, every save is encrypted under the data key they hold.
    """

    def __init__(
        self,
        data_dir: Path,
        files: FileLayer,
        lock: KeyLock | None = None,
        keys: vault.Keys | None = None,
        found: Found | None = None,
    ) -> None:
        self._files = files
        self._dir = data_dir
        self._lock = lock
        self.moved_aside: list[str] = []
        found = found or Found(data_dir, files)
        self.unreadable = found.unreadable
        self._aside = list(found.aside)
        self._set_aside()
        newest, self._tables = found.open(keys)
        self._keys = keys
        # A plain key prepared for protection keeps saying so until its phrase is chosen.
        self._protection = keys.protection if keys else found.protection
        self._generation = newest.generation if newest else 0
        self._current = newest.path if newest else data_dir / SLOT_NAMES[1]
        self._known = {newest.version if newest else (0, "")}
        self._encoder = _Encoder(self._tables)
        self.stale = [slot for slot in found.valid if slot is not newest and slot.protection != self._protection]

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def protection(self) -> dict[str, Any] | None:
        return self._protection

    @property
    def keys(self) -> vault.Keys | None:
        return self._keys

    def rekey(self, keys: vault.Keys | None) -> None:
        """Encrypt the next saves under ``keys`` (the caller saves, in both slots)."""
        self._keys = keys
        self._protection = keys.protection if keys else None

    def protect_pending(self, protection: dict[str, Any]) -> None:
        """Say in the next saves' header that a phrase is to be chosen at the first start."""
        self._keys, self._protection = None, protection

    def read(self) -> Tables:
        return self._tables

    def write(self, data: Tables) -> None:
        target = self._dir / (SLOT_NAMES[0] if self._current.name == SLOT_NAMES[1] else SLOT_NAMES[1])
        generation = self._generation + 1
        payload = self._encoder.encode(data)
        if self._keys is not None:
            header = {"format": FORMAT, "schema": migrations.CURRENT_SCHEMA, "generation": generation}
            payload = self._keys.seal(payload, vault.associated_data({**header, "protection": self._protection}))
        sha256 = digest(migrations.CURRENT_SCHEMA, generation, payload, self._protection)
        blob = _frame(payload, generation, sha256, self._protection)
        try:
            if len(blob) > MAX_SLOT_BYTES:
                raise OSError(errno.EFBIG, "passport larger than a slot may be")
            self._check_ownership()
            self._set_aside(strict=True)
            # If the write fails after its bytes reached the key, that state is ours too.
            self._known.add((generation, sha256))
            self._files.write_durably(target, blob)
        except OSError as error:
            # TinyDB already changed the in-memory state: put the confirmed one back.
            self._tables = self._encoder.committed()
            raise as_key_error(error, self._dir, len(blob)) from None
        self._encoder.commit()
        self._generation = generation
        self._current = target
        self._known = {(generation, sha256)}
        self._tables = data
        self.stale = []

    def _set_aside(self, strict: bool = False) -> None:
        """Copy unreadable files aside under a dated name before anything may write over them.

        On a write-protected or missing key this fails; the files stay where they
        are and the first save tries again (``strict``: and refuses to go on).
        """
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        while self._aside:
            path = self._aside[0]
            try:
                self.moved_aside.append(self._move_aside(path, stamp))
            except OSError:
                if strict:
                    raise
                return
            self._aside.pop(0)

    def _move_aside(self, path: Path, stamp: str) -> str:
        for number in range(1, 100):
            target = path.with_name(f"{path.name}{ASIDE_MARK}{stamp}" + (f"-{number}" if number > 1 else ""))
            try:
                self._files.move_aside(path, target)
            except FileExistsError:
                continue
            return target.name
        raise FileExistsError(path.name)

    def _check_ownership(self) -> None:
        """Before writing: hold the key's lock, taking it again if the key went away and came back.

        A key that comes back may have been opened by another passport meanwhile, or
        be another key: when it holds a state that is not the one this process knows,
        writing ours would silently undo someone's saves, so the save is refused.
        """
        if self._lock is None or self._lock.held():
            return
        try:
            self._lock.claim()
        except KeyInUseError:
            raise KeyWriteError(ELSEWHERE) from None
        slots = [read_slot(self._files, self._dir / name) for name in SLOT_NAMES]
        newest = max((s for s in slots if s.valid), key=lambda slot: slot.generation, default=None)
        if newest is not None and newest.version not in self._known:
            self._lock.release()
            raise KeyWriteError(ELSEWHERE)


# What the protection of the data is, as the pages need to know it.
UNPROTECTED = "none"
PENDING = "pending"  # prepared for protection: the phrase is chosen at the first start
LOCKED = "locked"
OPEN = "open"


class Store:
    """The passport's database: one instance per key, one lock around every call.

    A store opened on the real file system holds ``Data/passport.lock`` until it is
    closed (or collected): another program opening the key gets ``KeyInUseError``.
    A test file layer keeps no files on disk and takes no lock.

    A protected key opens *locked*: ``session`` raises ``Locked`` until ``unlock``
    (or ``recover``) is given the phrase (or the recovery code).
    """

    def __init__(self, data_dir: Path, files: FileLayer | None = None) -> None:
        self._lock = threading.RLock()
        self._dir = data_dir
        self._files = files or OsFiles()
        self._key_lock = KeyLock(data_dir) if files is None else None
        self._db: TinyDB | None = None
        self._moved_aside: list[str] = []
        if self._key_lock is not None:
            with suppress(OSError):  # a write-protected or absent key: the first save takes the lock
                self._key_lock.claim()
        try:
            self._found = Found(data_dir, self._files)
            if not vault.is_sealed(self._found.protection):
                self._open(self._found, None)
        except BaseException:
            self.close()
            raise

    def _open(self, found: Found, keys: vault.Keys | None) -> None:
        self._db = TinyDB(self._dir, self._files, self._key_lock, keys, found, storage=SlotStorage)
        self._found = found

    @property
    def _storage(self) -> SlotStorage:
        if self._db is None:
            raise Locked
        return self._db.storage

    # Protection ------------------------------------------------------------------

    @property
    def protection(self) -> str:
        """UNPROTECTED, PENDING (phrase to choose), LOCKED or OPEN."""
        with self._lock:
            if self._db is None:
                return LOCKED
            current = self._storage.protection
            if current is None:
                return UNPROTECTED
            return OPEN if vault.is_sealed(current) else PENDING

    def unlock(self, phrase: str) -> None:
        """Open a locked key with its phrase; ``vault.WrongSecret`` when it is not the one."""
        with self._lock:
            if self._db is not None:
                return
            found = self._locked_slots()
            keys = vault.Keys.unlock(found.protection or {}, phrase)
            self._open(found, keys)
            self._bring_both_slots_in_step()

    def recover(self, code: str, phrase: str) -> None:
        """The phrase is forgotten: the recovery code opens the key, and ``phrase`` replaces the old one."""
        with self._lock:
            found = self._locked_slots() if self._db is None else self._found
            protection = found.protection if self._db is None else self._storage.protection
            keys = vault.Keys.recover(protection or {}, code)
            if self._db is None:
                self._open(found, keys)
            self.set_phrase(phrase)

    def _locked_slots(self) -> Found:
        """The slots as they are now (saves may have happened since the last look).

        No encrypted slot to open means the key went away, or is not this one any more:
        that is said as such, not as a wrong phrase.
        """
        found = Found(self._dir, self._files)
        if not vault.is_sealed(found.protection):
            raise KeyWriteError(GONE)
        return found

    def change_phrase(self, old: str, new: str) -> None:
        """Replace the phrase, once the current one is given again (``vault.WrongSecret`` if not)."""
        with self._lock:
            vault.Keys.unlock(self._storage.protection or {}, old)
            self.set_phrase(new)

    def set_phrase(
        self, phrase: str, recovery: dict[str, Any] | None = None, kdf: vault.PhraseKdf | None = None
    ) -> None:
        """Encrypt the data under a new data key, wrapped under ``phrase``, and write it in both slots.

        The new data key is sealed for the same recovery code as before (or for
        ``recovery`` on a key that had none). Writing both slots leaves nothing on
        the key that the old phrase, or no phrase at all, could still open.
        """
        with self._lock:
            storage = self._storage
            if recovery is None:
                current = storage.protection
                if current is None:
                    raise ValueError("an unprotected key needs a recovery code to be protected")
                recovery = storage.keys.recovery() if storage.keys else current["recovery"]
            previous = storage.keys
            storage.rekey(vault.Keys.create(phrase, recovery, kdf))
            try:
                storage.write(storage.read())
            except OSError:
                storage.rekey(previous)
                raise
            # The new phrase is in force; a failure here leaves the other slot for the next save.
            with suppress(OSError):
                storage.write(storage.read())

    def prepare_protection(self, recovery_code: str) -> None:
        """Make a new key ask for a secret phrase at its first start (``build_key.py prepare``).

        Only the recovery code's public half goes on the key: the phrase chosen at the
        first start will wrap a fresh data key, sealed for this code. Until then the key
        holds what staff put on it, unencrypted, and says it is waiting for a phrase.
        """
        with self._lock:
            storage = self._storage
            if storage.protection is not None:
                raise ValueError("this key already has its protection")
            storage.protect_pending(vault.pending(vault.recovery_setup(recovery_code)))
            storage.write(storage.read())
            with suppress(OSError):
                storage.write(storage.read())

    def lock(self) -> None:
        """Forget the data and its key; only a protected key can be locked."""
        with self._lock:
            if self._db is not None and vault.is_sealed(self._storage.protection):
                self._moved_aside += self._storage.moved_aside
                self._db = None

    def _bring_both_slots_in_step(self) -> None:
        """After opening: a slot still under an older phrase (or none) is written over now.

        A phrase change or a first phrase cut short by a pulled key leaves the older
        slot as it was; the older phrase must not keep opening it.
        """
        if self._storage.stale:
            with suppress(OSError):
                self._storage.write(self._storage.read())

    # Data ------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """How many saves the data has seen: tells which of two copies of a plain file is newer."""
        with self._lock:
            if self._db is None:
                return self._found.newest.generation if self._found.newest else 0
            return self._storage.generation

    def read_plain(self, name: str) -> bytes | None:
        """The bytes of a plain file next to the data, or None when there is none."""
        try:
            return self._files.read(self._dir / name, MAX_SLOT_BYTES)
        except (OSError, FileTooBig):
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
            raise as_key_error(error, self._dir, len(data)) from None

    def remove_plain(self, name: str) -> None:
        """Remove a plain file next to the data (and a temporary copy a cut write left)."""
        for path in (self._dir / name, self._dir / (name + ".tmp")):
            try:
                self._files.remove(path)
            except OSError as error:
                raise as_key_error(error, self._dir) from None

    def erase(self) -> None:
        """Erase every sheet: both slots are written over with an empty state, damaged copies wiped.

        The protection stays as it is (same phrase); what was on the key cannot be
        read back from the slots, since they are written over in place.
        """
        with self._lock:
            storage = self._storage
            storage.write({})
            storage.write({})
            for name in self._files.names(self._dir):
                if name.startswith(tuple(SLOT_NAMES)) and ASIDE_MARK in name:
                    try:
                        self._files.wipe(self._dir / name)
                    except OSError as error:
                        raise as_key_error(error, self._dir) from None
            self._moved_aside.clear()
            storage.moved_aside.clear()

    @property
    def moved_aside(self) -> list[str]:
        """Names of damaged files set aside when the key was opened."""
        with self._lock:
            return self._moved_aside + (self._db.storage.moved_aside if self._db is not None else [])

    def persist(self) -> None:
        """Write the state as it stands: after an update, the data migrated to the current schema."""
        with self._lock:
            storage = self._storage
            storage.write(storage.read())

    @property
    def unreadable(self) -> bool:
        """True when the key held passport files but none could be read: the person must be told."""
        return self._found.unreadable

    @contextmanager
    def session(self) -> Iterator[TinyDB]:
        """Hold the lock while the caller reads or writes the database (``Locked`` while locked)."""
        with self._lock:
            if self._db is None:
                raise Locked
            yield self._db

    def close(self) -> None:
        """Let another program open the key (the data is already saved: every save is durable)."""
        if self._key_lock is not None:
            self._key_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
