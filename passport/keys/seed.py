"""A key's first data: the session, its local partners and, when known, the young person's first name.

On a protected key the data also says that a secret phrase is to be chosen at the
first start, with the public half of the key's recovery code (``Store.prepare_protection``).

Written through ``records`` and ``store`` like any other save, so the key opens
exactly as if a counsellor had typed it in the app. The store writes into
memory (its file layer is swappable for that very purpose); the slot files it
produced are then put on the key as new files, as the app itself copies
``App/DefaultData/`` to a missing ``Data/``.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from passport.forms import FormSet
from passport.keys.roster import Person
from passport.keys.session import Session
from passport.records import Passport, Structure
from passport.store import Store

NOWHERE = Path("seed")


class MemoryFiles:
    """A file layer that keeps the slot files in memory."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def read(self, path: Path, limit: int) -> bytes | None:
        return self.files.get(path.name)

    def write_durably(self, path: Path, data: bytes) -> None:
        self.files[path.name] = data

    def move_aside(self, path: Path, target: Path) -> None:
        self.files[target.name] = self.files.pop(path.name)

    def replace_durably(self, path: Path, data: bytes) -> None:
        self.files[path.name] = data


def seed(
    person: Person, session: Session, form_set: FormSet, directory: list[Structure], recovery_code: str = ""
) -> dict[PurePath, bytes]:
    """The data files of a new key, by name; protected when given the key's recovery code."""
    memory = MemoryFiles()
    passport = Passport(Store(NOWHERE, memory), form_set, directory)
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
    if recovery_code:
        passport.store.prepare_protection(recovery_code)
    return {PurePath(name): data for name, data in sorted(memory.files.items())}
