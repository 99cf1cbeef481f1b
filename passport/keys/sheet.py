"""The Word sheet listing the keys of a session (label, first name, recovery code), for the staff's file.

The recovery code of a protected key is written here and nowhere else: it is what
lets a counsellor reset a forgotten phrase (docs/privacy.md).
"""

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
    titles = ("N°", "Étiquette", "Prénom", "Clé", "État", "Code de secours")
    table = doc.add_table(rows=1, cols=len(titles))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, titles, strict=True):
        cell.text = title
    for number, (person, outcome) in enumerate(keys, 1):
        code = outcome.recovery or ("voir la fiche de sa préparation" if outcome.ok and session.protected else "—")
        values = (str(number), person.label, person.first_name, outcome.key, outcome.status, code)
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    doc.add_paragraph(
        f"Préparée le {now:%d/%m/%Y à %H:%M}. Ce document contient des prénoms : rangez-le comme un dossier de suivi."
    )
    if session.protected:
        doc.add_paragraph(
            "Les fiches de ces clés sont chiffrées : le jeune choisit une phrase secrète à la première ouverture. "
            "S'il l'oublie, le code de secours de sa clé (ci-dessus) permet d'en choisir une nouvelle, sur la page "
            "« J'ai oublié ma phrase secrète ». Ces codes ne sont écrits nulle part ailleurs : rangez cette feuille "
            "sous clé, jamais avec les clés USB."
        )
    else:
        doc.add_paragraph("Ces clés ne sont pas protégées : quelqu'un qui en trouve une peut lire les fiches.")
    try:
        doc.save(str(path))
    except OSError as error:
        # The codes exist nowhere else: show them rather than lose them.
        codes = "\n".join(f"  {person.label or person.first_name or outcome.key} : {outcome.recovery}"
                           for person, outcome in keys if outcome.recovery)  # fmt: skip
        shown = f"\nCodes de secours à recopier :\n{codes}" if codes else ""
        raise StaffError(f"Impossible d'écrire la fiche Word {path} : {error.strerror}{shown}") from None
