"""A fake disk under the passport's storage that loses power at a chosen moment.

After SQLite's test VFS: the primitives of ``OsFiles`` (one system call each) are
replaced by operations on a disk in memory, so the real ``write_durably`` and
``move_aside`` run on top. A write reaches the cache at once and the medium only
once synced. The N-th operation raises ``PowerCut``; ``after_power_cut`` then
decides, for every write not synced yet, whether it reached the medium, did not,
or reached it torn (a sector part new, part garbage or old bytes).

Two models of the medium:

- ``journaled`` (ext4-like): a file's length follows the data that reached the
  medium; bytes never written read as zeros; names appear and vanish at a
  directory sync.
- ``fat``: a file's length lives in its directory entry, written apart from its
  data clusters. Either may reach the medium without the other: a file can come
  back with its new length over stale bytes from clusters some earlier file
  used, or with new bytes and its old length. Create and remove are separate
  directory writes, so a rename-like move may leave both names or neither.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from passport.store import FileTooBig, OsFiles

SECTOR = 512
MODELS = ("journaled", "fat")


class PowerCut(Exception):
    """The power went off: nothing after this operation happened."""


@dataclass
class Medium:
    """What survives a power cut: the names in the folder and, for each file, its length and clusters."""

    names: dict[str, int] = field(default_factory=dict)  # name -> file number (inode)
    sizes: dict[int, int] = field(default_factory=dict)
    clusters: dict[int, bytearray] = field(default_factory=dict)
    # Every content a file ever had: stale clusters come back from here (FAT model).
    history: list[bytes] = field(default_factory=list)
    next_inode: int = 1

    @classmethod
    def holding(cls, files: dict[str, bytes]) -> Medium:
        medium = cls()
        for name, data in files.items():
            inode = medium.new_inode()
            medium.names[name] = inode
            medium.sizes[inode] = len(data)
            medium.clusters[inode] = bytearray(data)
        return medium

    def new_inode(self) -> int:
        self.next_inode += 1
        return self.next_inode - 1

    def files(self) -> dict[str, bytes]:
        """The files as a reader finds them."""
        return {name: bytes(self.clusters.get(i, b"")[: self.sizes.get(i, 0)]) for name, i in self.names.items()}

    def copy(self) -> Medium:
        clusters = {inode: bytearray(data) for inode, data in self.clusters.items()}
        return Medium(dict(self.names), dict(self.sizes), clusters, list(self.history), self.next_inode)


def _stale(model: str, rng: random.Random, start: int, end: int, history: list[bytes]) -> bytes:
    """Bytes a file's length covers but no write reached: zeros, or an earlier file's (FAT)."""
    if model == "journaled" or not history or rng.random() < 0.3:
        return bytes(end - start)
    old = rng.choice(history)[start:end]
    return old + bytes(end - start - len(old))


@dataclass
class Pending:
    """A write issued but not synced: what it would change on the medium."""

    kind: str  # data, size (of a file), create, remove (a name)
    inode: int
    name: str = ""
    offset: int = 0
    data: bytes = b""
    size: int = 0


class CrashDisk(OsFiles):
    """The storage's file layer over a disk in memory that loses power at operation ``crash_at``.

    A file handle is the file's name.
    """

    def __init__(self, medium: Medium | None = None, model: str = "journaled", crash_at: int | None = None) -> None:
        self.model = model
        self.medium = medium.copy() if medium else Medium()
        self.cache = {name: bytearray(data) for name, data in self.medium.files().items()}
        self.inodes = dict(self.medium.names)
        self.pending: list[Pending] = []
        self.crash_at = crash_at
        self.operations = 0

    # What the storage sees ------------------------------------------------------

    def read(self, path: Path, limit: int) -> bytes | None:
        data = self.cache.get(path.name)
        if data is not None and len(data) > limit:
            raise FileTooBig(path.name)
        return None if data is None else bytes(data)

    def open_rw(self, path: Path) -> tuple[str, bool]:
        self._tick()
        if path.name in self.cache:
            return path.name, False
        self._create(path.name)
        return path.name, True

    def open_new(self, path: Path) -> str:
        self._tick()
        if path.name in self.cache:
            raise FileExistsError(path.name)
        self._create(path.name)
        return path.name

    def write_at(self, name: str, offset: int, data: bytes) -> None:
        end, inode = offset + len(data), self.inodes[name]
        while offset < end:
            piece = data[: SECTOR - offset % SECTOR]
            self._tick()
            current = self.cache[name]
            grows = offset + len(piece) > len(current)
            current[offset : offset + len(piece)] = piece
            self.pending.append(Pending("data", inode, offset=offset, data=bytes(piece)))
            if grows and self.model == "fat":
                self.pending.append(Pending("size", inode, size=len(current)))
            offset, data = offset + len(piece), data[len(piece) :]

    def size(self, name: str) -> int:
        return len(self.cache[name])

    def truncate(self, name: str, size: int) -> None:
        self._tick()
        del self.cache[name][size:]
        self.pending.append(Pending("size", self.inodes[name], size=size))

    def sync(self, name: str) -> None:
        """fsync: the file's data and length reach the medium (on FAT, with its directory entry)."""
        self._tick()
        inode = self.inodes[name]
        kinds = {"data", "size", "create"} if self.model == "fat" else {"data", "size"}
        self._flush(lambda op: op.inode == inode and op.kind in kinds)
        self.medium.history.append(bytes(self.cache[name]))

    def close(self, name: str) -> None:
        pass

    def blocks(self, path: Path) -> Iterator[bytes]:
        if path.name not in self.cache:
            raise FileNotFoundError(path.name)
        data = bytes(self.cache[path.name])
        for start in range(0, len(data), SECTOR * 8):
            yield data[start : start + SECTOR * 8]

    def length(self, path: Path) -> int:
        if path.name not in self.cache:
            raise FileNotFoundError(path.name)
        return len(self.cache[path.name])

    def rename(self, path: Path, target: Path) -> None:
        """Two directory writes, kept or lost apart: FAT may show both names, or neither."""
        self._tick()
        if target.name in self.cache:
            raise FileExistsError(target.name)
        inode = self.inodes.pop(path.name)
        self.cache[target.name] = self.cache.pop(path.name)
        self.inodes[target.name] = inode
        self.pending.append(Pending("create", inode, name=target.name))
        self.pending.append(Pending("remove", inode, name=path.name))

    def replace(self, path: Path, target: Path) -> None:
        """Rename over ``target``: on FAT a delete, a create and a delete that may land apart."""
        self._tick()
        inode = self.inodes.pop(path.name)
        if target.name in self.cache:
            self.pending.append(Pending("remove", self.inodes[target.name], name=target.name))
        self.cache[target.name] = self.cache.pop(path.name)
        self.inodes[target.name] = inode
        self.pending.append(Pending("create", inode, name=target.name))
        self.pending.append(Pending("remove", inode, name=path.name))

    def remove(self, path: Path) -> None:
        self._tick()
        if self.cache.pop(path.name, None) is not None:
            self.pending.append(Pending("remove", self.inodes.pop(path.name), name=path.name))

    def sync_dir(self, folder: Path) -> None:
        self._tick()
        self._flush(lambda op: op.kind in ("create", "remove"))

    # The power cut ---------------------------------------------------------------

    def after_power_cut(self, rng: random.Random) -> Medium:
        """The medium once power is back: each pending write kept, lost or torn, at random."""
        medium = self.medium.copy()
        for op in self.pending:
            fate = rng.random()
            if fate < 0.4:
                continue  # lost
            if op.kind == "data" and fate < 0.6:
                _apply(medium, self.model, _torn(op, medium, rng))
            else:
                _apply(medium, self.model, op)
        for inode in medium.names.values():
            size = medium.sizes.setdefault(inode, 0)
            clusters = medium.clusters.setdefault(inode, bytearray())
            if len(clusters) < size:
                clusters += _stale(self.model, rng, len(clusters), size, medium.history)
        return medium

    def _tick(self) -> None:
        self.operations += 1
        if self.operations == self.crash_at:
            raise PowerCut(self.operations)

    def _create(self, name: str) -> None:
        inode = self.medium.new_inode()
        self.cache[name] = bytearray()
        self.inodes[name] = inode
        self.pending.append(Pending("create", inode, name=name))

    def _flush(self, chosen: Callable[[Pending], bool]) -> None:
        for op in [op for op in self.pending if chosen(op)]:
            _apply(self.medium, self.model, op)
        self.pending = [op for op in self.pending if not chosen(op)]


