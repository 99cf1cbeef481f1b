"""Damaged data files, on the disk and on a FAT32 key: recovered from the other slot when it
is good; otherwise kept aside under a dated name, never written over, and the person told."""

from __future__ import annotations

import html
import json
import random
import re
import tracemalloc
from pathlib import Path

import pytest

from passport import store as store_module
from passport.keyroot import KeyPaths
from passport.store import SLOT_NAMES, Store, digest, encode
from passport.web import create_app

from conftest import Client

ASIDE = re.compile(r"passport-[12]\.json\.abime-\d{8}-\d{6}(-\d+)?")


def step(action: str) -> dict:
    return {"answers": {"date": "2026-11-20", "action": action, "status": "À faire"}, "form_version": 1}


OLDER = {"steps": {"1": step("Appeler la Mission Locale")}}
NEWER = {"steps": {"1": step("Appeler la Mission Locale"), "2": step("Forum des métiers")}}


def framed(payload: bytes, generation: int = 5, schema: int = 1) -> bytes:
    """Slot bytes with a correct header and checksum around any payload."""
    header = {"format": "passport", "schema": schema, "generation": generation, "length": len(payload)}
    header["sha256"] = digest(schema, generation, payload)
    return json.dumps(header).encode() + b"\n" + payload


def corpus() -> dict[str, bytes]:
    """Damaged versions of the newest slot of a passport that has been used for a while."""
    good = encode(NEWER, generation=6)
    end = good.index(b"\n")
    rng = random.Random(7)
    offsets = sorted({1, 2, end - 1, end, end + 1, end + 2, len(good) - 1, *range(3, len(good), 23)})
    items = {f"truncated at {n}": good[:n] for n in offsets}
    flipped = bytearray(good)
    flipped[-5] ^= 0x01
    items |= {
        "empty": b"",
        "zero-filled": bytes(len(good)),
        "random bytes": rng.randbytes(len(good)),
        "random bytes, 4 KB": rng.randbytes(4096),
        "one bit flipped in the payload": bytes(flipped),
        "generation changed in the header": good.replace(b'"generation": 6', b'"generation": 7'),
        "a header and no newline": good[:end],
        "JSON, not a slot: a list": b"[]",
        "JSON, not a slot: a plain TinyDB file": json.dumps({"_default": {"1": {"a": 1}}}).encode(),
        "a good checksum around a list": framed(b"[1, 2, 3]"),
        "a good checksum around tables of lists": framed(b'{"steps": [1, 2]}'),
        "a good checksum around a named document": framed(b'{"steps": {"abc": {"a": 1}}}'),
        "a good checksum around invalid JSON": framed(b'{"steps": '),
        "a header line 5 KB long": b'{"format": "passport", "pad": "' + b"x" * 5000 + b'"}\n{}',
        "UTF-16 text": json.dumps(NEWER).encode("utf-16"),
    }
    return items


def write_slots(folder: Path, first: bytes | None, second: bytes | None) -> None:
    for name, data in zip(SLOT_NAMES, (first, second), strict=True):
        if data is not None:
            (folder / name).write_bytes(data)


def steps(store: Store) -> dict:
    with store.session() as db:
        return dict(db.storage.read())


