"""The anonymous summary that staff collect from keys to count referrals month by month.

It lies next to the data as a plain file that [protect] leaves unencrypted, so it
holds only what identifies nobody: the month (never the day), structure ids from
the shipped directory, the kind of solution (one of the form's choices) and random
ids. Each record is built from an allow-list of answers, never by copying a sheet,
so names, free texts and birth dates cannot reach it.

The key id is random and kept in the data file, so collecting a key twice, or a
key and a copy of its summary, counts it once; the sheet ids are derived from it,
so an edited sheet replaces its record instead of adding one.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FILE_NAME = "indicateurs.json"
FORMAT = "passeport-indicateurs"
VERSION = 1
OTHER = "autre"  # a structure added on the key: its name is free text, so only this is kept
NOTE = "Résumé anonyme pour compter les orientations : aucun nom, aucun texte libre, aucune date précise."

_KEY_ID = re.compile(r"[0-9a-f]{32}")
_SHEET_ID = re.compile(r"[0-9a-f]{16}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ISO_DATE = re.compile(r"(\d{4}-\d{2})-\d{2}")


class SummaryError(ValueError):
    """A file that is not a readable summary; the message is in French, for staff."""


@dataclass(frozen=True)
class Sheet:
    """What one intake sheet tells the indicators."""

    month: str  # "2015-01", or "" when the sheet has no readable date
    origin: str  # the structure that filled the sheet
    destinations: tuple[str, ...]
    main: str
    directed: bool  # True with no destination: the referral was made, its structure not written down
    solution_kind: str


@dataclass(frozen=True)
class Summary:
    """All the intake sheets of one key."""

    key: str
    revision: int  # grows with every save on the key: the higher of two copies is the newer
    sheets: Mapping[str, Sheet]


def new_key_id() -> str:
    return secrets.token_hex(16)


def sheet_id(key: str, doc_id: int) -> str:
    return hashlib.sha256(f"{key}:{doc_id}".encode()).hexdigest()[:16]


def summarise(
    key: str,
    revision: int,
    intakes: Iterable[tuple[int, Mapping[str, Any]]],
    structures: frozenset[str],
    solution_kinds: frozenset[str],
) -> Summary:
    """Build the summary of ``intakes`` (doc id, answers); ``structures`` are the shipped ids."""
    sheets = {sheet_id(key, doc_id): _sheet(answers, structures, solution_kinds) for doc_id, answers in intakes}
    return Summary(key, revision, sheets)


def _sheet(answers: Mapping[str, Any], structures: frozenset[str], solution_kinds: frozenset[str]) -> Sheet:
    def known(structure_id: object) -> str:
        if not isinstance(structure_id, str) or not structure_id:
            return ""
        return structure_id if structure_id in structures else OTHER

    referrals = answers.get("referrals")
    referrals = referrals if isinstance(referrals, Mapping) else {}
    chosen = referrals.get("structures")
    destinations = tuple(dict.fromkeys(known(s) for s in chosen if known(s))) if isinstance(chosen, list) else ()
    day = answers.get("date")
    month = _ISO_DATE.fullmatch(day) if isinstance(day, str) else None
    kind = answers.get("solution_kind")
    return Sheet(
        month=month.group(1) if month and _MONTH.fullmatch(month.group(1)) else "",
        origin=known(answers.get("structure")),
        destinations=destinations,
        main=known(referrals.get("main")) if destinations else "",
        directed=bool(destinations) or answers.get("directed") is True,
        solution_kind=kind if kind in solution_kinds else "",
    )


def encode(summary: Summary) -> bytes:
    """The file's bytes: indented JSON, so that staff can open it and see what it holds."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "note": NOTE,
        "key": summary.key,
        "revision": summary.revision,
        "sheets": {
            sheet_id: {
                "month": sheet.month,
                "from": sheet.origin,
                "to": list(sheet.destinations),
                "main": sheet.main,
                "directed": sheet.directed,
                "solution_kind": sheet.solution_kind,
            }
            for sheet_id, sheet in sorted(summary.sheets.items())
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode() + b"\n"


def decode(raw: bytes) -> Summary:
    """Read a summary file, checking every field; ``SummaryError`` says what is wrong."""
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise SummaryError("ce fichier n'est pas un résumé d'indicateurs lisible (abîmé ou incomplet)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SummaryError("ce fichier n'est pas un résumé d'indicateurs du passeport")
    version = document.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SummaryError("ce résumé vient d'une version plus récente du passeport : mettez à jour build_key.py")
    key, revision, sheets = document.get("key"), document.get("revision"), document.get("sheets")
    if not (isinstance(key, str) and _KEY_ID.fullmatch(key) and isinstance(revision, int)):
        raise SummaryError("l'identifiant de la clé du résumé est abîmé")
    if not isinstance(sheets, dict):
        raise SummaryError("la liste des fiches du résumé est abîmée")
    return Summary(key, revision, {sheet_id: _read_sheet(sheet_id, record) for sheet_id, record in sheets.items()})


def _read_sheet(sheet_id: str, record: object) -> Sheet:
    if not (_SHEET_ID.fullmatch(sheet_id) and isinstance(record, dict) and _well_formed(record)):
        raise SummaryError(f"la fiche {sheet_id[:16]!r} du résumé est abîmée")
    destinations = tuple(record["to"])
    directed = record["directed"] or bool(destinations)
    return Sheet(record["month"], record["from"], destinations, record["main"], directed, record["solution_kind"])


def _well_formed(record: dict[str, Any]) -> bool:
    month, destinations = record.get("month"), record.get("to")
    return (
        isinstance(month, str)
        and (month == "" or bool(_MONTH.fullmatch(month)))
        and isinstance(destinations, list)
        and all(isinstance(s, str) and s for s in destinations)
        and all(isinstance(record.get(name), str) for name in ("from", "main", "solution_kind"))
        and isinstance(record.get("directed"), bool)
    )
