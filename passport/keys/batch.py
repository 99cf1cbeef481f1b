"""Work on many keys at once: one thread per key (the work is waiting on USB writes), one outcome each.

A key that fails (pulled out, full, write-protected) gets its reason in the
summary; the others carry on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from passport.faults import FULL, GONE, READ_ONLY, classify
from passport.keys.console import table

MAX_WORKERS = 8

Job = TypeVar("Job")

REASONS = {
    FULL: "clé pleine",
    READ_ONLY: "clé protégée en écriture (vérifiez le petit bouton sur le côté)",
    GONE: "clé retirée ou qui ne répond plus",
}


@dataclass(frozen=True)
class Outcome:
    key: str
    person: str
    ok: bool
    status: str
    detail: str = ""
    recovery: str = ""  # the recovery code of a protected key written by this run


def run(
    jobs: Sequence[Job],
    work: Callable[[Job], Outcome],
    describe: Callable[[Job], tuple[str, str]],
    volumes: int | None = None,
) -> list[Outcome]:
    """Run ``work`` on every job in parallel; an error on one key becomes that key's outcome.

    Keys on separate volumes are written side by side (each USB key is slow on its own);
    many key folders on one disk gain little from more than two writers at a time.
    """

    def guarded(job: Job) -> Outcome:
        try:
            return work(job)
        except OSError as error:
            key, person = describe(job)
            return Outcome(key, person, False, "ÉCHEC", explain(error))

    if not jobs:
        return []
    workers = MAX_WORKERS if volumes is None else max(2, volumes)
    with ThreadPoolExecutor(max_workers=min(workers, MAX_WORKERS, len(jobs))) as pool:
        return list(pool.map(guarded, jobs))


def explain(error: OSError) -> str:
    reason = REASONS.get(classify(error))
    return reason or f"erreur d'écriture ({error.strerror or error.__class__.__name__})"


def summary(outcomes: Sequence[Outcome], show_person: bool = True) -> str:
    headers = ["Clé", "Prénom", "État", "Ce qui a été fait"] if show_person else ["Clé", "État", "Détail"]
    rows = [
        [o.key, o.person or "—", o.status, o.detail] if show_person else [o.key, o.status, o.detail] for o in outcomes
    ]
    return table(headers, rows)


def exit_code(outcomes: Sequence[Outcome]) -> int:
    return 0 if all(o.ok for o in outcomes) else 1
