"""The passport's domain: profile, steps, intake sheets, referrals, partner directory.

Everything a page or an export needs goes through ``Passport``; it checks answers
against the forms and keeps each sheet with the form version it was filled with,
so a later form change never hides old answers.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import Query
from tinydb.table import Document

from passport import forms, indicators
from passport.display import answered
from passport.faults import KeyWriteError
from passport.forms import Form, FormSet, Raw, ValidationError
from passport.store import Locked, Store

DEFAULT_DIRECTORY = Path(__file__).parent / "data" / "directory.json"
STRUCTURE_FIELDS = ("name", "about", "address", "phone", "email", "hours")
SESSION_FIELDS = ("name", "date", "structure", "counsellor", "contact")
OPEN_STATUSES = ("À faire", "En cours")
DONE = "Fait"
# The CNIL's usual length for social support files: about two years after the last contact.
KEPT_FOR = timedelta(days=730)
CONSENT_WHO = {
    "Moi": "le jeune",
    "Mon représentant légal ou ma représentante légale": "son représentant légal",
    "Moi et mon représentant légal ou ma représentante légale": "le jeune et son représentant légal",
}


@dataclass(frozen=True)
class Entry:
    """A saved step or intake sheet."""

    id: int
    answers: dict[str, Any]
    form_version: int
    updated: str
    # For each answered field, the label and type it had when saved: a later form may drop it.
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    # When, and by whom, consent to pass the sheet on was given (intake sheets).
    consent: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: Any = "") -> Any:
        return self.answers.get(key, default)


@dataclass(frozen=True)
class OldAnswer:
    """An answer to a field the current form no longer has, with the label it was given."""

    key: str
    label: str
    type: str
    value: Any


def other_answers(entry: Entry, form: Form) -> list[OldAnswer]:
    """Answers kept from an earlier form, shown under "Autres informations" rather than lost."""
    known = {f.key for f in form.fields()}
    return [
        OldAnswer(key, *_snapshot(entry, key), value)
        for key, value in entry.answers.items()
        if key not in known and answered(value)
    ]


def _snapshot(entry: Entry, key: str) -> tuple[str, str]:
    saved = entry.fields.get(key, {})
    return saved.get("label") or key, saved.get("type", "")


@dataclass(frozen=True)
class Inactive:
    """A sheet nobody touched for longer than the passport keeps data: offered for erasing."""

    kind: str  # "bilan" (one intake sheet) or "suivi" (the whole follow-up sheet)
    id: int  # the intake sheet's id; 0 for the follow-up sheet
    updated: str


@dataclass(frozen=True)
class Structure:
    """A partner of the network, from the default directory or added on this key."""

    id: str
    name: str
    about: str = ""
    public: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""
    local: bool = False


def load_directory(path: Path = DEFAULT_DIRECTORY) -> list[Structure]:
    """Read the shipped partner directory (2026 names, no invented addresses)."""
    return [Structure(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]


class Passport:
    """One young person's passport: the sheets on their key."""

    def __init__(self, store: Store, form_set: FormSet, directory: list[Structure]) -> None:
        self.store = store
        self.forms = form_set
        self._defaults = directory
        self._published: tuple[str, Any] | tuple[()] | None = None  # the summary on the key, once read

    # Profile ---------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        with self.store.session() as db:
            doc = db.table("profile").get(doc_id=1)
        return dict(doc["answers"]) if doc else {}

    def save_profile(self, raw: Raw) -> None:
        answers = self._check(self.forms.profile, raw)
        with self.store.session() as db:
            db.table("profile").upsert(Document(_document(self.forms.profile, answers, {}, None), doc_id=1))

    # Directory --------------------------------------------------------------

    def directory(self) -> list[Structure]:
        with self.store.session() as db:
            local = {doc["id"]: doc for doc in db.table("directory").all()}
        merged = [Structure(**{**vars(s), **local.pop(s.id, {})}) for s in self._defaults]
        return merged + [Structure(**doc, local=True) for doc in local.values()]

    def structure_name(self, structure_id: str) -> str:
        names = {s.id: s.name for s in self.directory()}
        return names.get(structure_id, structure_id)

    def add_structure(self, raw: Raw, structure_id: str | None = None) -> str:
        """Add a partner; given the id of a listed one, its local details (address, hours…) complete it."""
        answers = self._check(self.forms.structure, raw)
        # Empty answers are left out so that they never hide what the default directory says.
        doc = {key: answers[key] for key in STRUCTURE_FIELDS if answers[key] or key == "name"}
        doc["id"] = structure_id or "local-" + secrets.token_hex(4)
        with self.store.session() as db:
            db.table("directory").upsert(doc, Query().id == doc["id"])
        return doc["id"]

    # Session ----------------------------------------------------------------

    def session(self) -> dict[str, str]:
        """The session the key was prepared for (name, date, structure, counsellor), or nothing."""
        with self.store.session() as db:
            doc = db.table("session").get(doc_id=1)
        return {key: doc.get(key, "") for key in SESSION_FIELDS} if doc else {}

    def save_session(self, session: dict[str, str]) -> None:
        with self.store.session() as db:
            db.table("session").upsert(Document({key: session.get(key, "") for key in SESSION_FIELDS}, doc_id=1))

    def referent(self) -> dict[str, str]:
        """Who accompanies the young person: as their profile says, else as the key was prepared."""
        profile, session = self.profile(), self.session()
        if profile.get("referent_name") or profile.get("referent_structure"):
            name, structure = profile.get("referent_name", ""), profile.get("referent_structure", "")
            contact = profile.get("referent_contact", "")
        else:
            name, structure = session.get("counsellor", ""), session.get("structure", "")
            contact = session.get("contact", "")
        return {"name": name, "structure": self.structure_name(structure) if structure else "", "contact": contact}

    # Steps ------------------------------------------------------------------

    def steps(self) -> list[Entry]:
        """All steps, oldest date first."""
        return sorted(self._entries("steps"), key=lambda e: (e.get("date"), e.id))

    def step(self, step_id: int) -> Entry | None:
        return self._entry("steps", step_id)

    def upcoming(self, limit: int = 5) -> list[Entry]:
        """Steps still to do, the soonest first."""
        pending = [e for e in self.steps() if e.get("status") in OPEN_STATUSES]
        return sorted(pending, key=lambda e: (e.get("next_date") or e.get("date"), e.id))[:limit]

    def save_step(self, raw: Raw, step_id: int | None = None) -> int:
        return self._save("steps", self.forms.step, raw, step_id)

    def mark_done(self, step_id: int) -> None:
        entry = self._require("steps", step_id)
        answers = {**entry.answers, "status": DONE}
        with self.store.session() as db:
            db.table("steps").update({"answers": answers, "updated": _now()}, doc_ids=[step_id])

    def delete_step(self, step_id: int) -> None:
        self._require("steps", step_id)
        with self.store.session() as db:
            db.table("steps").remove(doc_ids=[step_id])

    # Intake sheets ----------------------------------------------------------

    def intakes(self) -> list[Entry]:
        """Intake sheets, the most recent first."""
        return sorted(self._entries("intakes"), key=lambda e: (e.get("date"), e.id), reverse=True)

    def intake(self, intake_id: int) -> Entry | None:
        return self._entry("intakes", intake_id)

    def new_intake_answers(self) -> dict[str, Any]:
        """Answers to start a sheet with: today, the session the key was prepared for, the profile."""
        profile, session = self.profile(), self.session()
        return {
            "date": date.today().isoformat(),
            "occasion": session.get("name", ""),
            "structure": session.get("structure", ""),
            "counsellor": session.get("counsellor", ""),
            "first_name": profile.get("first_name", ""),
            "last_name": profile.get("last_name", ""),
        }

    def save_intake(self, raw: Raw, intake_id: int | None = None) -> int:
        saved = self._save("intakes", self.forms.intake, raw, intake_id, _why_given)
        self.refresh_indicators()
        return saved

    def delete_intake(self, intake_id: int) -> None:
        self._require("intakes", intake_id)
        with self.store.session() as db:
            db.table("intakes").remove(doc_ids=[intake_id])
        self.refresh_indicators()

    # Keeping no longer than needed ------------------------------------------

    def inactive(self, today: date | None = None) -> list[Inactive]:
        """Sheets without activity for longer than ``KEPT_FOR``: the home page offers to erase them."""
        limit = ((today or date.today()) - KEPT_FOR).isoformat()
        old = [Inactive("bilan", e.id, e.updated) for e in self.intakes() if e.updated and e.updated[:10] < limit]
        steps = self.steps()
        latest = max((step.updated for step in steps), default="")
        if steps and latest and latest[:10] < limit:
            old.append(Inactive("suivi", 0, latest))
        return old

    def delete_steps(self) -> None:
        with self.store.session() as db:
            db.drop_table("steps")

    def erase_everything(self) -> None:
        """ "Tout effacer": every sheet, the damaged copies and the anonymous summary.

        The summary goes too: on the young person's own key it says where *they*
        were directed, so it is not anonymous to whoever holds the key.
        """
        self.store.erase()
        self.store.remove_plain(indicators.FILE_NAME)
        self._published = ()

    # Indicators -------------------------------------------------------------

    def refresh_indicators(self) -> None:
        """Bring the anonymous summary next to the data in line with the intake sheets.

        Runs after each intake save and at start. The sheet is already safe when it
        runs, so a full or pulled key must not turn the save into an error: the summary
        then stays as it was until the next save or start writes it.
        """
        with contextlib.suppress(KeyWriteError, Locked):
            self._write_indicators()

    def _write_indicators(self) -> None:
        sheets = [(entry.id, entry.answers) for entry in self._entries("intakes")]
        if self._published is None:
            self._published = _published(self.store.read_plain(indicators.FILE_NAME))
        if not sheets and not self._published:
            return  # a deleted last sheet still writes its (empty) summary, so collect forgets it
        key = self._indicators_key()
        shipped = frozenset(s.id for s in self._defaults)
        kinds = frozenset(c for f in self.forms.intake.fields() if f.key == "solution_kind" for c in f.choices)
        summary = indicators.summarise(key, self.store.generation, sheets, shipped, kinds)
        if self._published != (summary.key, summary.sheets):
            self.store.write_plain(indicators.FILE_NAME, indicators.encode(summary))
            self._published = (summary.key, summary.sheets)

    def _indicators_key(self) -> str:
        """The key's random id, made at its first intake sheet (never when keys are prepared)."""
        with self.store.session() as db:
            table = db.table("indicators")
            doc = table.get(doc_id=1)
            if doc is None:
                doc = {"key": indicators.new_key_id()}
                table.insert(Document(doc, doc_id=1))
        return doc["key"]

    # Shared -----------------------------------------------------------------

    def _check(self, form: Form, raw: Raw, *rules: Any) -> dict[str, Any]:
        structures = frozenset(s.id for s in self.directory())
        answers = forms.check(form, raw, structures)
        errors: dict[str, str] = {}
        for rule in rules:
            errors.update(rule(answers))
        if errors:
            raise ValidationError(errors)
        return answers

    def _save(self, table: str, form: Form, raw: Raw, entry_id: int | None, *rules: Any) -> int:
        answers = self._check(form, raw, *rules)
        with self.store.session() as db:
            if entry_id is None:
                return db.table(table).insert(_document(form, answers, {}, None))
            # Answers to fields a newer form no longer has are kept, never dropped.
            previous = self._require(table, entry_id)
            document = _document(form, {**previous.answers, **answers}, previous.fields, previous)
            db.table(table).update(document, doc_ids=[entry_id])
        return entry_id

    def _entries(self, table: str) -> list[Entry]:
        with self.store.session() as db:
            docs = db.table(table).all()
        return [_entry(doc) for doc in docs]

    def _entry(self, table: str, entry_id: int) -> Entry | None:
        with self.store.session() as db:
            doc = db.table(table).get(doc_id=entry_id)
        return _entry(doc) if doc else None

    def _require(self, table: str, entry_id: int) -> Entry:
        entry = self._entry(table, entry_id)
        if entry is None:
            raise LookupError(f"{table} {entry_id}")
        return entry


