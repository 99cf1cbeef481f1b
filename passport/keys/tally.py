"""Count referrals month by month from the keys' summaries, the way the seed's CIO did by hand.

A person is a key: two sheets of one key in the same month are one person directed
to the union of their destinations. A person directed two different months counts
in each month, as in the hand-made table; ``Table.people`` gives distinct people.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from passport.indicators import Sheet, Summary

NOT_GIVEN = ""  # the destination of a referral nobody wrote down: "non indiqué"


@dataclass(frozen=True)
class Filters:
    """Which sheets count: by the structure that filled them, and by period (inclusive months)."""

    origins: frozenset[str] = frozenset()
    since: str = ""
    until: str = ""

    def keep(self, sheet: Sheet) -> bool:
        if self.origins and sheet.origin not in self.origins:
            return False
        if (self.since or self.until) and not sheet.month:
            return False
        return (not self.since or sheet.month >= self.since) and (not self.until or sheet.month <= self.until)


@dataclass
class Row:
    """One line of the table: a month, or the total."""

    month: str
    received: int = 0  # people with an intake sheet
    directed: int = 0
    several: int = 0  # directed to two structures or more
    destinations: Counter[str] = field(default_factory=Counter)  # structure id (or NOT_GIVEN) -> people
    mains: Counter[str] = field(default_factory=Counter)
    combinations: Counter[tuple[str, ...]] = field(default_factory=Counter)  # () when not given

    def add(self, other: Row) -> None:
        self.received += other.received
        self.directed += other.directed
        self.several += other.several
        self.destinations.update(other.destinations)
        self.mains.update(other.mains)
        self.combinations.update(other.combinations)


@dataclass(frozen=True)
class Table:
    rows: list[Row]  # months with at least one sheet, oldest first
    total: Row
    people: int  # distinct keys directed at least once
    undated: int  # sheets left out because their date could not be read


def merge(summaries: Iterable[Summary]) -> dict[str, Summary]:
    """One summary per key: of two copies of a key's summary, the newer one holds."""
    newest: dict[str, Summary] = {}
    for summary in summaries:
        known = newest.get(summary.key)
        if known is None or summary.revision > known.revision:
            newest[summary.key] = summary
    return newest


def count(summaries: Mapping[str, Summary], filters: Filters, order: list[str]) -> Table:
    """The monthly table; ``order`` lists structure ids in the order the directory gives them."""
    people: dict[tuple[str, str], list[Sheet]] = defaultdict(list)
    undated = 0
    for key, summary in summaries.items():
        for sheet in summary.sheets.values():
            if not filters.keep(sheet):
                continue
            if not sheet.month:
                undated += 1
                continue
            people[(sheet.month, key)].append(sheet)
    rows: dict[str, Row] = {}
    directed_keys = set()
    for (month, key), sheets in sorted(people.items()):
        row = rows.setdefault(month, Row(month))
        _add_person(row, sheets, order)
        if any(sheet.directed for sheet in sheets):
            directed_keys.add(key)
    total = Row("total")
    for row in rows.values():
        total.add(row)
    return Table([rows[month] for month in sorted(rows)], total, len(directed_keys), undated)


def _add_person(row: Row, sheets: list[Sheet], order: list[str]) -> None:
    row.received += 1
    if not any(sheet.directed for sheet in sheets):
        return
    destinations = in_order({s for sheet in sheets for s in sheet.destinations}, order)
    row.directed += 1
    row.several += len(destinations) >= 2
    row.destinations.update(destinations or (NOT_GIVEN,))
    row.mains.update({sheet.main for sheet in sheets if sheet.main})
    row.combinations[destinations] += 1


def in_order(structure_ids: Iterable[str], order: list[str]) -> tuple[str, ...]:
    """Structure ids as the directory lists them; ids it does not know come last, by name."""
    rank = {structure_id: index for index, structure_id in enumerate(order)}
    return tuple(sorted(set(structure_ids), key=lambda s: (rank.get(s, len(rank)), s)))
