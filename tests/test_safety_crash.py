"""Power cuts at every point of a save, after SQLite's crash tests (see crashdisk.py).

For each save that grows, shrinks or rewrites the data, and for each operation of
that save, the power goes off there; every write not yet synced is kept, lost or
torn at random (200 seeds), on an ext4-like and on a FAT-like medium. Reopening
must give exactly the state before the save or the state after it, and the
state after it whenever the save had returned.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tinydb import TinyDB
from tinydb.storages import MemoryStorage

from passport import store as store_module
from passport.store import SLOT_NAMES, SlotStorage, Store

from crashdisk import MODELS, CrashDisk, Medium, PowerCut

SEEDS = 200
DATA = Path("/fake-key/Data")  # the fake disk ignores folders
Change = Callable[[TinyDB], object]


def text(length: int, mark: str = "x") -> str:
    return (mark + " Appeler la Mission Locale, préparer le CV. ") * (length // 45 + 1)


def state(store: Store) -> dict:
    with store.session() as db:
        return json.loads(json.dumps(db.storage.read()))


def insert(length: int, count: int = 1) -> Change:
    return lambda db: db.table("steps").insert_multiple({"action": text(length)} for _ in range(count))


def keep_only_first(db: TinyDB) -> None:
    steps = db.table("steps")
    steps.remove(doc_ids=[doc.doc_id for doc in steps.all()[1:]])


def rewrite_same_length(db: TinyDB) -> None:
    db.table("steps").update({"action": text(300, "y")}, doc_ids=[1])


# name: (saves made before, the save that gets cut)
SCENARIOS: dict[str, tuple[list[Change], Change]] = {
    "first save on a new key": ([], insert(200, 3)),
    "grows": ([insert(300, 2), insert(300)], insert(400, 4)),
    "grows a lot": ([insert(300), insert(300)], insert(4000)),
    "shrinks": ([insert(300, 8), insert(300)], keep_only_first),
    "same length": ([insert(300, 3), insert(300)], rewrite_same_length),
}


def prepared(model: str, before: list[Change]) -> Medium:
    disk = CrashDisk(model=model)
    store = Store(DATA, disk)
    for change in before:
        with store.session() as db:
            change(db)
    assert not disk.pending, "every save is synced before it returns"
    return disk.medium


def cut_during(medium: Medium, model: str, change: Change, at: int | None) -> tuple[dict, dict, CrashDisk]:
    """Run ``change`` with the power cut at operation ``at``; return the states before and after."""
    disk = CrashDisk(medium, model, crash_at=at)
    store = Store(DATA, disk)
    before = state(store)
    try:
        with store.session() as db:
            change(db)
    except PowerCut:
        return before, {}, disk
    return before, state(store), disk


def reopened(medium: Medium, model: str) -> Store:
    return Store(DATA, CrashDisk(medium, model))


def reopen(files: dict[str, bytes], seen: dict) -> tuple[dict, bool]:
    """The state a passport finds in ``files``, and whether it would tell the person data was lost.

    Many seeds leave the very same bytes on the medium; each distinct image is opened once.
    """
    image = tuple(sorted(files.items()))
    if image not in seen:
        storage = SlotStorage(DATA, CrashDisk(Medium.holding(files)))
        seen[image] = (storage.read(), storage.unreadable)
    return seen[image]


@dataclass
class Tally:
    """What the power cuts of one scenario gave."""

    points: int = 0
    cuts: int = 0
    images: int = 0
    old: int = 0
    new: int = 0


def crash_everywhere(model: str, scenario: str, seeds: int) -> Tally:
    """Cut the power at every operation of the scenario's save, each cut with ``seeds`` fates."""
    before_saves, change = SCENARIOS[scenario]
    medium = prepared(model, before_saves)
    old, new, dry = cut_during(medium, model, change, None)
    tally, seen = Tally(points=dry.operations), {}
    for at in range(1, tally.points + 2):  # points + 1: the power goes off just after the save returned
        _, _, disk = cut_during(medium, model, change, at)
        for seed in range(seeds):
            found, unreadable = reopen(disk.after_power_cut(random.Random(seed * 10007 + at)).files(), seen)
            where = f"{model}, {scenario}, seed {seed}, operation {at}/{tally.points}"
            assert found in (old, new), f"neither the old nor the new state: {where}"
            if at > tally.points:
                assert found == new, f"a save that returned was lost: {where}"
            assert not unreadable or not old, f"told data was lost though a state was there: {where}"
            tally.cuts += 1
            tally.old += found == old
            tally.new += found == new
    tally.images = len(seen)
    return tally


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_power_cut_at_any_point_of_a_save_leaves_the_old_or_the_new_state(model, scenario):
    tally = crash_everywhere(model, scenario, SEEDS)
    assert tally.cuts == (tally.points + 1) * SEEDS
    # Both outcomes must occur, or the cuts did not land inside the save at all.
    assert tally.old > 0
    assert tally.new >= SEEDS


