"""Word documents for counsellors: the follow-up sheet, the intake sheet, or both.

The export replaces the paper liaison sheet (*fiche navette*), so it follows the
form definitions: every answered field appears under its section, and answers
to fields a newer form dropped appear under "Autres informations".
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.shared import Cm

from passport import dates
from passport.faults import as_key_error
from passport.forms import Field, Form
from passport.records import Entry, Passport
from passport.text import clean, slug

KINDS = {"suivi": "Fiche de suivi des démarches", "bilan": "Fiche bilan de l'accueil", "dossier": "Dossier"}
OTHER_ANSWERS = "Autres informations"


class ConsentMissing(Exception):
    """The intake sheet may only leave the key with the young person's consent."""


def render(passport: Passport, kind: str, intake_id: int | None = None) -> bytes:
    """Build the document of ``kind`` (suivi, bilan, dossier) and return its bytes."""
    intake = _intake_for_export(passport, kind, intake_id)
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
                handle = target.open("xb")
            except FileExistsError:
                continue
            try:
                with handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError:
                # A full key: never leave half a document that Word cannot open.
                with suppress(OSError):
                    target.unlink()
                raise
            return target
    except OSError as error:
        raise as_key_error(error, exports_dir, len(data)) from None
    raise FileExistsError(name)


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
    now = datetime.now(UTC).replace(microsecond=0)  # python-docx writes it with a Z
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
    age = dates.age_on(intake.get("birth_date"), dates.parse(intake.get("date")) or date.today())
    if age is not None and 16 <= age < 18:
        doc.add_paragraph(f"{age} ans : obligation de formation jusqu'à 18 ans.")
    _others(doc, form, intake.answers)


STEP_COLUMNS = (("date", "Date", 2.4), ("action", "Démarche", 5.6), ("status", "Où j'en suis", 2.4))
DETAILS = ("Détails", 6.6)


def _steps(doc: Any, passport: Passport) -> None:
    """One row per step: the core answers in columns, every other answer under Détails."""
    form = passport.forms.step
    doc.add_heading(form.title, level=1)
    steps = passport.steps()
    if not steps:
        doc.add_paragraph("Aucune démarche pour l'instant.")
        return
    labels = {f.key: f.label for f in form.fields()}
    details = [f for f in form.fields() if f.key not in {key for key, _, _ in STEP_COLUMNS}]
    table = doc.add_table(rows=1, cols=len(STEP_COLUMNS) + 1)
    table.style = "Table Grid"
    widths = [Cm(width) for _, _, width in STEP_COLUMNS] + [Cm(DETAILS[1])]
    headings = [labels.get(key, title) for key, title, _ in STEP_COLUMNS] + [DETAILS[0]]
    for step in [None, *steps]:
        cells = table.rows[0].cells if step is None else table.add_row().cells
        texts = headings if step is None else _step_row(passport, step, form, details)
        for cell, text, width in zip(cells, texts, widths, strict=True):
            cell.width = width
            cell.text = text


def _step_row(passport: Passport, step: Entry, form: Form, details: list[Field]) -> list[str]:
    fields = {f.key: f for f in form.fields()}
    columns = [_show(passport, fields[key], step.get(key, "")) for key, _, _ in STEP_COLUMNS]
    lines = [f"{f.label} : {_show(passport, f, step.get(f.key, ''))}" for f in details if _filled(step, f)]
    lines += [f"{key} : {_plain(value)}" for key, value in step.answers.items() if key not in fields and value]
    return [*columns, "\n".join(lines)]


def _filled(entry: Entry, spec: Field) -> bool:
    return spec.type == "yesno" or entry.get(spec.key, "") not in ("", [], None)


def _pairs(doc: Any, pairs: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in pairs:
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value or "—"


def _others(doc: Any, form: Form, answers: dict[str, Any], prefix: str = "") -> None:
    known = {f.key for f in form.fields()}
    extra = [(key, value) for key, value in answers.items() if key not in known and value not in ("", [], None)]
    if extra:
        doc.add_heading(prefix + OTHER_ANSWERS, level=3)
        _pairs(doc, [(key, _plain(value)) for key, value in extra])


def _answered(passport: Passport, fields: Iterable[Field], answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.label, _show(passport, f, answers.get(f.key, ""))) for f in fields]


def _show(passport: Passport, spec: Field, value: Any) -> str:
    """The answer as a counsellor should read it."""
    if spec.type == "date":
        return dates.french(value)
    if spec.type == "yesno":
        return "Oui" if value else "Non"
    if spec.type == "structure":
        return passport.structure_name(value) if value else ""
    if spec.type == "referrals":
        return _referrals(passport, value)
    return _plain(value)


def _referrals(passport: Passport, value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    names = [
        passport.structure_name(sid) + (" (principale)" if sid == value.get("main") else "")
        for sid in value.get("structures", [])
    ]
    return ", ".join(names)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(clean(str(v)) for v in value)
    return clean(str(value)) if value not in (None, "") else ""
