"""Schema versions of the data file and the functions that bring old files up to date.

Each migration takes the tables written under schema N and returns them under
schema N + 1. Files of every earlier version must open forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT_SCHEMA = 1
Tables = dict[str, dict[str, Any]]

MIGRATIONS: dict[int, Callable[[Tables], Tables]] = {}


def migrate(tables: Tables, schema: int) -> Tables:
    """Apply every migration from ``schema`` up to the current one."""
    for version in range(schema, CURRENT_SCHEMA):
        tables = MIGRATIONS[version](tables)
    return tables