def clear(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


def test_a_damaged_newest_slot_is_recovered_from_the_other(disk):
    older = encode(OLDER, generation=5)
    for name, damaged in corpus().items():
        clear(disk)
        write_slots(disk, older, damaged)
        with Store(disk) as store:
            assert steps(store) == OLDER, name
            assert not store.unreadable, name
            assert store.moved_aside == [], name
            with store.session() as db:
                db.table("steps").insert({"action": "Après la réparation"})
        with Store(disk) as store:
            assert len(steps(store)["steps"]) == 2, name


def test_when_no_slot_can_be_read_both_are_kept_aside_untouched_and_the_person_is_told(disk):
    for name, damaged in corpus().items():
        clear(disk)
        other = bytes(300)
        write_slots(disk, damaged, other)
        with Store(disk) as store:
            assert store.unreadable, name
            assert steps(store) == {}, name
            assert len(store.moved_aside) == 2, name
            kept = {aside: (disk / aside).read_bytes() for aside in store.moved_aside}
            assert all(ASIDE.fullmatch(aside) for aside in kept), kept.keys()
            assert sorted(kept.values()) == sorted([damaged, other]), name
            with store.session() as db:
                db.table("steps").insert({"action": "Nouveau départ"})
            assert {aside: (disk / aside).read_bytes() for aside in kept} == kept, f"{name}: written over"


def test_files_set_aside_twice_in_the_same_second_keep_both_copies(tmp_path):
    for round_ in range(2):
        write_slots(tmp_path, b"abime %d" % round_, b"abime aussi %d" % round_)
        with Store(tmp_path) as store:
            assert store.unreadable
    kept = sorted(path.read_bytes() for path in tmp_path.iterdir() if ASIDE.fullmatch(path.name))
    assert kept == [b"abime 0", b"abime 1", b"abime aussi 0", b"abime aussi 1"]


def test_a_first_save_cut_short_is_not_reported_as_data_lost(tmp_path):
    """Its header says generation 1 and there is no other slot: there was nothing to lose.
    (Cut before the header's generation, it cannot be told from damage, and is reported.)"""
    first = encode(OLDER, generation=1)
    for cut in (first.index(b"\n") + 10, first.index(b'"length"') + 3, 0):
        write_slots(tmp_path, first[:cut], None)
        with Store(tmp_path) as store:
            assert not store.unreadable, cut
            assert steps(store) == {}
    write_slots(tmp_path, first[:30], None)
    with Store(tmp_path) as store:
        assert store.unreadable


def test_a_damaged_key_on_a_write_protected_key_is_set_aside_before_the_first_save(tmp_path, monkeypatch):
    write_slots(tmp_path, b"junk one", b"junk two")

    def refuse(*_):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(store_module.OsFiles, "open_new", refuse)
    store = Store(tmp_path)
    assert store.unreadable
    assert store.moved_aside == []
    with pytest.raises(OSError), store.session() as db:
        db.table("steps").insert({"action": "refusé"})
    assert (tmp_path / SLOT_NAMES[0]).read_bytes() == b"junk one", "never written over"
    monkeypatch.undo()
    with store.session() as db:
        db.table("steps").insert({"action": "enregistré"})
    assert len(store.moved_aside) == 2
    assert sorted((tmp_path / aside).read_bytes() for aside in store.moved_aside) == [b"junk one", b"junk two"]


@pytest.fixture
def junk_size(disk, monkeypatch) -> int:
    """50 MB on the machine's disk; on the FAT32 key (6 s to write 50 MB through fusefat) the
    same path is taken with the size cap lowered to 1 MB and 2 MB of junk."""
    if "fatkey" not in str(disk):
        return 50 * 1024 * 1024
    monkeypatch.setattr(store_module, "MAX_SLOT_BYTES", 1024 * 1024)
    return 2 * 1024 * 1024


def test_junk_bigger_than_any_passport_is_not_read_into_memory(disk, junk_size):
    with (disk / SLOT_NAMES[1]).open("wb") as handle:
        for _ in range(junk_size // (1 << 20)):
            handle.write(random.randbytes(1 << 20))
    (disk / SLOT_NAMES[0]).write_bytes(encode(OLDER, generation=5))
    tracemalloc.start()
    with Store(disk) as store:
        assert steps(store) == OLDER
    (disk / SLOT_NAMES[0]).write_bytes(b"")
    with Store(disk) as store:  # now nothing is readable: the junk is set aside (renamed, not copied)
        assert store.unreadable
        assert len(store.moved_aside) == 2
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"{peak} bytes held while opening"
    [junk] = [p for p in disk.iterdir() if p.stat().st_size == junk_size]
    assert ASIDE.fullmatch(junk.name)


# Through the pages ---------------------------------------------------------------


def app_client(root: Path):
    app = create_app(KeyPaths(root), port=5000)
    app.config["TESTING"] = True
    app.test_client_class = Client
    return app.test_client()


def test_the_home_page_says_what_happened_and_what_to_do(tmp_path):
    data = tmp_path / "KEY" / "Data"
    data.mkdir(parents=True)
    write_slots(data, b"\x00" * 900, b"not a passport")
    page = html.unescape(app_client(tmp_path / "KEY").get("/").get_data(as_text=True))
    assert "Ton passeport n'a pas pu être lu" in page
    assert "Il n'a pas été effacé" in page
    assert "conseiller ou à ta conseillère" in page
    for aside in (path.name for path in data.iterdir() if ASIDE.fullmatch(path.name)):
        assert aside in page


def test_no_alarm_when_the_other_slot_had_everything(tmp_path):
    data = tmp_path / "KEY" / "Data"
    data.mkdir(parents=True)
    write_slots(data, encode(OLDER, generation=5), b"\x00" * 900)
    page = app_client(tmp_path / "KEY").get("/").get_data(as_text=True)
    assert "Appeler la Mission Locale" in page
    assert "pas pu être lu" not in page


def test_a_key_from_a_newer_passport_gets_a_page_asking_for_the_update_and_stays_untouched(tmp_path):
    data = tmp_path / "KEY" / "Data"
    data.mkdir(parents=True)
    write_slots(data, framed(b'{"nouveau": {}}', generation=8, schema=2), encode(OLDER, generation=7))
    before = {name: (data / name).read_bytes() for name in SLOT_NAMES}
    client = app_client(tmp_path / "KEY")
    for response in (client.get("/"), client.get("/demarches/"), client.post("/demarches/nouvelle", data={})):
        assert response.status_code == 409
        assert "Mets à jour ton passeport" in response.get_data(as_text=True)
        assert "Tes fiches sont toujours là" in response.get_data(as_text=True)
    assert client.get("/static/style.css").status_code == 200
    assert {name: (data / name).read_bytes() for name in SLOT_NAMES} == before
