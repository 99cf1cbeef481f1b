"""A key's first data: the session, its local partners and, when known, the young person's first name.

Written through ``records`` and ``store`` like any other save, so the key
opens exactly as if a counsellor had typed it in the app.
"""

from __future__ import annotations

from pathlib import Path

from passport.forms import FormSet
from passport.keys.roster import Person
from passport.keys.session import Session
from passport.records import Passport, Structure
from passport.store import Store


def seed(data_dir: Path, person: Person, session: Session, form_set: FormSet, directory: list[Structure]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    passport = Passport(Store(data_dir), form_set, directory)
    for partner in session.partners:
        passport.add_structure({key: [value] for key, value in partner.details.items()}, partner.id)
    passport.save_session(
        {
            "name": session.name,
            "date": session.day,
            "structure": session.structure,
            "counsellor": session.counsellor,
            "contact": session.contact,
        }
    )
    if person.first_name:
        passport.save_profile(
            {
                "first_name": [person.first_name],
                "referent_name": [session.counsellor],
                "referent_structure": [session.structure],
                "referent_contact": [session.contact],
            }
        )
