"""Encryption at rest, at the store: the phrase, the recovery code, a changed phrase, what is on disk."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from passport import phrase, vault
from passport.store import LOCKED, OPEN, PENDING, SLOT_NAMES, UNPROTECTED, Locked, Store

FIXTURES = Path(__file__).parent / "fixtures"
CODE = "7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV"
PHRASE = "lune cartable riviere soleil"
NEW_PHRASE = "girafe bouton orage cerise"
FAST = vault.PhraseKdf(ops=1, mem=8192)  # the format is the same; the default costs 0.35 s a try
SECRET_TEXT = "Léa a peur du médecin"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Phrases set during a test get the cheapest Argon2id too (the fixture keeps the real one)."""
    monkeypatch.setattr(vault, "DEFAULT_KDF", FAST)


def header(path: Path) -> dict:
    return json.loads(path.read_bytes().partition(b"\n")[0])


def protected_store(folder: Path) -> Store:
    store = Store(folder)
    with store.session() as db:
        db.table("steps").insert({"action": SECRET_TEXT})
    store.set_phrase(PHRASE, vault.recovery_setup(CODE), FAST)
    return store


def steps(store: Store) -> list[str]:
    with store.session() as db:
        return [doc["action"] for doc in db.table("steps").all()]


def test_a_protected_key_holds_no_clear_text_and_opens_locked(tmp_path):
    protected_store(tmp_path).close()
    for name in SLOT_NAMES:
        raw = (tmp_path / name).read_bytes()
        assert SECRET_TEXT.encode() not in raw and "médecin".encode("utf-16-le") not in raw
        assert header(tmp_path / name)["protection"]["state"] == "on", "both slots are encrypted"
    store = Store(tmp_path)
    assert store.protection == LOCKED
    with pytest.raises(Locked), store.session():
        pass
    store.unlock(PHRASE)
    assert store.protection == OPEN
    assert steps(store) == [SECRET_TEXT]


def test_the_wrong_phrase_is_refused_and_capitals_or_spaces_do_not_count(tmp_path):
    protected_store(tmp_path).close()
    store = Store(tmp_path)
    for wrong in ("", "lune cartable riviere", "lune cartable riviere soleils", CODE):
        with pytest.raises(vault.WrongSecret):
            store.unlock(wrong)
        assert store.protection == LOCKED
    store.unlock("  Lune  CARTABLE riviere soleil ")
    assert steps(store) == [SECRET_TEXT]


def test_the_recovery_code_opens_the_key_and_sets_a_new_phrase(tmp_path):
    protected_store(tmp_path).close()
    store = Store(tmp_path)
    with pytest.raises(vault.WrongSecret):
        store.recover("7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NW", NEW_PHRASE)  # one character off
    store.recover("7k3qf 9xm2d 4hj8w pbz6t rc5nv", NEW_PHRASE)  # typed loosely
    assert steps(store) == [SECRET_TEXT]
    store.close()
    again = Store(tmp_path)
    with pytest.raises(vault.WrongSecret):
        again.unlock(PHRASE)
    again.unlock(NEW_PHRASE)
    assert steps(again) == [SECRET_TEXT]
    again.close()
    # The code keeps working after a reset: the new data key is sealed for it too.
    third = Store(tmp_path)
    third.recover(CODE, PHRASE)
    assert steps(third) == [SECRET_TEXT]


def test_a_changed_phrase_works_and_the_old_one_does_not(tmp_path):
    store = protected_store(tmp_path)
    with pytest.raises(vault.WrongSecret):
        store.change_phrase("pas la bonne phrase du tout", NEW_PHRASE)
    store.change_phrase(PHRASE, NEW_PHRASE)
    store.close()
    # Neither slot may still open with the old phrase: each is tried on its own.
    for name in SLOT_NAMES:
        protection = header(tmp_path / name)["protection"]
        with pytest.raises(vault.WrongSecret):
            vault.Keys.unlock(protection, PHRASE)
        vault.Keys.unlock(protection, NEW_PHRASE)
    again = Store(tmp_path)
    with pytest.raises(vault.WrongSecret):
        again.unlock(PHRASE)
    again.unlock(NEW_PHRASE)
    assert steps(again) == [SECRET_TEXT]


def test_a_new_phrase_draws_a_new_data_key(tmp_path):
    """Someone who copied the key and learnt the old phrase cannot read what is written after."""
    store = protected_store(tmp_path)
    before = store._storage.keys
    store.change_phrase(PHRASE, NEW_PHRASE)
    assert store._storage.keys._key != before._key


def test_the_kdf_parameters_are_in_the_file_and_are_used_from_there(tmp_path):
    protected_store(tmp_path).close()
    wrap = header(tmp_path / SLOT_NAMES[0])["protection"]["phrase"]
    assert (wrap["kdf"], wrap["ops"], wrap["mem"]) == ("argon2id13", 1, 8192)
    assert vault.PhraseKdf() == vault.PhraseKdf(vault.PHRASE_OPS, vault.PHRASE_MEM)
    Store(tmp_path).unlock(PHRASE)  # opened with the file's parameters, not today's defaults


def test_a_payload_moved_under_another_header_is_not_accepted(tmp_path):
    """The header is associated data: a slot's encrypted payload cannot be replayed as a newer one."""
    protected_store(tmp_path).close()
    newest = max((tmp_path / name for name in SLOT_NAMES), key=lambda path: header(path)["generation"])
    head, _, payload = newest.read_bytes().partition(b"\n")
    fields = json.loads(head)
    fields["generation"] += 5
    from passport.store import digest

    fields["sha256"] = digest(fields["schema"], fields["generation"], payload, fields["protection"])
    newest.write_bytes(json.dumps(fields).encode() + b"\n" + payload)
    store = Store(tmp_path)
    store.unlock(PHRASE)  # the newest slot fails its authentication; the other one holds the state
    assert steps(store) == [SECRET_TEXT]


