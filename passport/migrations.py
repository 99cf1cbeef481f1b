"""Schema versions of the data file and the functions that bring old files up to date.

Each migration takes the tables written under schema N and returns them under
schema N + 1. Files of every earlier version must open forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT_SCHEMA = 2
Tables = dict[str, dict[str, Any]]


def _encryption_comes(tables: Tables) -> Tables:
    """Schema 2 may encrypt the payload and adds a ``protection`` part to the header.

    The tables themselves do not change. The number goes up so that a passport of
    schema 1 refuses such a key whole (``NewerSchemaError``) instead of taking its
    encrypted slots for damaged ones and setting them aside.
    """
    return tables


MIGRATIONS: dict[int, Callable[[Tables], Tables]] = {1: _encryption_comes}


def migrate(tables: Tables, schema: int) -> Tables:
    """Apply every migration from ``schema`` up to the current one."""
    for version in range(schema, CURRENT_SCHEMA):
        tables = MIGRATIONS[version](tables)
    return tables
