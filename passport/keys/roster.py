"""The roster: one row per key, a first name and an optional label, as staff save it from Excel.

Excel writes CSV with ``;`` in France, in UTF-8 (with a BOM) or in the old
Windows code page. The old code page is only accepted when every character
that comes out is one French names use; anything else is reported with its
line number rather than turned into a wrong name on a young person's key.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from passport import forms
from passport.keys.console import StaffError
from passport.text import clean

DELIMITERS = (";", "\t", ",")
FIRST_NAME_HEADERS = {"prenom", "prenoms", "first name", "firstname"}
LABEL_HEADERS = {"etiquette", "label", "cle", "numero", "n", "no", "num"}
MAX_ROWS = 500
# Characters outside ASCII that French first names and Excel's typography produce.
_FRENCH = set("àâäáãåçéèêëíìîïñóòôöõúùûüýÿæœÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸÆŒ’‘“”«»–—…\u00a0")
EXCEL_HINT = "Dans Excel : Fichier > Enregistrer sous > « CSV UTF-8 (délimité par des virgules) »."


@dataclass(frozen=True)
class Person:
    first_name: str
    label: str = ""
    line: int = 0


def numbered(count: int) -> list[Person]:
    """``--count N``: keys without a first name; the young person writes it on first use."""
    if not 1 <= count <= MAX_ROWS:
        raise StaffError(f"--count doit être entre 1 et {MAX_ROWS}.")
    return [Person("") for _ in range(count)]


def read(path: Path) -> list[Person]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise StaffError(f"Liste introuvable : {path}") from None
    rows = _rows(path.name, decode(path.name, raw))
    people = _people(path.name, rows) if rows else []
    if not people:
        raise StaffError(f"{path.name} : la liste ne contient aucun prénom.")
    if len(people) > MAX_ROWS:
        raise StaffError(f"{path.name} : {len(people)} lignes, {MAX_ROWS} au plus par préparation.")
    _no_duplicate_labels(path.name, people)
    return people


def decode(name: str, raw: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM (Excel's « Texte Unicode »), or cp1252 when it is safe."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = raw.count(b"\n", 0, error.start) + 1
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    strange = [c for c in text if ord(c) > 127 and c not in _FRENCH]
    if text and not strange:
        return text
    raise StaffError(f"{name} ligne {bad_line} : caractères illisibles (le fichier n'est pas en UTF-8). {EXCEL_HINT}")


def _rows(name: str, text: str) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = next((d for d in DELIMITERS if d in first), ";")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error:
        raise StaffError(
            f"{name} ligne {start} : ligne mal formée, un guillemet (\") n'est pas refermé ou est mal placé."
        ) from None
    return rows


def _people(name: str, rows: list[tuple[int, list[str]]]) -> list[Person]:
    head = rows[0][1]
    names = [_plain(cell) for cell in head]
    if any(n in FIRST_NAME_HEADERS for n in names):
        first_col = next(i for i, n in enumerate(names) if n in FIRST_NAME_HEADERS)
        label_col = next((i for i, n in enumerate(names) if n in LABEL_HEADERS), None)
        width, body = len(head), rows[1:]
    else:
        first_col, label_col, width, body = 0, 1, 2, rows
    people = []
    for line, cells in body:
        if len(cells) > width:
            raise StaffError(
                f"{name} ligne {line} : {len(cells)} colonnes au lieu de {width} au plus. "
                "Un prénom contient-il le séparateur (« ; » ou « , ») ? Sinon, vérifiez le séparateur du fichier."
            )
        first_name = clean(cells[first_col]) if first_col < len(cells) else ""
        label = clean(cells[label_col]) if label_col is not None and label_col < len(cells) else ""
        if not first_name:
            raise StaffError(f"{name} ligne {line} : le prénom est vide.")
        if "\n" in first_name + label:
            raise StaffError(f"{name} ligne {line} : une case tient sur plusieurs lignes (guillemets mal placés ?).")
        for what, value in (("le prénom", first_name), ("l'étiquette", label)):
            if len(value) > forms.MAX_LENGTH["text"]:
                raise StaffError(f"{name} ligne {line} : {what} est trop long.")
        people.append(Person(first_name, label, line))
    return people


def _no_duplicate_labels(name: str, people: list[Person]) -> None:
    seen: dict[str, int] = {}
    for person in people:
        if person.label and person.label.casefold() in seen:
            first = seen[person.label.casefold()]
            raise StaffError(f"{name} ligne {person.line} : l'étiquette « {person.label} » est déjà ligne {first}.")
        seen[person.label.casefold()] = person.line


def _plain(cell: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", cell).encode("ascii", "ignore").decode()
    return ascii_text.strip().casefold()