def test_the_crash_model_catches_a_storage_that_writes_over_its_only_good_copy(monkeypatch):
    monkeypatch.setattr(store_module, "SLOT_NAMES", (SLOT_NAMES[0], SLOT_NAMES[0]))
    with pytest.raises(AssertionError, match="neither the old nor the new state"):
        crash_everywhere("journaled", "grows", seeds=20)


def test_the_crash_model_catches_a_storage_that_does_not_sync(monkeypatch):
    monkeypatch.setattr(CrashDisk, "sync", lambda disk, name: disk._tick())
    with pytest.raises(AssertionError, match=r"save that returned was lost|every save is synced"):
        crash_everywhere("fat", "grows", seeds=20)


# A long life: random saves, power cuts at random points, saving on after each ----


def random_change(rng: random.Random) -> Change:
    roll = rng.random()
    if roll < 0.5:
        return insert(rng.randrange(0, 1500))
    if roll < 0.75:
        length = rng.randrange(0, 1500)
        return lambda db: [db.table("steps").update({"action": text(length)}, doc_ids=[d.doc_id]) for d in _some(db)]
    if roll < 0.95:
        return lambda db: db.table("steps").remove(doc_ids=[d.doc_id for d in _some(db)])
    return lambda db: db.drop_table("steps")


def _some(db: TinyDB) -> list:
    return db.table("steps").all()[-1:]


def mirror_of(tables: dict) -> TinyDB:
    mirror = TinyDB(storage=MemoryStorage)
    mirror.storage.memory = json.loads(json.dumps(tables))
    return mirror


@pytest.mark.parametrize("model", MODELS)
def test_saving_on_after_each_power_cut_never_loses_a_returned_save(model):
    cuts = 0
    for seed in range(SEEDS):
        rng = random.Random(f"life-{model}-{seed}")
        medium, confirmed = Medium(), {}
        for _ in range(3):  # three power cuts in this key's life
            disk = CrashDisk(medium, model, crash_at=rng.randrange(1, 50))
            store = Store(DATA, disk)
            assert state(store) == confirmed, f"seed {seed}: reopened state is not the last confirmed one"
            mirror, attempted = mirror_of(confirmed), confirmed
            try:
                while True:
                    change = random_change(rng)
                    change(mirror)
                    attempted = json.loads(json.dumps(mirror.storage.read() or {}))
                    with store.session() as db:
                        change(db)
                    confirmed = attempted
            except PowerCut:
                cuts += 1
            medium = disk.after_power_cut(rng)
            found = state(reopened(medium, model))
            assert found in (confirmed, attempted), f"seed {seed}: state after the cut is neither"
            confirmed = found
    assert cuts == SEEDS * 3


# Setting damaged files aside, with the power cut at every point ------------------


@pytest.mark.parametrize("model", MODELS)
def test_a_power_cut_while_setting_damaged_files_aside_never_loses_them(model):
    rng = random.Random(model)
    damaged = {SLOT_NAMES[0]: rng.randbytes(3000), SLOT_NAMES[1]: b'{"format": "passport", "generation": 7, "sch'}
    medium = Medium.holding(damaged)
    dry = CrashDisk(medium, model)
    assert Store(DATA, dry).unreadable
    seen: set = set()
    for at in range(1, dry.operations + 2):
        disk = CrashDisk(medium, model, crash_at=at)
        with contextlib.suppress(PowerCut):
            Store(DATA, disk)
        for seed in range(SEEDS):
            files = disk.after_power_cut(random.Random(seed * 10007 + at)).files()
            image = tuple(sorted(files.items()))
            if image in seen:
                continue
            seen.add(image)
            again = CrashDisk(Medium.holding(files), model)
            store = Store(DATA, again)
            with store.session() as db:
                db.table("steps").insert({"action": "nouveau départ"})
            kept = [data for name, data in again.cache.items() if name not in SLOT_NAMES]
            for name, data in damaged.items():
                assert data in kept, f"{model}, seed {seed}, operation {at}: {name} lost"
            assert state(store) == {"steps": {"1": {"action": "nouveau départ"}}}
