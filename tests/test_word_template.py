"""A structure's Word template: sandboxed, autoescaping, strict; full documents or a French refusal."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docxtpl import DocxTemplate

from passport import forms, keyform, wordtemplate
from passport.formfile import parse_structure
from passport.keyroot import KeyPaths
from passport.records import Entry

from form_support import CIO, EXAMPLES, FIELD_ROWS, GOOD, docx_text, full_template, start, template
from support import need

CIO_FORMS = parse_structure(CIO, "cio.toml", forms.load())
FIELDS = sum(1 for _ in CIO_FORMS.intake.fields())
AWKWARD = {
    **GOOD,
    "counsellor": "Mme Martin & M. <Durand>",
    "why": "Parce que A < B & C > D \x01\x0b\x1f fin",
    "solution": "R&D </w:t></w:r></w:p> <script>",
}
NAMES = {"cio": "CIO", "mission-locale": "Mission Locale", "cad": "CAD & Co <artisanat>"}


def exported(key: KeyPaths) -> Path:
    (path,) = key.exports.glob("bilan-*.docx")
    return path


def test_awkward_data_renders_the_full_document(key: KeyPaths):
    client = start(key, CIO, full_template(logo=True))
    assert client.post("/profil", data={"first_name": "Léa & <Zoé>"}).status_code == 302
    assert client.post("/bilans/nouveau", data=AWKWARD).status_code == 302
    response = client.post("/documents/bilan", follow_redirects=True)
    assert "Le modèle Word de ta structure n&#39;a pas pu être utilisé" not in response.get_data(as_text=True)
    doc = Document(io.BytesIO(exported(key).read_bytes()))
    fields, referrals = doc.tables
    assert len(fields.rows) == 1 + FIELDS  # every field of the structure's form, none vanished
    assert [row.cells[0].text for row in fields.rows[1:]] == [f.label for f in CIO_FORMS.intake.fields()]
    assert [[c.text for c in row.cells] for row in referrals.rows] == [
        ["Structure", "Principale"],
        ["Mission Locale", "oui"],
        ["CAD (Chambre de métiers)", "non"],
    ]
    text = docx_text(exported(key))
    assert "Pourquoi : Parce que A < B & C > D  fin" in text
    assert "R&D </w:t></w:r></w:p> <script>" in text and "Mme Martin & M. <Durand>" in text
    assert "Jeune : Léa & <Zoé>" in text
    header = doc.sections[0].header
    assert header.paragraphs[0].text.startswith("CIO — ")
    assert any("image" in rel.reltype for rel in header.part.rels.values())  # the logo is kept
    assert doc.core_properties.author == "CIO"  # set by the passport, not left from the template


def test_raw_control_characters_in_stored_data_are_cleaned_not_fatal():
    """Data that never went through the pages (an old file, an import) reaches the template as is."""
    answers = {f.key: "" for f in CIO_FORMS.intake.fields()}
    answers.update(why="a\x00b\x08c & <d>\ufffe", solution="x\x1b[31my")
    answers["referrals"] = {"structures": ["cad"], "main": "cad"}
    sheet = Entry(1, answers, 1, "")
    context = wordtemplate.context(CIO_FORMS, {"first_name": "L\x07éa"}, sheet, [], NAMES.get, date.today())
    doc = Document(io.BytesIO(wordtemplate.render(full_template(), context)))
    assert len(doc.tables[0].rows) == 1 + FIELDS
    assert "Pourquoi : abc & <d>" in [p.text for p in doc.paragraphs]
    assert "Jeune : Léa " in [p.text for p in doc.paragraphs]
    assert doc.tables[1].rows[1].cells[0].text == "CAD & Co <artisanat>"


def test_docxtpl_defaults_would_have_lost_the_table():
    """Why the hardening exists: the same template and data with docxtpl's own defaults."""
    sheet = Entry(1, {"why": "A & B", "solution": "<x>"}, 1, "")
    context = wordtemplate.context(CIO_FORMS, {}, sheet, [], NAMES.get, date.today())
    unsafe = DocxTemplate(io.BytesIO(template(tables=(FIELD_ROWS,), header="")))
    unsafe.render({**context, "bilan": vars(context["bilan"])})
    buffer = io.BytesIO()
    unsafe.save(buffer)
    rows = Document(io.BytesIO(buffer.getvalue())).tables
    assert not rows or len(rows[0].rows) < 1 + FIELDS
    safe = Document(io.BytesIO(wordtemplate.render(template(tables=(FIELD_ROWS,), header=""), context)))
    assert len(safe.tables[0].rows) == 1 + FIELDS


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        pytest.param(
            ("{{ bilan.why ", "{{ bilan.solution }}"), "une balise {{ }} ou {% %} est mal écrite", id="syntax"
        ),
        pytest.param(
            ("{{ bilan.pourquoi }}",),
            "le modèle utilise « pourquoi », qui n'existe pas. Vérifiez l'orthographe",
            id="unknown-variable",
        ),
        pytest.param(("{{ bilan.why.__class__.__mro__ }}",), "le modèle tente une opération interdite", id="sandbox"),
        pytest.param(("{{ bilan.why|safe }}",), "No filter named 'safe'", id="no-safe-filter"),
        pytest.param(
            ("{{ bilan.why }}", "{{ bilan.referrals }}", "{{ structure }}"),
            "le modèle n'affiche pas « Ce qu'on te propose » (bilan.solution) : ce champ du socle commun doit figurer",
            id="core-not-shown",
        ),
    ],
)
def test_each_template_mistake_is_refused_at_prepare_time(tmp_path: Path, paragraphs, expected):
    form, model = tmp_path / "cio.toml", tmp_path / "modele.docx"
    form.write_text(CIO, encoding="utf-8")
    model.write_bytes(template(paragraphs, tables=()))
    found = [str(p) for p in keyform.check(form, model)]
    assert found and all(p.startswith("modele.docx : ") for p in found)
    assert any(expected in p for p in found), found


