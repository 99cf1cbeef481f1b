"""The Word sheet listing the keys of a session (label, first name), for the staff's file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from docx import Document

from passport import dates
from passport.keys.batch import Outcome
from passport.keys.console import StaffError
from passport.keys.roster import Person
from passport.keys.session import Session


def write(path: Path, session: Session, keys: Sequence[tuple[Person, Outcome]]) -> None:
    doc = Document()
    props = doc.core_properties
    now = datetime.now().replace(microsecond=0)
    props.title = f"Clés préparées — {session.name}"
    props.author = props.last_modified_by = "Passeport"
    props.created = props.modified = now
    props.language = "fr-FR"
    props.comments = ""
    doc.add_heading("Clés préparées", level=0)
    doc.add_paragraph(f"{session.name} — {dates.french(session.day)}")
    doc.add_paragraph(f"Conseiller ou conseillère : {session.counsellor}")
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, ("N°", "Étiquette", "Prénom", "Clé", "État"), strict=True):
        cell.text = title
    for number, (person, outcome) in enumerate(keys, 1):
        values = (str(number), person.label, person.first_name, outcome.key, outcome.status)
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    doc.add_paragraph(
        f"Préparée le {now:%d/%m/%Y à %H:%M}. Ce document contient des prénoms : rangez-le comme un dossier de suivi."
    )
    try:
        doc.save(str(path))
    except OSError as error:
        raise StaffError(f"Impossible d'écrire la fiche Word {path} : {error.strerror}") from None
