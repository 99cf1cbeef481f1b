"""Word exports read back with python-docx: every answer, in its section, safely."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from passport import export
from passport.forms import Form

from support import raw_answers


def read(data: bytes):
    return Document(io.BytesIO(data))


def sections(doc) -> dict[str, list[list[str]]]:
    """Rows of every table, grouped under the nearest heading above it."""
    grouped: dict[str, list[list[str]]] = {}
    heading = ""
    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph) and block.style.name.startswith(("Heading", "Title")):
            heading = block.text
        elif isinstance(block, Table):
            grouped.setdefault(heading, []).extend([cell.text for cell in row.cells] for row in block.rows)
    return grouped


def fill(passport, text: str) -> int:
    forms = passport.forms
    passport.save_profile(raw_answers(forms.profile, text))
    passport.save_step(raw_answers(forms.step, text))
    passport.save_step({**raw_answers(forms.step, text + " bis"), "date": ["2026-11-01"]})
    return passport.save_intake(raw_answers(forms.intake, text))


def expected(passport, form: Form, text: str) -> dict[str, str]:
    """What each field should read as in the document."""
    shown = {"date": "29/11/2026", "yesno": "Oui", "structure": "CAD (Chambre de métiers)"}
    values = {}
    for spec in form.fields():
        if spec.type in ("text", "longtext"):
            values[spec.label] = f"{text} {spec.key}"
        elif spec.type == "date":
            values[spec.label] = "14/03/2009" if spec.key == "birth_date" else shown["date"]
        elif spec.type == "choice":
            values[spec.label] = spec.choices[-1]
        elif spec.type == "multichoice":
            values[spec.label] = ", ".join(spec.choices[:2])
        elif spec.type == "referrals":
            values[spec.label] = "CAD (Chambre de métiers), Mission Locale (principale)"
        else:
            values[spec.label] = shown[spec.type]
    return values


def test_every_intake_and_profile_answer_is_in_its_section(passport):
    fill(passport, "Valeur")
    grouped = sections(read(export.render(passport, "dossier")))
    for section in passport.forms.intake.sections:
        rows = dict(grouped[section.title])
        want = expected(passport, passport.forms.intake, "Valeur")
        assert {f.label: rows[f.label] for f in section.fields} == {f.label: want[f.label] for f in section.fields}
    assert dict(grouped["Mon profil"]) == expected(passport, passport.forms.profile, "Valeur")


def test_every_step_answer_is_in_the_steps_table_oldest_first(passport):
    fill(passport, "Valeur")
    rows = sections(read(export.render(passport, "suivi")))["Fiche de suivi des démarches"]
    header, first, second = rows
    assert header == ["Date", "Ce que j'ai fait ou ce que je vais faire", "Où j'en suis", "Détails"]
    assert first[0] == "01/11/2026"
    want = expected(passport, passport.forms.step, "Valeur")
    date, action, status, details = second
    assert (date, action, status) == (want["Date"], want[header[1]], want["Où j'en suis"])
    shown = dict(line.split(" : ", 1) for line in details.split("\n"))
    assert shown == {label: value for label, value in want.items() if label not in header}


def test_the_follow_up_sheet_does_not_carry_the_intake(passport):
    fill(passport, "Valeur")
    grouped = sections(read(export.render(passport, "suivi")))
    assert "La solution" not in grouped


def test_hostile_and_odd_text_is_exported_safely(passport):
    start = "a\x00b\x0bc 😀 <script>alert(1)</script> & { DATE } "
    long_text = start + "x" * (10_000 - len(start))
    passport.save_profile({"first_name": ["Léa"]})
    passport.save_step(
        {"date": ["2026-11-29"], "action": ["<b>gras</b> & 😀"], "status": ["Fait"], "result": [long_text]}
    )
    doc = read(export.render(passport, "suivi"))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    assert f"Réponse ou résultat : {long_text.replace(chr(0), '').replace(chr(11), '')}" in cells[-1].split("\n")
    assert "<b>gras</b> & 😀" in cells


def test_intake_export_requires_consent(passport):
    sheet = passport.save_intake({"date": ["2026-11-29"], "structure": ["cio"], "first_name": ["Léa"]})
    for kind in ("bilan", "dossier"):
        with pytest.raises(export.ConsentMissing):
            export.render(passport, kind, sheet)


def test_header_properties_and_file_name(passport):
    fill(passport, "Valeur")
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    doc = read(export.render(passport, "bilan"))
    props = doc.core_properties
    assert props.title == "Fiche bilan de l'accueil — Valeur first_name"
    assert props.author == "CAD (Chambre de métiers)"
    assert props.created >= before
    assert doc.sections[0].header.paragraphs[0].text.startswith("Passeport — CAD (Chambre de métiers) — exporté le ")
    assert "Fiche bilan de l'accueil du 29/11/2026" in [p.text for p in doc.paragraphs]
    name = export.file_name(passport, "bilan", date(2026, 11, 29))
    assert name == "bilan-valeur-first-name-2026-11-29.docx"


def test_a_minor_of_sixteen_is_flagged_for_the_training_obligation(passport):
    fill(passport, "Valeur")
    text = [p.text for p in read(export.render(passport, "bilan")).paragraphs]
    assert "17 ans : obligation de formation jusqu'à 18 ans." in text


def test_copies_in_exports_never_replace_an_earlier_one(tmp_path):
    first = export.save_copy(tmp_path, "suivi-lea-2026-11-29.docx", b"un")
    second = export.save_copy(tmp_path, "suivi-lea-2026-11-29.docx", b"deux")
    assert (first.read_bytes(), second.name) == (b"un", "suivi-lea-2026-11-29-2.docx")
