"""Kill a passport while it saves: a child process saves in a loop, the parent SIGKILLs it.

The child makes a fixed sequence of saves (inserts that grow the file, removals
that shrink it) and acknowledges each one once ``Store`` returned. After each
kill the parent reopens the key: it must find exactly the state after the last
acknowledged save, or after the one that was being written.

Children come from a fork server with the storage already imported, so a kill
costs milliseconds and hundreds fit in a test.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import random
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from passport.store import Store

TEXT = "Appeler la Mission Locale, préparer mon CV, aller au forum des métiers. " * 20


def save_number(db: TinyDB, number: int) -> None:
    """Save number ``number`` of the sequence: an insert, and every 7th time a clear-out too."""
    steps = db.table("steps")
    if number % 7 == 6:
        steps.remove(doc_ids=[doc.doc_id for doc in steps.all()[:-5]])
    else:
        steps.insert({"n": number, "text": TEXT[: (number * 37) % len(TEXT)]})


def save_forever(data_dir: str, first: int, acks: Connection) -> None:
    """The child: save numbers ``first``, ``first + 1``... and say which ones returned."""
    store = Store(Path(data_dir))
    number = first
    while True:
        with store.session() as db:
            save_number(db, number)
        acks.send(number)
        number += 1


@dataclass
class Tally:
    kills: int = 0
    acknowledged: int = 0
    lost: int = 0
    unreadable: int = 0
    in_flight_kept: int = 0


class Killer:
    """Starts saving children on a key and kills them; keeps the expected state alongside."""

    def __init__(self, data_dir: Path, seed: int = 0) -> None:
        self.data_dir = data_dir
        self.rng = random.Random(seed)
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["passport.store", "saver"])
        self.mirror = TinyDB(storage=MemoryStorage)
        self.next_number = 0
        self.tally = Tally()

    def kill_once(self) -> None:
        receiver, sender = self.context.Pipe(duplex=False)
        child = self.context.Process(target=save_forever, args=(str(self.data_dir), self.next_number, sender))
        child.start()
        sender.close()
        if self.rng.random() < 0.9 and receiver.poll(10):  # mostly kill once saving is under way
            time.sleep(self.rng.random() * 0.004)
        child.kill()
        child.join()
        acknowledged = _drain(receiver)
        self._check(acknowledged)

    def _check(self, acknowledged: list[int]) -> None:
        self.tally.kills += 1
        self.tally.acknowledged += len(acknowledged)
        for number in acknowledged:
            save_number(self.mirror, number)
        confirmed = _copy(self.mirror)
        save_number(self.mirror, self.next_number + len(acknowledged))
        in_flight = _copy(self.mirror)
        with Store(self.data_dir) as store, store.session() as db:
            found = _copy(db)
            self.tally.unreadable += store.unreadable
        if found == in_flight:
            self.tally.in_flight_kept += 1
            self.next_number += len(acknowledged) + 1
        else:
            self.tally.lost += found != confirmed
            self.mirror = TinyDB(storage=MemoryStorage)
            self.mirror.storage.memory = confirmed
            self.next_number += len(acknowledged)


def _drain(receiver: Connection) -> list[int]:
    numbers = []
    while True:
        try:
            if not receiver.poll(1):
                break
            numbers.append(receiver.recv())
        except (EOFError, OSError, pickle.UnpicklingError):
            break  # the child died mid-message; that save's own acknowledgement is lost, nothing more
    receiver.close()
    return numbers


def _copy(db: TinyDB) -> dict:
    return json.loads(json.dumps(db.storage.read() or {}))
