"""Answers as a reader sees them: on the pages, in the built-in Word layout and in a template.

One function for every place, so a date, a referral or a yes/no reads the same on
screen and on paper, including answers to fields a newer form no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from passport import dates
from passport.text import clean

Names = Callable[[str], str]
MAIN = " (principale)"


def shown(kind: str, value: Any, names: Names) -> str:
    """The answer to a field of type ``kind``; ``names`` turns a structure id into its name."""
    if kind == "date":
        return dates.french(value) if isinstance(value, str) else plain(value)
    if kind == "yesno":
        return "Oui" if value else "Non"
    if kind == "structure":
        return clean(names(value)) if isinstance(value, str) and value else ""
    if kind == "referrals":
        return ", ".join(name + (MAIN if main else "") for name, main in referrals(value, names))
    return plain(value)


def referrals(value: Any, names: Names) -> list[tuple[str, bool]]:
    """Each structure a young person is directed to, with whether it is the main one."""
    if not isinstance(value, dict):
        return []
    return [(clean(names(sid)), sid == value.get("main")) for sid in value.get("structures", [])]


def plain(value: Any) -> str:
    """Any stored value as text, for answers whose field type is unknown."""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, list):
        return ", ".join(clean(str(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(clean(str(v)) for v in value.get("structures", value.values()))
    return clean(str(value)) if value not in (None, "") else ""


def answered(value: Any) -> bool:
    """Whether a stored answer says something (an unticked box and an empty list do not)."""
    if isinstance(value, dict):
        return bool(value.get("structures"))
    return value not in ("", [], None, False)


def training_duty(birth_iso: Any, on_iso: Any) -> str:
    """Between 16 and 18 a young person must be in training: counsellors need to see it."""
    day = dates.parse(on_iso) if isinstance(on_iso, str) else None
    age = dates.age_on(birth_iso, day or date.today())
    return f"{age} ans : obligation de formation jusqu'à 18 ans." if age is not None and 16 <= age < 18 else ""
