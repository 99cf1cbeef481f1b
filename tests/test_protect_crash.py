"""Power cuts while a phrase is set or changed: the key always opens, with the old phrase or the new.

The same fake disk as the [safety] crash tests (crashdisk.py): the power goes off
at every operation of the phrase change, each pending write kept, lost or torn.
"""

from __future__ import annotations

import random

import pytest

from passport import vault
from passport.store import LOCKED, PENDING, Store

from crashdisk import MODELS, CrashDisk, Medium, PowerCut
from test_safety_crash import DATA, FAST_KDF, PHRASE, RECOVERY, state

SEEDS = 200
NEW_PHRASE = "girafe bouton orage cerise"
STEPS = {"steps": {"1": {"action": "Appeler la Mission Locale"}, "2": {"action": "Forum des métiers"}}}


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """New phrases get the cheapest Argon2id too: thousands of images are opened."""
    monkeypatch.setattr(vault, "DEFAULT_KDF", FAST_KDF)


def with_steps(store: Store) -> None:
    with store.session() as db:
        for doc in STEPS["steps"].values():
            db.table("steps").insert(doc)


def protected_medium(model: str) -> Medium:
    disk = CrashDisk(model=model)
    store = Store(DATA, disk)
    with_steps(store)
    store.set_phrase(PHRASE, RECOVERY, FAST_KDF)
    return disk.medium


def pending_medium(model: str) -> Medium:
    disk = CrashDisk(model=model)
    store = Store(DATA, disk)
    with_steps(store)
    store.prepare_protection("7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV")
    return disk.medium


def opens_with(files: dict[str, bytes], phrase: str) -> dict | None:
    store = Store(DATA, CrashDisk(Medium.holding(files)))
    if store.protection != LOCKED:
        return None
    try:
        store.unlock(phrase)
    except vault.WrongSecret:
        return None
    return state(store)


def cut_points(medium: Medium, model: str, action) -> int:
    disk = CrashDisk(medium, model)
    store = Store(DATA, disk)
    if store.protection == LOCKED:
        store.unlock(PHRASE)
    disk.operations = 0
    action(store)
    return disk.operations


@pytest.mark.parametrize("model", MODELS)
def test_a_power_cut_during_a_phrase_change_leaves_a_key_one_of_the_phrases_opens(model):
    medium = protected_medium(model)

    def change(store: Store) -> None:
        store.change_phrase(PHRASE, NEW_PHRASE)

    points = cut_points(medium, model, change)
    outcomes = {"old": 0, "new": 0}
    for at in range(1, points + 2):
        disk = CrashDisk(medium, model)
        store = Store(DATA, disk)
        store.unlock(PHRASE)
        disk.crash_at = disk.operations + at
        returned = True
        try:
            change(store)
        except PowerCut:
            returned = False
        for seed in range(SEEDS):
            files = disk.after_power_cut(random.Random(seed * 7919 + at)).files()
            old, new = opens_with(files, PHRASE), opens_with(files, NEW_PHRASE)
            where = f"{model}, seed {seed}, operation {at}/{points}"
            assert STEPS in (old, new), f"neither phrase opens the steps: {where}"
            if returned:
                assert new == STEPS and old is None, f"the old phrase still opens after the change: {where}"
            outcomes["old"] += old == STEPS
            outcomes["new"] += new == STEPS
    assert outcomes["old"] > 0 and outcomes["new"] > 0


@pytest.mark.parametrize("model", MODELS)
def test_a_power_cut_while_the_first_phrase_is_set_leaves_the_key_waiting_or_protected(model):
    medium = pending_medium(model)

    def first(store: Store) -> None:
        store.set_phrase(PHRASE, kdf=FAST_KDF)

    points = cut_points(medium, model, first)
    outcomes = {PENDING: 0, LOCKED: 0}
    for at in range(1, points + 2):
        disk = CrashDisk(medium, model, crash_at=at)
        store = Store(DATA, disk)
        assert store.protection == PENDING
        returned = True
        try:
            first(store)
        except PowerCut:
            returned = False
        for seed in range(SEEDS):
            files = disk.after_power_cut(random.Random(seed * 7919 + at)).files()
            again = Store(DATA, CrashDisk(Medium.holding(files)))
            where = f"{model}, seed {seed}, operation {at}/{points}"
            outcomes[again.protection] += 1
            if again.protection == PENDING:
                assert not returned, f"a phrase that was set is gone: {where}"
                assert state(again) == STEPS, where
            else:
                assert opens_with(files, PHRASE) == STEPS, where
    assert outcomes[PENDING] > 0 and outcomes[LOCKED] > 0