def _published(raw: bytes | None) -> tuple[str, Any] | tuple[()]:
    """What the summary on the key says; ``()`` when it is missing or damaged."""
    try:
        current = indicators.decode(raw) if raw is not None else None
    except indicators.SummaryError:
        return ()
    return (current.key, current.sheets) if current else ()


def _why_given(answers: dict[str, Any]) -> dict[str, str]:
    """A solution or a referral needs its *pourquoi*: counsellors asked for it."""
    proposed = answers.get("solution") or answers.get("referrals", {}).get("structures")
    if proposed and not answers.get("why"):
        return {"why": "Explique pourquoi cette solution ou cette orientation a été proposée."}
    return {}


def _consent(answers: dict[str, Any], previous: Entry | None) -> dict[str, str]:
    """The consent record: the day consent was first given and by whom; gone once withdrawn."""
    if not answers.get("consent"):
        return {}
    who = CONSENT_WHO.get(answers.get("consent_by", ""), "")
    earlier = previous.consent if previous else {}
    if earlier.get("date") and earlier.get("by", "") == who:
        return earlier
    return {"date": date.today().isoformat(), "by": who}


def _document(
    form: Form, answers: dict[str, Any], fields: dict[str, dict[str, str]], previous: Entry | None
) -> dict[str, Any]:
    """What is stored for a sheet: its answers, the form version, and the labels they were given."""
    labels = {f.key: {"label": f.label, "type": f.type} for f in form.fields() if answered(answers.get(f.key))}
    kept = {key: spec for key, spec in fields.items() if key in answers and key not in labels}
    document = {"answers": answers, "form_version": form.version, "updated": _now(), "fields": {**kept, **labels}}
    if "consent" in answers:
        document["consent"] = _consent(answers, previous)
    return document


def _entry(doc: Any) -> Entry:
    return Entry(
        doc.doc_id,
        dict(doc["answers"]),
        doc.get("form_version", 1),
        doc.get("updated", ""),
        dict(doc.get("fields", {})),
        dict(doc.get("consent") or {}),
    )


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