def test_a_prepared_key_asks_for_its_phrase_then_is_encrypted_everywhere(tmp_path):
    store = Store(tmp_path)
    with store.session() as db:
        db.table("profile").insert({"answers": {"first_name": "Léa"}})
    store.prepare_protection(CODE)
    assert store.protection == PENDING
    store.close()
    store = Store(tmp_path)
    assert store.protection == PENDING  # readable: what staff put there, nothing typed yet
    store.set_phrase(PHRASE, kdf=FAST)
    assert store.protection == OPEN
    for name in SLOT_NAMES:
        assert "Léa".encode() not in (tmp_path / name).read_bytes()
    store.close()
    again = Store(tmp_path)
    again.recover(CODE, NEW_PHRASE)  # sealed for the code given at prepare time
    with again.session() as db:
        assert db.table("profile").all()[0]["answers"]["first_name"] == "Léa"


def test_an_unprotected_key_says_so_and_cannot_be_locked(tmp_path):
    store = Store(tmp_path)
    assert store.protection == UNPROTECTED
    store.lock()
    assert store.protection == UNPROTECTED
    with pytest.raises(ValueError):
        store.set_phrase(PHRASE)  # no recovery code: staff protect keys when they prepare them


def test_lock_forgets_the_data_until_the_phrase_is_given_again(tmp_path):
    store = protected_store(tmp_path)
    store.lock()
    assert store.protection == LOCKED
    with pytest.raises(Locked), store.session():
        pass
    store.unlock(PHRASE)
    with store.session() as db:
        db.table("steps").insert({"action": "après"})
    assert steps(store) == [SECRET_TEXT, "après"]


def test_a_slot_left_under_the_old_phrase_is_written_over_at_the_next_opening(tmp_path):
    """A phrase change cut short after its first write: the old phrase still opens the older slot
    until the key is next opened with the new phrase."""
    store = protected_store(tmp_path)
    older = {name: (tmp_path / name).read_bytes() for name in SLOT_NAMES}
    store.change_phrase(PHRASE, NEW_PHRASE)
    store.close()
    newest = max(SLOT_NAMES, key=lambda name: header(tmp_path / name)["generation"])
    [other] = set(SLOT_NAMES) - {newest}
    (tmp_path / other).write_bytes(older[other])  # as if the second write never happened
    Store(tmp_path).unlock(NEW_PHRASE)
    for name in SLOT_NAMES:
        with pytest.raises(vault.WrongSecret):
            vault.Keys.unlock(header(tmp_path / name)["protection"], PHRASE)


def test_the_protected_fixture_of_schema_2_opens_with_its_phrase_and_its_code(tmp_path):
    shutil.copytree(FIXTURES / "schema-2-protected", tmp_path / "Data")
    store = Store(tmp_path / "Data")
    with pytest.raises(vault.WrongSecret):
        store.unlock("pas la phrase")
    store.unlock("fixture lune soleil riviere")
    with store.session() as db:
        assert db.table("profile").get(doc_id=1)["answers"]["first_name"] == "Léa"
    store.close()
    Store(tmp_path / "Data").recover(CODE, NEW_PHRASE)


def test_erase_writes_both_slots_over_and_wipes_the_damaged_copies(tmp_path):
    store = protected_store(tmp_path)
    aside = tmp_path / (SLOT_NAMES[0] + ".abime-20260101-000000")
    aside.write_bytes(b"old damaged copy " + SECRET_TEXT.encode())
    store.erase()
    assert not aside.exists()
    assert steps(store) == []
    assert store.protection == OPEN, "the phrase stays"
    store.close()
    again = Store(tmp_path)
    again.unlock(PHRASE)
    assert steps(again) == []


# The phrase rules --------------------------------------------------------------------


def test_proposed_phrases_are_four_listed_words_and_are_strong_enough():
    words = set(phrase.words())
    assert len(words) > 1500 and all(word.isascii() and word.isalpha() and word.islower() for word in words)
    proposals = {phrase.propose() for _ in range(50)}
    assert len(proposals) == 50
    for proposal in proposals:
        assert len(proposal.split()) == 4 and set(proposal.split()) <= words
        assert phrase.problem(proposal, proposal.upper()) is None


@pytest.mark.parametrize(
    ("new", "again", "expected"),
    [
        ("", "", phrase.EMPTY),
        ("lune cartable riviere soleil", "lune cartable riviere", phrase.NOT_THE_SAME),
        ("1234", "1234", phrase.TOO_WEAK),
        ("motdepasse", "motdepasse", phrase.TOO_WEAK),
        ("chat chat chat chat", "chat chat chat chat", phrase.TOO_WEAK),
        ("le la les de du", "le la les de du", phrase.TOO_WEAK),
        ("mon chien mange des croquettes", "mon chien mange des croquettes", None),
    ],
)
def test_a_phrase_of_one_s_own_needs_four_different_words(new, again, expected):
    assert phrase.problem(new, again) == expected


def test_recovery_codes_are_25_characters_easy_to_read_on_paper():
    codes = {vault.new_recovery_code() for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        groups = code.split("-")
        assert [len(group) for group in groups] == [5] * 5
        assert not set(code) & set("ILOU")
        assert vault.valid_code(code.lower().replace("-", " "))
    assert not vault.valid_code("7K3QF-9XM2D")
