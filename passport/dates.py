"""Dates as the passport shows and reads them: 29/11/2026 for people, ISO in the file."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def parse(value: str) -> date | None:
    """Read ``2026-11-29`` (date inputs) or ``29/11/2026`` (typed); None if neither."""
    value = value.strip()
    try:
        if "/" in value:
            day, month, year = (int(part) for part in value.split("/"))
            parsed = date(year, month, day)
        else:
            parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if 1900 <= parsed.year <= 2100 else None


def french(iso: str) -> str:
    """Show an ISO date as 29/11/2026; leave anything else as it is."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return iso or ""


def age_on(birth_iso: str, day: date) -> int | None:
    """Age in whole years on ``day``, or None when the birth date is unknown."""
    try:
        birth = date.fromisoformat(birth_iso)
    except (TypeError, ValueError):
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
