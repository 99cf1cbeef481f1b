"""The passport's forms, described by a data file, and the checking of answers.

The sheets are data rather than code because each structure words them its own
way (the seed experiment could not agree on one common form). This module knows
the field types; ``data/forms.toml`` lists the fields.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from passport import dates
from passport.text import clean

DEFAULT_FORMS = Path(__file__).parent / "data" / "forms.toml"
MAX_LENGTH = {"text": 200, "longtext": 10_000}
YES = {"on", "oui", "1", "true"}

Raw = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Field:
    """One question of a form."""

    key: str
    label: str
    type: str
    required: bool = False
    core: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    default: Any = ""


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Form:
    name: str
    title: str
    version: int
    sections: tuple[Section, ...]

    def fields(self) -> Iterator[Field]:
        for section in self.sections:
            yield from section.fields

    def defaults(self) -> dict[str, Any]:
        return {f.key: f.default for f in self.fields() if f.default}


@dataclass(frozen=True)
class FormSet:
    profile: Form
    structure: Form
    step: Form
    intake: Form


class ValidationError(Exception):
    """Answers that cannot be saved: a French message per field key."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass
class _Checker:
    """Turns raw form input into stored values, collecting a message per bad field."""

    structures: frozenset[str]
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, spec: Field, raw: Raw) -> Any:
        values = list(raw.get(spec.key, ()))
        first = values[0] if values else ""
        parsed = getattr(self, f"_{spec.type}")(spec, first, values, raw)
        if spec.required and parsed in ("", [], None, False) and spec.key not in self.errors:
            self.errors[spec.key] = "Ce champ est à remplir."
        return parsed

    def _text(self, spec: Field, first: str, *_: object) -> str:
        text = clean(first)
        limit = MAX_LENGTH[spec.type]
        if len(text) > limit:
            self.errors[spec.key] = f"Ce texte est trop long : {len(text)} caractères, {limit} au maximum."
        return text

    _longtext = _text

    def _date(self, spec: Field, first: str, *_: object) -> str:
        if not first.strip():
            return ""
        parsed = dates.parse(first)
        if parsed is None:
            self.errors[spec.key] = "Cette date n'est pas valide. Écris-la comme ceci : 29/11/2026."
            return clean(first)[:20]
        return parsed.isoformat()

    def _yesno(self, spec: Field, first: str, *_: object) -> bool:
        return first.strip().lower() in YES

    def _choice(self, spec: Field, first: str, *_: object) -> str:
        if first and first not in spec.choices:
            self.errors[spec.key] = "Choisis une des propositions de la liste."
            return ""
        return first

    def _multichoice(self, spec: Field, _first: str, values: list[str], _raw: Raw) -> list[str]:
        if any(v not in spec.choices for v in values):
            self.errors[spec.key] = "Choisis parmi les propositions de la liste."
        return [c for c in spec.choices if c in values]

    def _structure(self, spec: Field, first: str, *_: object) -> str:
        if first and first not in self.structures:
            self.errors[spec.key] = "Choisis une structure de la liste."
            return ""
        return first

    def _referrals(self, spec: Field, _first: str, values: list[str], raw: Raw) -> dict[str, Any]:
        chosen = list(dict.fromkeys(v for v in values if v in self.structures))
        main = (list(raw.get(f"{spec.key}__main", ())) or [""])[0]
        if len(chosen) != len(values):
            self.errors[spec.key] = "Choisis des structures de la liste."
        if len(chosen) == 1:
            main = chosen[0]
        elif chosen and main not in chosen:
            self.errors[spec.key] = "Indique la structure principale parmi celles que tu as cochées."
            main = ""
        return {"structures": chosen, "main": main if chosen else ""}


def check(form: Form, raw: Raw, structures: frozenset[str]) -> dict[str, Any]:
    """Return the answers to store, or raise ``ValidationError`` with a message per field."""
    checker = _Checker(structures)
    answers = {spec.key: checker.value(spec, raw) for spec in form.fields()}
    if checker.errors:
        raise ValidationError(checker.errors)
    return answers


def load(path: Path = DEFAULT_FORMS) -> FormSet:
    """Read the shipped form definitions; a key's own form is read by ``passport.keyform``."""
    from passport.formfile import read_default  # formfile builds this module's classes

    return read_default(path)
