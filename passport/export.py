"""Word documents for counsellors: the follow-up sheet, the intake sheet, or both.

The export replaces the paper liaison sheet (*fiche navette*), so it follows the
form definitions: every answered field appears under its section, and answers
to fields a newer form dropped appear under "Autres informations".
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from passport import dates, wordtemplate
from passport.display import shown, training_duty
from passport.faults import as_key_error
from passport.forms import Field, Form
from passport.records import Entry, Passport, other_answers
from passport.text import clean, slug

KINDS = {"suivi": "Fiche de suivi des démarches", "bilan": "Fiche bilan de l'accueil", "dossier": "Dossier"}
OTHER_ANSWERS = "Autres informations"


class ConsentMissing(Exception):
    """The intake sheet may only leave the key with the young person's consent."""


def render(passport: Passport, kind: str, intake_id: int | None = None, template: bytes | None = None) -> bytes:
    """Build the document of ``kind`` (suivi, bilan, dossier) and return its bytes.

    ``template`` is a structure's own .docx layout for the intake sheet (``bilan``);
    it raises ``wordtemplate.TemplateFailed`` when it cannot give the full document.
    """
    intake = _intake_for_export(passport, kind, intake_id)
    if template is not None and kind == "bilan" and intake is not None:
        return _from_template(passport, intake, template)
    doc = Document()
    _set_properties(doc, passport, kind, intake)
    _header(doc, passport, intake)
    doc.add_heading(KINDS[kind], level=0)
    _person(doc, passport)
    if intake is not None:
        _intake(doc, passport, intake)
    if kind in ("suivi", "dossier"):
        _steps(doc, passport)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def file_name(passport: Passport, kind: str, day: date) -> str:
    """``suivi-lea-2026-11-29.docx``: ASCII only, never a reserved Windows name."""
    first_name = passport.profile().get("first_name", "")
    return f"{kind}-{slug(first_name, 'passeport')}-{day.isoformat()}.docx"


def save_copy(exports_dir: Path, name: str, data: bytes) -> Path:
    """Write the document into ``Exports/`` without replacing an earlier one."""
    stem, suffix = name.rsplit(".", 1)
    try:
        exports_dir.mkdir(parents=True, exist_ok=True)
        for number in range(1, 1000):
            target = exports_dir / (name if number == 1 else f"{stem}-{number}.{suffix}")
            try:
                with target.open("xb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                return target
            except FileExistsError:
                continue
    except OSError as error:
        raise as_key_error(error) from None
    raise FileExistsError(name)


def _from_template(passport: Passport, intake: Entry, template: bytes) -> bytes:
    context = wordtemplate.context(
        passport.forms, passport.profile(), intake, passport.steps(), passport.structure_name, date.today()
    )
    return wordtemplate.render(template, context, lambda doc: _set_properties(doc, passport, "bilan", intake))


def _intake_for_export(passport: Passport, kind: str, intake_id: int | None) -> Entry | None:
    if kind == "suivi":
        return None
    intakes = passport.intakes()
    intake = passport.intake(intake_id) if intake_id else (intakes[0] if intakes else None)
    if intake is None and kind == "bilan":
        raise LookupError("no intake sheet")
    if intake is not None and not intake.get("consent"):
        raise ConsentMissing
    return intake


def _set_properties(doc: Any, passport: Passport, kind: str, intake: Entry | None) -> None:
    props = doc.core_properties
    now = datetime.now().replace(microsecond=0)
    props.title = f"{KINDS[kind]} — {passport.profile().get('first_name', '')}".strip(" —")
    props.author = _structure(passport, intake) or "Passeport"
    props.last_modified_by = props.author
    props.created = now
    props.modified = now
    props.revision = 1
    props.language = "fr-FR"
    props.comments = ""


def _structure(passport: Passport, intake: Entry | None) -> str:
    structure_id = (intake.get("structure") if intake else "") or passport.profile().get("referent_structure", "")
    return passport.structure_name(structure_id) if structure_id else ""


def _header(doc: Any, passport: Passport, intake: Entry | None) -> None:
    structure = _structure(passport, intake)
    text = f"Passeport — {structure}" if structure else "Passeport"
    doc.sections[0].header.paragraphs[0].text = f"{text} — exporté le {date.today():%d/%m/%Y}"


def _person(doc: Any, passport: Passport) -> None:
    doc.add_heading(passport.forms.profile.title, level=1)
    _pairs(doc, _answered(passport, passport.forms.profile.fields(), passport.profile()))


def _intake(doc: Any, passport: Passport, intake: Entry) -> None:
    form = passport.forms.intake
    doc.add_heading(f"{form.title} du {dates.french(intake.get('date'))}", level=1)
    for section in form.sections:
        doc.add_heading(section.title, level=2)
        _pairs(doc, [(f.label, _show(passport, f, intake.get(f.key, ""))) for f in section.fields])
    duty = training_duty(intake.get("birth_date"), intake.get("date"))
    if duty:
        doc.add_paragraph(duty)
    _others(doc, passport, form, intake)


def _steps(doc: Any, passport: Passport) -> None:
    form = passport.forms.step
    landscape = doc.add_section()
    landscape.orientation = WD_ORIENT.LANDSCAPE
    landscape.page_width, landscape.page_height = landscape.page_height, landscape.page_width
    doc.add_heading(form.title, level=1)
    steps = passport.steps()
    if not steps:
        doc.add_paragraph("Aucune démarche pour l'instant.")
        return
    fields = list(form.fields())
    table = doc.add_table(rows=1, cols=len(fields))
    table.style = "Table Grid"
    for cell, spec in zip(table.rows[0].cells, fields, strict=True):
        cell.text = spec.label
    for step in steps:
        for cell, spec in zip(table.add_row().cells, fields, strict=True):
            cell.text = _show(passport, spec, step.get(spec.key, ""))
    _shrink(table.rows)
    for step in steps:
        _others(doc, passport, form, step, f"Démarche du {dates.french(step.get('date'))} : ")


def _shrink(rows: Iterable[Any]) -> None:
    for row in rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)


def _pairs(doc: Any, pairs: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in pairs:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value or "—"


def _others(doc: Any, passport: Passport, form: Form, entry: Entry, prefix: str = "") -> None:
    """Answers to fields the current form dropped, under the label they were given."""
    extra = other_answers(entry, form)
    if extra:
        doc.add_heading(prefix + OTHER_ANSWERS, level=3)
        _pairs(doc, [(clean(old.label), shown(old.type, old.value, passport.structure_name)) for old in extra])


def _answered(passport: Passport, fields: Iterable[Field], answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.label, _show(passport, f, answers.get(f.key, ""))) for f in fields]


def _show(passport: Passport, spec: Field, value: Any) -> str:
    """The answer as a counsellor should read it."""
    return shown(spec.type, value, passport.structure_name)