def _torn(op: Pending, medium: Medium, rng: random.Random) -> Pending:
    """A sector that reached the medium only in part: new bytes, then old ones or garbage."""
    cut = rng.randrange(len(op.data) + 1)
    old = bytes(medium.clusters.get(op.inode, b"")[op.offset + cut : op.offset + len(op.data)])
    rest = old if rng.random() < 0.5 else rng.randbytes(len(op.data) - cut)
    rest += bytes(len(op.data) - cut - len(rest))
    return Pending("data", op.inode, offset=op.offset, data=op.data[:cut] + rest)


def _apply(medium: Medium, model: str, op: Pending) -> None:
    if op.kind == "create":
        medium.names[op.name] = op.inode
    elif op.kind == "remove":
        if medium.names.get(op.name) == op.inode:
            del medium.names[op.name]
    elif op.kind == "size":
        medium.sizes[op.inode] = op.size
        del medium.clusters.setdefault(op.inode, bytearray())[op.size :]  # freed clusters
    elif op.kind == "data":
        clusters = medium.clusters.setdefault(op.inode, bytearray())
        if len(clusters) < op.offset:
            clusters.extend(bytes(op.offset - len(clusters)))
        clusters[op.offset : op.offset + len(op.data)] = op.data
        if model == "journaled":  # the length follows the data
            medium.sizes[op.inode] = max(medium.sizes.get(op.inode, 0), op.offset + len(op.data))
