"""Data/passport.lock: a second passport program cannot write to a key that is open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from passport.faults import ELSEWHERE, KeyWriteError
from passport.keylock import LOCK_NAME, KeyInUseError
from passport.keyroot import REPOSITORY
from passport.store import SLOT_NAMES, Store

from support import FatKey

OTHER_PASSPORT = """
import sys, time
from pathlib import Path
from passport.keylock import KeyInUseError
from passport.store import Store
try:
    store = Store(Path(sys.argv[1]))
except KeyInUseError:
    print("in use", flush=True)
    sys.exit(3)
with store.session() as db:
    db.table("steps").insert({"action": sys.argv[2]})
print("saved", flush=True)
if sys.argv[3] == "stay":
    time.sleep(60)
"""


def other_passport(data: Path, text: str, stay: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.Popen(
        [sys.executable, "-c", OTHER_PASSPORT, str(data), text, "stay" if stay else "go"],
        cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def actions(store: Store) -> list[str]:
    with store.session() as db:
        return [doc["action"] for doc in db.table("steps").all()]


def add(store: Store, text: str) -> None:
    with store.session() as db:
        db.table("steps").insert({"action": text})


def snapshot(data: Path) -> dict[str, bytes]:
    return {name: (data / name).read_bytes() for name in SLOT_NAMES if (data / name).exists()}


def test_a_second_program_on_an_open_key_is_refused_and_writes_nothing(disk):
    with Store(disk) as store:
        add(store, "à moi")
        before = snapshot(disk)
        other = other_passport(disk, "intrus")
        assert other.wait(timeout=30) == 3
        assert other.stdout.read().strip() == "in use"
        assert snapshot(disk) == before
        add(store, "encore à moi")
    assert (disk / LOCK_NAME).exists()
    with Store(disk) as reopened:
        assert actions(reopened) == ["à moi", "encore à moi"]


def test_the_key_opens_again_once_the_first_program_closed_it(disk):
    with Store(disk) as store:
        add(store, "premier")
    other = other_passport(disk, "second")
    assert other.wait(timeout=30) == 0
    with Store(disk) as store:
        assert actions(store) == ["premier", "second"]


def test_a_lock_left_by_a_killed_program_does_not_block_the_next_start(disk):
    other = other_passport(disk, "avant le plantage", stay=True)
    try:
        assert other.stdout.readline().strip() == "saved"
        with pytest.raises(KeyInUseError):
            Store(disk)
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait()
    assert (disk / LOCK_NAME).exists(), "the lock file stays behind"
    with Store(disk) as store:
        assert actions(store) == ["avant le plantage"]
        add(store, "après")


def test_a_lock_file_with_stale_content_is_taken_over(tmp_path):
    (tmp_path / LOCK_NAME).write_bytes(b"pid 4242 from a passport long gone\n" * 50)
    with Store(tmp_path) as store:
        add(store, "ok")
    other = other_passport(tmp_path, "ok aussi")
    assert other.wait(timeout=30) == 0


def test_stores_of_one_process_share_the_lock(tmp_path):
    first = Store(tmp_path)
    add(first, "un")
    second = Store(tmp_path)
    assert actions(second) == ["un"]
    first.close()
    assert other_passport(tmp_path, "refusé").wait(timeout=30) == 3, "the second store still holds the lock"
    second.close()
    assert other_passport(tmp_path, "accepté").wait(timeout=30) == 0


def test_a_key_that_comes_back_is_locked_again_before_the_next_save(tmp_path):
    with FatKey(tmp_path) as key:
        store = Store(key.mount)
        add(store, "avant")
        key.pull_out()
        with pytest.raises(KeyWriteError):
            add(store, "pendant")
        key.plug_in()
        add(store, "après")
        assert other_passport(key.mount, "intrus").wait(timeout=30) == 3, "the lock was taken again"
        store.close()
        with Store(key.mount) as reopened:
            assert actions(reopened) == ["avant", "après"]


def test_a_key_changed_elsewhere_while_it_was_out_is_not_written_over(tmp_path):
    with FatKey(tmp_path) as key:
        store = Store(key.mount)
        add(store, "avant")
        key.pull_out()
        key.plug_in()  # ...into another PC, where the passport adds a step, then back here
        assert other_passport(key.mount, "fait ailleurs").wait(timeout=30) == 0
        with pytest.raises(KeyWriteError) as caught:
            add(store, "ici")
        assert caught.value.reason == ELSEWHERE
        assert actions(store) == ["avant"], "the refused save is not kept in memory either"
        store.close()
        with Store(key.mount) as reopened:
            assert actions(reopened) == ["avant", "fait ailleurs"]


def test_files_removed_while_the_passport_is_open_are_written_again_whole(tmp_path):
    store = Store(tmp_path)
    add(store, "un")
    add(store, "deux")
    for name in (*SLOT_NAMES, LOCK_NAME):
        (tmp_path / name).unlink()
    add(store, "trois")
    assert other_passport(tmp_path, "intrus").wait(timeout=30) == 3, "the lock was taken again"
    store.close()
    with Store(tmp_path) as reopened:
        assert actions(reopened) == ["un", "deux", "trois"]
        assert not reopened.unreadable
