"""Word documents for counsellors: the follow-up sheet, the intake sheet, or both.

The export replaces the paper liaison sheet (*fiche navette*), so it follows the
form definitions: every answered field appears under its section, and answers
to fields a newer form dropped appear under "Autres informations".
"""

from __future__ import annotations

import io
import os
from contextlib import suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm

from passport import dates, wordtemplate
from passport.display import shown, training_duty
from passport.faults import as_key_error
from passport.forms import Field, Form
from passport.records import Entry, Passport, other_answers
from passport.text import clean, slug

KINDS = {"suivi": "Fiche de suivi des démarches", "bilan": "Fiche bilan de l'accueil", "dossier": "Dossier"}
OTHER_ANSWERS = "Autres informations"
STEP_COLUMNS = (("date", Cm(2.8)), ("action", Cm(5.4)), ("status", Cm(2.4)))
DETAILS = ("Détails", Cm(6.0))
PAIR_WIDTHS = (Cm(5.6), Cm(11))


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
    sheet = _Sheet(passport)
    sheet.front(kind, intake)
    if intake is not None:
        sheet.intake(intake)
    if kind in ("suivi", "dossier"):
        sheet.steps()
    buffer = io.BytesIO()
    sheet.doc.save(buffer)
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


def _from_template(passport: Passport, intake: Entry, template: bytes) -> bytes:
    names = {s.id: s.name for s in passport.directory()}
    profile = passport.profile()
    context = wordtemplate.context(
        passport.forms, profile, intake, passport.steps(), lambda sid: names.get(sid, sid), date.today()
    )
    structure = names.get(intake.get("structure"), "")
    return wordtemplate.render(
        template, context, lambda doc: _properties(doc, "bilan", profile.get("first_name", ""), structure)
    )


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


class _Sheet:
    """One document being written; structure names are looked up once, not per cell."""

    def __init__(self, passport: Passport) -> None:
        self.passport = passport
        self.doc = Document()
        self.names = {s.id: s.name for s in passport.directory()}
        self.profile = passport.profile()

    def front(self, kind: str, intake: Entry | None) -> None:
        """Properties, page header, title and the young person's profile."""
        structure_id = (intake.get("structure") if intake else "") or self.profile.get("referent_structure", "")
        structure = self.names.get(structure_id, "")
        _properties(self.doc, kind, self.profile.get("first_name", ""), structure)
        header = f"Passeport — {structure}" if structure else "Passeport"
        self.doc.sections[0].header.paragraphs[0].text = f"{header} — exporté le {date.today():%d/%m/%Y}"
        self.doc.add_heading(KINDS[kind], level=0)
        profile = self.passport.forms.profile
        self.doc.add_heading(profile.title, level=1)
        self._pairs([(f.label, self.show(f, self.profile.get(f.key, ""))) for f in profile.fields()])

    def intake(self, intake: Entry) -> None:
        form = self.passport.forms.intake
        self.doc.add_heading(f"{form.title} du {dates.french(intake.get('date'))}", level=1)
        for section in form.sections:
            self.doc.add_heading(section.title, level=2)
            self._pairs([(f.label, self.show(f, intake.get(f.key, ""))) for f in section.fields])
        duty = training_duty(intake.get("birth_date"), intake.get("date"))
        if duty:
            self.doc.add_paragraph(duty)
        extra = self._others(form, intake)
        if extra:
            self.doc.add_heading(OTHER_ANSWERS, level=3)
            self._pairs(extra)

    def steps(self) -> None:
        """One row per step: the core answers in columns, every other answer under Détails."""
        form = self.passport.forms.step
        self.doc.add_heading(form.title, level=1)
        steps = self.passport.steps()
        if not steps:
            self.doc.add_paragraph("Aucune démarche pour l'instant.")
            return
        fields = {f.key: f for f in form.fields()}
        heading = [fields[key].label for key, _ in STEP_COLUMNS] + [DETAILS[0]]
        rows = [heading] + [self._step_row(form, step) for step in steps]
        self._table(rows, [width for _, width in STEP_COLUMNS] + [DETAILS[1]])

    def _step_row(self, form: Form, step: Entry) -> list[str]:
        fields = {f.key: f for f in form.fields()}
        columns = [self.show(fields[key], step.get(key, "")) for key, _ in STEP_COLUMNS]
        core = {key for key, _ in STEP_COLUMNS}
        details = [
            f"{f.label} : {self.show(f, step.get(f.key, ''))}"
            for f in form.fields()
            if f.key not in core and step.get(f.key, "") not in ("", [], None, False)
        ]
        details += [f"{label} : {value}" for label, value in self._others(form, step)]
        return [*columns, "\n".join(details)]

    def _pairs(self, pairs: list[tuple[str, str]]) -> None:
        self._table([[label, value or "—"] for label, value in pairs], list(PAIR_WIDTHS))

    def _table(self, rows: list[list[str]], widths: list[Any]) -> None:
        """Append a bordered table, its rows written as one XML fragment.

        python-docx's cell API costs ~1 ms a cell (a 500-step sheet took over a
        second); the text is XML-escaped here and already free of invalid characters.
        """
        table = self.doc.add_table(rows=0, cols=len(widths))
        table.style = "Table Grid"
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        xml = "".join("<w:tr>" + "".join(map(_cell, row, widths)) + "</w:tr>" for row in rows)
        for row in parse_xml(f"<w:tbl {nsdecls('w')}>{xml}</w:tbl>"):
            table._tbl.append(row)

    def show(self, spec: Field, value: Any) -> str:
        """The answer as a counsellor should read it."""
        return shown(spec.type, value, self._name)

    def _name(self, structure_id: str) -> str:
        return self.names.get(structure_id, structure_id)

    def _others(self, form: Form, entry: Entry) -> list[tuple[str, str]]:
        """Answers to fields the current form dropped, under the label they were given."""
        return [(clean(old.label), shown(old.type, old.value, self._name)) for old in other_answers(entry, form)]


def _cell(text: str, width: Any) -> str:
    lines = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n"))
    return f'<w:tc><w:tcPr><w:tcW w:w="{width.twips}" w:type="dxa"/></w:tcPr><w:p><w:r>{lines}</w:r></w:p></w:tc>'


def _properties(doc: Any, kind: str, first_name: str, structure: str) -> None:
    # python-docx's defaults say "python-docx" and 2013; it writes times with a Z.
    props = doc.core_properties
    now = datetime.now(UTC).replace(microsecond=0)
    props.title = f"{KINDS[kind]} — {first_name}".strip(" —")
    props.author = props.last_modified_by = structure or "Passeport"
    props.created = props.modified = now
    props.revision = 1
    props.language = "fr-FR"
    props.comments = ""
