"""The session file: what every key of one session is prepared with.

Staff write it in TOML with French names (an example is in
``docs/exemple-session.toml``). It is checked in full before any key is
written, and every mistake is reported with the file and what to change.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from passport import dates, forms
from passport.forms import ValidationError
from passport.keys.console import StaffError
from passport.records import Structure, load_directory
from passport.text import clean, slug

# Each section: its French keys, the required ones, and whether it may repeat.
SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "session": (("nom", "date"), ("nom", "date")),
    "structure": (("id", "nom", "formulaire", "modele"), ()),
    "conseiller": (("nom", "contact"), ("nom",)),
    "partenaires": (("id", "nom", "activite", "adresse", "telephone", "email", "horaires"), ()),
    "protection": (("mode",), ()),
}
# [protection] mode: a phrase chosen by the young person at the first start (the default), or none.
PROTECTION_MODES = {"phrase": True, "aucune": False}
REPEATED = {"partenaires"}
# French key in the session file -> field of the directory form.
PARTNER_FIELDS = {
    "nom": "name",
    "activite": "about",
    "adresse": "address",
    "telephone": "phone",
    "email": "email",
    "horaires": "hours",
}


@dataclass(frozen=True)
class Partner:
    """A structure with local details: an entry of the default directory completed, or a new one."""

    id: str
    details: dict[str, str]


@dataclass(frozen=True)
class Session:
    name: str
    day: str
    structure: str
    counsellor: str
    contact: str
    partners: tuple[Partner, ...]
    form: Path | None = None
    template: Path | None = None
    protected: bool = True  # keys ask for a secret phrase; a recovery code goes on the staff sheet

    def fingerprint(self) -> str:
        """Changes whenever anything a key is seeded with changes (the form and template files' content included)."""
        body = asdict(self) | {"form": _digest(self.form), "template": _digest(self.template)}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def extra_files(self) -> dict[str, Path | None]:
        """The structure's own form and Word template, under the names the app looks for in ``Data/``."""
        if self.form is None and self.template is None:
            return {}
        from passport import keyform  # brings python-docx and docxtpl: only for a session that needs them

        return {keyform.FORM_FILE: self.form, keyform.TEMPLATE_FILE: self.template}


def load(path: Path, directory: list[Structure] | None = None) -> Session:
    directory = load_directory() if directory is None else directory
    data = _read(path)
    where = path.name
    for section, value in data.items():
        if section not in SECTIONS:
            raise StaffError(f"{where} : section [{section}] inconnue. Sections possibles : {_names(SECTIONS)}.")
        for entry in value if section in REPEATED and isinstance(value, list) else [value]:
            _check_keys(where, section, entry)
    for section in ("session", "conseiller"):
        if section not in data:
            raise StaffError(f"{where} : la section [{section}] manque.")
    partners = tuple(
        _partner(where, number, entry, directory) for number, entry in enumerate(data.get("partenaires", []), 1)
    )
    known = {s.id: s.name for s in directory} | {p.id: p.details["name"] for p in partners}
    head = data.get("structure", {})
    form, template = _file(path, head, "formulaire"), _file(path, head, "modele")
    _check_form(form, template)
    return Session(
        name=_text(where, "session", "nom", data["session"]["nom"]),
        day=_day(where, data["session"]["date"]),
        structure=_structure(where, head, known),
        counsellor=_text(where, "conseiller", "nom", data["conseiller"]["nom"]),
        contact=_text(where, "conseiller", "contact", data["conseiller"].get("contact", "")),
        partners=partners,
        form=form,
        template=template,
        protected=_protected(where, data.get("protection", {})),
    )


def _protected(where: str, section: dict[str, Any]) -> bool:
    mode = section.get("mode", "phrase")
    if mode not in PROTECTION_MODES:
        raise StaffError(
            f"{where} : dans [protection], « mode » vaut « phrase » (les fiches sont chiffrées, le jeune "
            f"choisit une phrase secrète) ou « aucune » (fiches lisibles par qui trouve la clé) ; trouvé : {mode!r}."
        )
    return PROTECTION_MODES[mode]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise StaffError(f"Fichier de session introuvable : {path}") from None
    except UnicodeDecodeError:
        raise StaffError(f"{path.name} : le fichier doit être enregistré en UTF-8.") from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        where = f" ligne {found.group(1)}" if found else ""
        raise StaffError(
            f"{path.name}{where} : ce n'est pas du TOML valide ({error}). "
            "Vérifiez les guillemets autour des textes et les crochets des sections."
        ) from None


def _check_keys(where: str, section: str, entry: object) -> None:
    if not isinstance(entry, dict):
        raise StaffError(f"{where} : [{section}] doit être une section (écrivez [{section}] sur sa propre ligne).")
    allowed, required = SECTIONS[section]
    for key in entry:
        if key not in allowed:
            raise StaffError(f"{where} : dans [{section}], « {key} » est inconnu. Possible : {', '.join(allowed)}.")
    for key in required:
        if key not in entry:
            raise StaffError(f"{where} : dans [{section}], « {key} » manque.")


def _text(where: str, section: str, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise StaffError(f"{where} : dans [{section}], « {key} » doit être un texte entre guillemets.")
    text = clean(value)
    if len(text) > forms.MAX_LENGTH["text"]:
        raise StaffError(
            f"{where} : dans [{section}], « {key} » est trop long ({forms.MAX_LENGTH['text']} caractères au plus)."
        )
    if not text and key == "nom":
        raise StaffError(f"{where} : dans [{section}], « {key} » est vide.")
    return text


def _day(where: str, value: object) -> str:
    if isinstance(value, datetime):
        value = value.date()
    parsed = value if isinstance(value, date) else dates.parse(value) if isinstance(value, str) else None
    if parsed is None:
        raise StaffError(f"{where} : dans [session], la date n'est pas valide. Écrivez-la comme ceci : 2026-03-12.")
    return parsed.isoformat()


def _partner(where: str, number: int, entry: dict[str, Any], directory: list[Structure]) -> Partner:
    label = f"{where} : partenaire n° {number}"
    defaults = {s.id: s for s in directory}
    details = {PARTNER_FIELDS[k]: _text(where, "partenaires", k, v) for k, v in entry.items() if k != "id"}
    if "id" in entry:
        if entry["id"] not in defaults:
            raise StaffError(
                f"{label} : l'identifiant « {entry['id']} » n'est pas dans l'annuaire. Possible : {_names(defaults)}."
            )
        structure_id = entry["id"]
        details.setdefault("name", defaults[structure_id].name)
    elif details.get("name"):
        structure_id = "local-" + slug(details["name"], "partenaire")
    else:
        raise StaffError(
            f"{label} : donnez « id » (une structure de l'annuaire à compléter) ou « nom » (une nouvelle)."
        )
    try:
        forms.check(forms.load().structure, {key: [value] for key, value in details.items()}, frozenset())
    except ValidationError as error:
        raise StaffError(f"{label} : {'; '.join(error.errors.values())}") from None
    return Partner(structure_id, details)


def _structure(where: str, head: dict[str, Any], known: dict[str, str]) -> str:
    if "id" in head:
        if head["id"] not in known:
            raise StaffError(f"{where} : dans [structure], « {head['id']} » est inconnu. Possible : {_names(known)}.")
        return str(head["id"])
    if "nom" in head:
        wanted = clean(str(head["nom"])).casefold()
        for structure_id, name in known.items():
            if name.casefold() == wanted:
                return structure_id
        raise StaffError(
            f"{where} : dans [structure], aucune structure ne s'appelle « {head['nom']} ». "
            "Ajoutez-la dans [[partenaires]] avec ce nom, ou donnez l'« id » d'une structure de l'annuaire."
        )
    raise StaffError(
        f"{where} : la section [structure] manque (donnez « id » ou « nom » de la structure qui accueille)."
    )


def _file(session_file: Path, head: dict[str, Any], key: str) -> Path | None:
    """A file named in [structure], relative to the session file."""
    if key not in head:
        return None
    value = head[key]
    path = (session_file.parent / str(value)).resolve()
    if not path.is_file():
        what = "le formulaire" if key == "formulaire" else "le modèle Word"
        raise StaffError(f"{session_file.name} : {what} « {value} » est introuvable ({path}).")
    return path


def _check_form(form: Path | None, template: Path | None) -> None:
    """The [forms] checks, run before any key is written: a faulty form never reaches a key."""
    if form is None and template is None:
        return
    from passport import keyform  # see Session.extra_files

    problems = keyform.check(form, template)
    if problems:
        lines = "\n  ".join(str(problem) for problem in problems)
        raise StaffError(f"Le formulaire de la structure contient des erreurs :\n  {lines}\n\nRien n'a été écrit.")


def _digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else ""


def _names(options: dict[str, Any]) -> str:
    return ", ".join(options)
