"""The storage under TinyDB: two checksummed slots, one lock, nothing overwritten."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from passport.faults import FULL, KeyWriteError
from passport.migrations import CURRENT_SCHEMA
from passport.store import SLOT_NAMES, NewerSchemaError, OsFiles, SlotStorage, Store, encode


def steps(store: Store) -> list[dict]:
    with store.session() as db:
        return db.table("steps").all()


def add(store: Store, text: str) -> None:
    with store.session() as db:
        db.table("steps").insert({"action": text})


class HalfWrite(OsFiles):
    """Writes half the bytes to the real file, then fails as a full key does."""

    def write_durably(self, path: Path, data: bytes) -> None:
        path.write_bytes(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")


def test_saved_state_reopens(tmp_path):
    store = Store(tmp_path)
    add(store, "Appeler la Mission Locale")
    assert [s["action"] for s in steps(Store(tmp_path))] == ["Appeler la Mission Locale"]


def test_uses_our_storage_not_tinydb_json(tmp_path):
    with Store(tmp_path).session() as db:
        assert isinstance(db.storage, SlotStorage)


def test_saves_alternate_between_slots_with_growing_generation(tmp_path):
    store = Store(tmp_path)
    for text in ("un", "deux", "trois"):
        add(store, text)
    headers = {name: json.loads((tmp_path / name).read_bytes().partition(b"\n")[0]) for name in SLOT_NAMES}
    assert sorted(h["generation"] for h in headers.values()) == [2, 3]
    assert {h["schema"] for h in headers.values()} == {CURRENT_SCHEMA}


def test_a_write_failing_half_way_keeps_the_previous_state(tmp_path):
    store = Store(tmp_path)
    add(store, "avant")
    add(store, "encore avant")
    failing = Store(tmp_path, HalfWrite())
    with pytest.raises(KeyWriteError) as caught:
        add(failing, "perdu")
    assert caught.value.reason == FULL
    assert [s["action"] for s in steps(failing)] == ["avant", "encore avant"], "memory rolled back"
    assert [s["action"] for s in steps(Store(tmp_path))] == ["avant", "encore avant"], "file still readable"


def test_a_damaged_newest_slot_falls_back_to_the_other(tmp_path):
    store = Store(tmp_path)
    add(store, "un")
    add(store, "deux")
    newest = max(SLOT_NAMES, key=lambda n: json.loads((tmp_path / n).read_bytes().partition(b"\n")[0])["generation"])
    data = bytearray((tmp_path / newest).read_bytes())
    data[-3] ^= 0xFF
    (tmp_path / newest).write_bytes(bytes(data))
    reopened = Store(tmp_path)
    assert [s["action"] for s in steps(reopened)] == ["un"]
    assert reopened.moved_aside == []


def test_two_damaged_slots_are_set_aside_never_overwritten(tmp_path):
    for name in SLOT_NAMES:
        (tmp_path / name).write_bytes(b"not json at all " + name.encode())
    store = Store(tmp_path)
    assert len(store.moved_aside) == 2
    add(store, "nouveau départ")
    for aside in store.moved_aside:
        assert (tmp_path / aside).read_bytes().startswith(b"not json at all")
    assert [s["action"] for s in steps(Store(tmp_path))] == ["nouveau départ"]


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    blob = encode({"steps": {}}, generation=1).replace(
        f'"schema": {CURRENT_SCHEMA}'.encode(), f'"schema": {CURRENT_SCHEMA + 1}'.encode()
    )
    (tmp_path / SLOT_NAMES[0]).write_bytes(blob)
    with pytest.raises(NewerSchemaError):
        Store(tmp_path)
    assert (tmp_path / SLOT_NAMES[0]).read_bytes() == blob


def test_a_failed_save_then_an_in_place_update_is_saved_in_full(tmp_path, monkeypatch):
    store = Store(tmp_path)
    add(store, "avant")
    real = OsFiles.write_durably
    monkeypatch.setattr(OsFiles, "write_durably", HalfWrite.write_durably)
    with pytest.raises(KeyWriteError), store.session() as db:
        db.table("steps").update({"action": "perdu"}, doc_ids=[1])
    monkeypatch.setattr(OsFiles, "write_durably", real)
    with store.session() as db:
        db.table("steps").update({"action": "après"}, doc_ids=[1])
    assert [s["action"] for s in steps(Store(tmp_path))] == ["après"]


def test_unchanged_documents_are_reused_and_changed_ones_re_encoded(tmp_path):
    store = Store(tmp_path)
    for text in ("un", "deux", "trois"):
        add(store, text)
    with store.session() as db:
        db.table("steps").update({"action": "DEUX"}, doc_ids=[2])
        db.table("steps").remove(doc_ids=[3])
    assert [s["action"] for s in steps(Store(tmp_path))] == ["un", "DEUX"]
