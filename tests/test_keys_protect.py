"""build_key.py and protection: keys are protected unless the session says otherwise; the codes
are on the staff sheet and nowhere on the key; an update never needs the young person's phrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from passport import vault
from passport.keys import cli, layout, verify
from passport.keys.console import StaffError
from passport.keys.session import load
from passport.store import LOCKED, PENDING, UNPROTECTED, Store

from support import fake_build, roster_file, session_file

PHRASE = "lune cartable riviere soleil"


def prepare(tmp_path: Path, session: Path, *extra: str) -> list[Path]:
    into = tmp_path / "cles"
    roster = roster_file(tmp_path, ["Léa", "Zoé"])
    build = fake_build(tmp_path / "build")
    args = ["prepare", "--session", str(session), "--roster", str(roster), "--build", str(build), "--into", str(into)]
    assert cli.main([*args, *extra]) == 0
    return sorted(into.iterdir())


def sheet_rows(path: Path) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in Document(str(path)).tables[0].rows]


def test_without_a_sheet_given_protected_keys_still_get_theirs_next_to_the_session_file(tmp_path, capsys):
    session = session_file(tmp_path)
    keys = prepare(tmp_path, session)
    [sheet] = session.parent.glob("cles-*.docx")
    rows = sheet_rows(sheet)
    assert rows[0][5] == "Code de secours"
    codes = [row[5] for row in rows[1:]]
    assert all(vault.valid_code(code) for code in codes)
    assert "rangez-la sous clé" in capsys.readouterr().out
    for key, code in zip(keys, codes, strict=True):
        everything = b"".join(full.read_bytes() for _, full in layout.walk(key))
        assert code.encode() not in everything and code.replace("-", "").encode() not in everything
        assert Store(key / layout.DATA).protection == PENDING
        assert verify.check(key).ok


def test_a_session_can_ask_for_unprotected_keys_and_their_pages_say_so(tmp_path):
    session = session_file(tmp_path)
    session.write_text(session.read_text() + '\n[protection]\nmode = "aucune"\n')
    sheet = tmp_path / "fiche.docx"
    keys = prepare(tmp_path, session, "--sheet", str(sheet))
    assert [row[5] for row in sheet_rows(sheet)[1:]] == ["—", "—"]
    assert "ne sont pas protégées" in "\n".join(p.text for p in Document(str(sheet)).paragraphs)
    assert Store(keys[0] / layout.DATA).protection == UNPROTECTED
    assert not list(tmp_path.glob("cles-*.docx"))


def test_an_unknown_protection_mode_is_refused_in_french(tmp_path):
    session = session_file(tmp_path)
    session.write_text(session.read_text() + '\n[protection]\nmode = "non"\n')
    with pytest.raises(StaffError, match="« phrase »"):
        load(session)


def test_an_update_of_an_encrypted_key_needs_no_phrase_and_keeps_the_data(tmp_path):
    [key, _] = prepare(tmp_path, session_file(tmp_path), "--sheet", str(tmp_path / "fiche.docx"))
    with Store(key / layout.DATA) as store:
        store.set_phrase(PHRASE, kdf=vault.PhraseKdf(1, 8192))
        with store.session() as db:
            db.table("steps").insert({"answers": {"action": "Appeler le CIO"}})
    before = {path: full.read_bytes() for path, full in layout.walk(key, layout.DATA)}
    build = fake_build(tmp_path / "new-build", seed=2)
    assert cli.main(["update", "--target", str(key), "--build", str(build), "--yes"]) == 0
    assert {path: full.read_bytes() for path, full in layout.walk(key, layout.DATA)} == before
    store = Store(key / layout.DATA)
    assert store.protection == LOCKED
    store.unlock(PHRASE)
    with store.session() as db:
        assert db.table("steps").all()[0]["answers"]["action"] == "Appeler le CIO"
