"""The roster as Excel and other tools save it, and the messages staff get when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from passport.keys import roster
from passport.keys.console import StaffError


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "jeunes.csv"
    path.write_bytes(data)
    return path


def names(path: Path) -> list[tuple[str, str]]:
    return [(person.first_name, person.label) for person in roster.read(path)]


def refused(path: Path) -> str:
    with pytest.raises(StaffError) as caught:
        roster.read(path)
    return str(caught.value)


def test_excel_csv_utf8_with_bom_semicolons_and_a_header(tmp_path):
    path = write(tmp_path, "\ufeffPrénom;Étiquette\r\nLéa;B01\r\nMaël;B02\r\n".encode())
    assert names(path) == [("Léa", "B01"), ("Maël", "B02")]


def test_the_old_windows_code_page_is_read_when_it_only_holds_french_letters(tmp_path):
    path = write(tmp_path, "prénom;étiquette\r\nHéloïse;1\r\nFrançois;2\r\nŒlla;3\r\n".encode("cp1252"))
    assert names(path) == [("Héloïse", "1"), ("François", "2"), ("Œlla", "3")]


def test_bytes_that_are_neither_utf8_nor_french_cp1252_are_refused_with_their_line(tmp_path):
    path = write(tmp_path, "prénom\nLéa\nInès\n".encode() + "Saïd\n".encode("cp1252") + "山田\n".encode("shift_jis"))
    message = refused(path)
    assert "ligne 4" in message
    assert "UTF-8" in message


def test_utf16_from_excel_unicode_text_with_tabs(tmp_path):
    path = write(tmp_path, "prénom\tétiquette\r\nZoé\tA\r\n".encode("utf-16"))
    assert names(path) == [("Zoé", "A")]


def test_no_header_one_or_two_columns_comma_separated(tmp_path):
    path = write(tmp_path, b"Noe,7\nInes\n\n")
    assert names(path) == [("Noe", "7"), ("Ines", "")]


def test_header_in_any_order_with_other_columns(tmp_path):
    path = write(tmp_path, "classe;étiquette;prénom\n2nde;K1;Jérémy\n".encode())
    assert names(path) == [("Jérémy", "K1")]


def test_too_many_columns_point_to_the_separator_and_the_line(tmp_path):
    path = write(tmp_path, "prénom;étiquette\nLéa;1\nAnne;Marie;2\n".encode())
    message = refused(path)
    assert "ligne 3" in message
    assert "3 colonnes au lieu de 2" in message
    assert "séparateur" in message


def test_an_empty_first_name_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "prénom;étiquette\nLéa;1\n;2\n".encode())
    assert "ligne 3 : le prénom est vide" in refused(path)


def test_a_label_used_twice_is_refused(tmp_path):
    path = write(tmp_path, "prénom;étiquette\nLéa;A1\nNoé;a1\n".encode())
    assert "ligne 3 : l'étiquette « a1 » est déjà ligne 2" in refused(path)


def test_misplaced_quotes_are_reported_with_their_line(tmp_path):
    assert "ligne 3 : ligne mal formée, un guillemet" in refused(write(tmp_path, b'prenom\nLea\n"Noe\n'))
    assert "ligne 2 : une case tient sur plusieurs lignes" in refused(write(tmp_path, b'prenom\n"Lea\nNoe"\n'))


def test_a_header_alone_or_an_empty_file_is_refused(tmp_path):
    assert "aucun prénom" in refused(write(tmp_path, "prénom;étiquette\n".encode()))
    assert "aucun prénom" in refused(write(tmp_path, b""))


def test_control_characters_are_removed_from_names(tmp_path):
    path = write(tmp_path, "L\x07éa;1\n".encode())
    assert names(path) == [("Léa", "1")]


def test_count_makes_keys_without_a_first_name():
    assert [person.first_name for person in roster.numbered(3)] == ["", "", ""]
    with pytest.raises(StaffError):
        roster.numbered(0)