def test_a_file_that_is_not_a_word_document_is_refused(tmp_path: Path):
    model = tmp_path / "modele.docx"
    model.write_bytes(b"PK\x03\x04 pas vraiment un zip")
    assert [str(p) for p in keyform.check(None, model)] == [
        "modele.docx : ce fichier n'est pas un document Word (.docx). Dans Word : Fichier > Enregistrer sous, "
        "« Document Word »."
    ]


def test_a_template_for_a_broken_form_is_not_checked_against_it(tmp_path: Path):
    form, model = tmp_path / "cio.toml", tmp_path / "modele.docx"
    form.write_text(CIO.replace("[intake]", "[intake"), encoding="utf-8")
    model.write_bytes(full_template())
    (problem,) = keyform.check(form, model)
    assert problem.file == "cio.toml"


def test_the_shipped_example_template_passes_with_the_cio_form():
    assert keyform.check(EXAMPLES / "formulaire-cio.toml", EXAMPLES / "modele-bilan-cio.docx") == []
    assert keyform.check(None, EXAMPLES / "modele-bilan-cio.docx") == []


def test_a_template_that_fails_on_the_key_falls_back_to_the_built_in_layout(key: KeyPaths):
    client = start(key, CIO, template(("{{ bilan.n_existe_pas }}",)))
    assert client.post("/bilans/nouveau", data=AWKWARD).status_code == 302
    page = client.post("/documents/bilan", follow_redirects=True).get_data(as_text=True)
    assert "Le modèle Word de ta structure n&#39;a pas pu être utilisé : le document a été fait avec la mise en" in page
    text = docx_text(exported(key))
    assert "Pourquoi cette proposition\nParce que A < B & C > D  fin" in text  # the built-in layout, complete


@pytest.mark.slow
def test_libreoffice_opens_a_template_export(key: KeyPaths, tmp_path: Path):
    need("soffice", "pdftotext")
    client = start(key, CIO, full_template(logo=True))
    client.post("/bilans/nouveau", data=AWKWARD)
    client.post("/documents/bilan")
    profile = tmp_path / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(exported(key))],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = next(tmp_path.glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    text = " ".join(text.split())  # table cells wrap lines
    for expected in ("Mme Martin & M. <Durand>", "R&D </w:t></w:r></w:p> <script>", "A < B & C > D fin"):
        assert expected in text
    assert "Ce qu'on te propose" in text and "Ton collège ou ton lycée" in text


def test_a_template_can_list_the_steps_and_name_fields_by_key(key: KeyPaths):
    steps = (
        ("Date", "Démarche"),
        ("{%tr for d in demarches %}", ""),
        ("{{ d.date }}", "{{ d.action }}"),
        ("{%tr endfor %}", ""),
    )
    paragraphs = (
        "{{ libelles.why }} : {{ bilan.why }}",
        "{{ structure }} {{ bilan.referrals }}",
        "{{ bilan.solution }}",
    )
    client = start(key, CIO, template(paragraphs, (steps,)))
    client.post(
        "/demarches/nouvelle", data={"date": "2026-11-02", "action": "Appeler le CAD & co", "status": "À faire"}
    )
    client.post("/demarches/nouvelle", data={"date": "2026-11-01", "action": "Écrire <CV>", "status": "Fait"})
    client.post("/bilans/nouveau", data=GOOD)
    assert client.post("/documents/bilan").status_code == 302
    doc = Document(io.BytesIO(exported(key).read_bytes()))
    assert [[c.text for c in row.cells] for row in doc.tables[0].rows] == [
        ["Date", "Démarche"],
        ["01/11/2026", "Écrire <CV>"],
        ["02/11/2026", "Appeler le CAD & co"],
    ]
    assert "Pourquoi cette proposition : Elle aime le <dessin> & la mode" in [p.text for p in doc.paragraphs]
