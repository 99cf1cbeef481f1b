"""Form definition files: read them, check them, and explain every mistake in French.

Staff edit a structure's form by hand in a text editor, so a mistake must name the
file, the line and the field in words a coordinator understands, and the app must
fall back to the default form rather than stop. A structure's file holds whole
sheets (``[step]`` and/or ``[intake]``), written exactly like the default file:
what staff read is the form they get, with no merge rules to learn. The common
core is the set of fields marked ``core = true`` in the default file; a structure
may relabel them, never remove or retype them.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from passport.forms import Field, Form, FormSet, Section
from passport.text import has_invalid

SHEETS = ("profile", "structure", "step", "intake")
ADAPTABLE = ("step", "intake")
SHEET_NAMES = {
    "profile": "profil [profile]",
    "structure": "structure [structure]",
    "step": "fiche de suivi [step]",
    "intake": "fiche bilan [intake]",
}
TYPES = ("text", "longtext", "date", "yesno", "choice", "multichoice", "structure", "referrals")
WITH_CHOICES = ("choice", "multichoice")
SHEET_PROPERTIES = ("version", "title", "sections")
SECTION_PROPERTIES = ("title", "fields")
FIELD_PROPERTIES = ("key", "label", "help", "type", "required", "core", "choices", "default")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
RESERVED_KEYS = ("csrf_token",)
MAX_KEY = 40
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")
_HEADER = re.compile(r"\s*\[\[?([^\[\]]+)\]\]?")


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition file, told so that staff can find and fix it."""

    file: str
    line: int | None
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        where += f", colonne {self.column}" if self.column and self.line else ""
        return f"{where} : {self.message}"


class FormFileError(Exception):
    """A definition file that cannot be used; ``problems`` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_default(path: Path) -> FormSet:
    """The shipped definitions: all four sheets. A mistake here is a bug, so it raises."""
    reader = _Reader(path.name, path.read_text(encoding="utf-8"))
    sheets = reader.sheets(SHEETS, required=SHEETS, base=None)
    return FormSet(**sheets)


def read_structure(path: Path, default: FormSet) -> FormSet:
    """A structure's definitions: its ``[step]`` and ``[intake]`` replace the default ones."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise FormFileError([Problem(path.name, None, _NOT_UTF8)]) from None
    except OSError as error:
        raise FormFileError([Problem(path.name, None, f"impossible de lire le fichier ({error.strerror}).")]) from None
    return parse_structure(text, path.name, default)


def parse_structure(text: str, source: str, default: FormSet) -> FormSet:
    """Like ``read_structure``, from the text; ``source`` names the file in messages."""
    sheets = _Reader(source, text).sheets(ADAPTABLE, required=(), base=default)
    return replace(default, **sheets)


_NOT_UTF8 = (
    "le fichier n'est pas enregistré en UTF-8. Dans le Bloc-notes : Fichier > Enregistrer sous, Encodage : UTF-8."
)


class _Lines:
    """Where tables and properties sit in the text, to give line numbers to semantic mistakes."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, 1):
            match = _HEADER.match(line)
            if match:
                name = re.sub(r"\s*\.\s*", ".", match.group(1).strip()).replace('"', "").replace("'", "")
                self.headers.append((number, name))

    def table(self, name: str, index: int = 0) -> int | None:
        """Line of the ``index``-th header ``[name]`` or ``[[name]]``."""
        found = [number for number, header in self.headers if header == name]
        return found[index] if index < len(found) else None

    def prop(self, table_line: int | None, name: str) -> int | None:
        """Line of ``name = ...`` inside the table starting at ``table_line``, else that table's line."""
        if table_line is None:
            return None
        pattern = re.compile(rf"\s*{re.escape(name)}\s*=")
        for number in range(table_line + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if _HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return table_line


class _Reader:
    """Parses one file, collecting every problem before giving up, so staff fix them all at once."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self.lines = _Lines(text)
        self.problems: list[Problem] = []

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def sheets(self, allowed: tuple[str, ...], required: tuple[str, ...], base: FormSet | None) -> dict[str, Form]:
        data = self._toml()
        forms: dict[str, Form] = {}
        for name, value in data.items():
            if name not in allowed:
                self._unknown_sheet(name, allowed)
                continue
            form = _SheetReader(self, name, getattr(base, name) if base else None).read(value)
            if form is not None:
                forms[name] = form
        for name in required:
            if name not in data:
                self.problem(None, f"la {SHEET_NAMES[name]} est absente du fichier.")
        if not self.problems and base is not None and not data:
            self.problem(None, "le fichier ne décrit aucune fiche : ajoutez une table [intake] ou [step].")
        if self.problems:
            raise FormFileError(sorted(self.problems, key=lambda p: p.line or 0))
        return forms

    def _toml(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as error:
            raise FormFileError([self._syntax(str(error))]) from None

    def _syntax(self, message: str) -> Problem:
        match = _TOML_POSITION.search(message)
        detail = _TOML_END.sub("", _TOML_POSITION.sub("", message))
        french = next((text for start, text in _TOML_FRENCH if detail.startswith(start)), "écriture non reconnue")
        text = f"le fichier n'est pas du TOML valide : {french} ({detail}). {_HINT}"
        if match:
            return Problem(self.source, int(match.group(1)), text, int(match.group(2)))
        return Problem(self.source, None, "à la fin du fichier, " + text)

    def _unknown_sheet(self, name: str, allowed: tuple[str, ...]) -> None:
        line = self.lines.table(name) or self._first_line(name)
        names = " et ".join(f"[{a}]" for a in allowed)
        if name in SHEETS:
            self.problem(
                line, f"la fiche [{name}] ne peut pas être adaptée par une structure ; seules {names} le peuvent."
            )
        else:
            self.problem(
                line, f"[{name}] n'est pas une fiche connue{_suggest(name, allowed)} ; seules {names} sont permises."
            )

    def _first_line(self, name: str) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(name)}\s*[=.]")
        return next((n for n, line in enumerate(self.lines.lines, 1) if pattern.match(line)), None)


_INVISIBLE = "contient un caractère invisible interdit (caractère de contrôle) : retapez ce texte."
_TOML_FRENCH = (
    ("Illegal character '\\n'", "un texte n'est pas fermé, il manque un guillemet en fin de ligne"),
    ("Unterminated string", "un texte n'est pas fermé, il manque un guillemet"),
    ("Illegal character", "caractère interdit dans un texte"),
    ("Invalid value", "valeur illisible (un texte s'écrit entre guillemets, true et false sans guillemets)"),
    ("Expected '=' after a key", "il manque le signe = après le nom de la propriété"),
    ("Cannot declare", "cette propriété ou cette table est déjà écrite plus haut"),
    ("Cannot overwrite a value", "cette propriété est déjà écrite plus haut dans le même bloc"),
    ("Unclosed array", "une liste n'est pas fermée, il manque ]"),
    ("Expected ']]'", "il manque ]] à la fin de l'en-tête"),
    ("Expected ']'", "il manque ] à la fin de l'en-tête"),
    ("Unescaped '\\'", "une barre oblique inverse \\ doit être doublée"),
    ("Expected newline", "du texte en trop après la valeur"),
    ("Invalid initial character for a key", "nom de propriété illisible"),
    ("Invalid statement", "ligne illisible"),
)
_HINT = "Vérifiez les guillemets, les crochets et le signe = sur cette ligne ou juste avant."


class _SheetReader:
    """Reads one sheet (``[intake]`` or ``[step]``), checking it against the default one."""

    def __init__(self, reader: _Reader, name: str, base: Form | None) -> None:
        self.reader = reader
        self.name = name
        self.base = base
        self.label = SHEET_NAMES[name]
        self.line = reader.lines.table(name)
        self.field_index = 0
        self.keys: list[str] = []
        self.key_lines: dict[str, list[int | None]] = {}
        self.fields: dict[str, Field] = {}

    def problem(self, line: int | None, message: str) -> None:
        self.reader.problem(line, f"{self.label}, {message}")

    def read(self, data: Any) -> Form | None:
        if not isinstance(data, dict):
            self.problem(self.line, "doit être une table : écrivez la ligne [" + self.name + "] seule.")
            return None
        self._unknown(data, SHEET_PROPERTIES, self.line, "la fiche")
        version = self._version(data.get("version"))
        title = self._title(data.get("title"))
        sections = self._sections(data.get("sections"))
        self._duplicates()
        self._core()
        if version is None or title is None or None in sections or not sections:
            return None
        return Form(self.name, title, version, tuple(s for s in sections if s is not None))

    def _version(self, value: Any) -> int | None:
        line = self.reader.lines.prop(self.line, "version")
        if value is None:
            self.problem(self.line, "le numéro de version est absent : ajoutez par exemple « version = 1 ».")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(line, f"la version doit être un nombre entier à partir de 1 (trouvé : {value!r}).")
        else:
            return value
        return None

    def _title(self, value: Any) -> str | None:
        if value is None and self.base is not None:
            return self.base.title
        if not isinstance(value, str) or not value.strip():
            self.problem(self.reader.lines.prop(self.line, "title"), "le titre (title) est absent ou vide.")
            return None
        if has_invalid(value):
            self.problem(self.reader.lines.prop(self.line, "title"), f"le titre {_INVISIBLE}")
        return value.strip()

    def _sections(self, value: Any) -> list[Section | None]:
        """Every section, None for a broken one: all are read so that every mistake is told."""
        if not isinstance(value, list) or not value:
            self.problem(self.line, f"aucune rubrique : ajoutez au moins un bloc [[{self.name}.sections]].")
            return []
        return [
            self._section(index, data, self.reader.lines.table(f"{self.name}.sections", index))
            for index, data in enumerate(value)
        ]

    def _section(self, index: int, data: Any, line: int | None) -> Section | None:
        where = f"rubrique n° {index + 1}"
        if not isinstance(data, dict):
            self.problem(line, f"{where} : écrivez-la comme un bloc [[{self.name}.sections]].")
            return None
        self._unknown(data, SECTION_PROPERTIES, line, where)
        title = data.get("title")
        if isinstance(title, str) and has_invalid(title):
            self.problem(self.reader.lines.prop(line, "title"), f"{where} : le titre {_INVISIBLE}")
        if not isinstance(title, str) or not title.strip():
            self.problem(self.reader.lines.prop(line, "title"), f"{where} : le titre (title) est absent ou vide.")
        else:
            where = f"rubrique « {title.strip()} »"
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            self.problem(line, f"{where} : aucun champ ; ajoutez au moins un bloc [[{self.name}.sections.fields]].")
            return None
        fields = [f for f in (self._field(raw) for raw in raw_fields) if f is not None]
        if len(fields) != len(raw_fields) or not isinstance(title, str) or not title.strip():
            return None
        return Section(title.strip(), tuple(fields))

    def _field(self, data: Any) -> Field | None:
        line = self.reader.lines.table(f"{self.name}.sections.fields", self.field_index)
        self.field_index += 1
        if not isinstance(data, dict):
            self.problem(line, f"un champ doit être écrit comme un bloc [[{self.name}.sections.fields]].")
            return None
        if isinstance(data.get("key"), str):
            self.keys.append(data["key"])
            self.key_lines.setdefault(data["key"], []).append(self.reader.lines.prop(line, "key"))
        spec = _FieldReader(self, data, line).read()
        if spec is not None:
            self.fields.setdefault(spec.key, spec)
        return spec

    def _unknown(self, data: dict[str, Any], known: tuple[str, ...], line: int | None, where: str) -> None:
        for name in data:
            if name not in known:
                at = self.reader.lines.prop(line, name)
                self.problem(at, f"{where} : la propriété « {name} » n'existe pas{_suggest(name, known)}.")

    def _duplicates(self) -> None:
        for key in sorted({k for k in self.keys if self.keys.count(k) > 1}):
            first = self._field_line(key, 0)
            also = f" (déjà utilisée ligne {first})" if first else ""
            self.problem(
                self._field_line(key, 1),
                f"champ « {key} » : cette clé est utilisée deux fois{also} ; chaque champ a sa propre clé.",
            )

    def _field_line(self, key: str, occurrence: int) -> int | None:
        lines = self.key_lines.get(key, [])
        return lines[occurrence] if occurrence < len(lines) else None

    def _core(self) -> None:
        """The common core: what exports and indicators rely on, the same in every structure."""
        if self.base is None:
            return
        core = {f.key: f for f in self.base.fields() if f.core}
        for key, spec in self.fields.items():
            if spec.core and key not in core:
                names = ", ".join(core)
                self.problem(
                    self._field_line(key, 0),
                    f"champ « {key} » : seuls les champs du socle commun ({names}) portent core = true.",
                )
        for key, wanted in core.items():
            mine = self.fields.get(key)
            if key not in self.keys:
                self.problem(
                    self.line,
                    f"le champ « {key} » ({wanted.label}) fait partie du socle commun : il ne peut pas être retiré. "
                    f"Remettez son bloc (son libellé peut changer).",
                )
            elif mine is None:
                continue
            elif mine.type != wanted.type:
                self.problem(
                    self._field_line(key, 0),
                    f"champ « {key} » : il fait partie du socle commun et doit rester de type « {wanted.type} » "
                    f"(trouvé « {mine.type} ») ; seuls son libellé et son aide peuvent changer.",
                )
            elif wanted.required and not mine.required:
                self.problem(
                    self._field_line(key, 0),
                    f"champ « {key} » : il fait partie du socle commun et doit rester obligatoire (required = true).",
                )
            elif mine.choices != wanted.choices:
                listed = ", ".join(f'"{c}"' for c in wanted.choices)
                self.problem(
                    self._field_line(key, 0),
                    f"champ « {key} » : il fait partie du socle commun ; ses choix doivent rester [{listed}].",
                )


class _FieldReader:
    """One ``[[….sections.fields]]`` block."""

    def __init__(self, sheet: _SheetReader, data: dict[str, Any], line: int | None) -> None:
        self.sheet = sheet
        self.data = data
        self.line = line
        self.ok = True
        key = data.get("key")
        self.where = f"champ « {key} »" if isinstance(key, str) and key else "champ sans clé"

    def problem(self, prop: str | None, message: str) -> None:
        self.ok = False
        line = self.sheet.reader.lines.prop(self.line, prop) if prop else self.line
        self.sheet.problem(line, f"{self.where} : {message}")

    def read(self) -> Field | None:
        for name in self.data:
            if name not in FIELD_PROPERTIES:
                self.problem(name, f"la propriété « {name} » n'existe pas{_suggest(name, FIELD_PROPERTIES)}.")
        key = self._key()
        label = self._text("label", required=True)
        help_text = self._text("help", required=False)
        kind = self._type()
        required = self._flag("required")
        core = self._flag("core")
        choices = self._choices(kind)
        default = self._default(kind, choices)
        if not self.ok:
            return None
        return Field(key, label, kind, required, core, help_text, choices, default)

    def _key(self) -> str:
        key = self.data.get("key")
        if key is None:
            self.problem(None, 'la clé (key) est absente : chaque champ a une clé, par exemple key = "permis".')
            return ""
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key) or len(key) > MAX_KEY:
            self.problem(
                "key",
                f"la clé {key!r} n'est pas valable : lettres minuscules sans accent, chiffres et « _ » "
                f"(un seul à la suite), en commençant par une lettre, {MAX_KEY} caractères au plus.",
            )
            return ""
        if key in RESERVED_KEYS:
            self.problem("key", f"la clé « {key} » est réservée au passeport ; choisissez-en une autre.")
        return key

    def _text(self, prop: str, required: bool) -> str:
        value = self.data.get(prop)
        if value is None and not required:
            return ""
        name = {"label": "le libellé (label)", "help": "l'aide (help)"}[prop]
        if not isinstance(value, str) or (required and not value.strip()):
            absent = value is None or (isinstance(value, str) and not value.strip())
            what = "est absent ou vide" if absent else "doit être un texte entre guillemets"
            self.problem(prop if value is not None else None, f"{name} {what}.")
            return ""
        if has_invalid(value):
            self.problem(prop, f"{name} {_INVISIBLE}")
        return value.strip()

    def _type(self) -> str:
        kind = self.data.get("type")
        listed = ", ".join(TYPES)
        if kind is None:
            self.problem(None, f"le type est absent. Types possibles : {listed}.")
            return ""
        if kind not in TYPES:
            self.problem(
                "type", f"le type « {kind} » n'existe pas{_suggest(str(kind), TYPES)}. Types possibles : {listed}."
            )
            return ""
        return kind

    def _flag(self, prop: str) -> bool:
        value = self.data.get(prop, False)
        if not isinstance(value, bool):
            self.problem(prop, f"{prop} vaut true ou false, sans guillemets (trouvé : {value!r}).")
            return False
        return value

    def _choices(self, kind: str) -> tuple[str, ...]:
        value = self.data.get("choices")
        if kind not in WITH_CHOICES:
            if value is not None and kind:
                self.problem("choices", f"choices ne sert qu'aux types choice et multichoice, pas au type « {kind} ».")
            return ()
        if value is None:
            self.problem(None, f'un champ de type « {kind} » a besoin de ses choix : ajoutez choices = ["…", "…"].')
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
            self.problem("choices", 'choices doit être une liste de textes non vides, par exemple ["Oui", "Non"].')
            return ()
        if any(has_invalid(c) for c in value):
            self.problem("choices", f"un des choix {_INVISIBLE}")
        doubles = sorted({c for c in value if value.count(c) > 1})
        if doubles:
            self.problem("choices", f"le choix « {doubles[0]} » est écrit deux fois.")
        return tuple(value)

    def _default(self, kind: str, choices: tuple[str, ...]) -> Any:
        if "default" not in self.data or not kind:
            return ""
        value = self.data["default"]
        wrong = _default_problem(kind, value, choices)
        if wrong:
            self.problem("default", f"valeur par défaut impossible : {wrong}.")
            return ""
        return value


def _default_problem(kind: str, value: Any, choices: tuple[str, ...]) -> str:
    """What is wrong with ``default`` for a field of type ``kind``; empty when it is fine."""
    if kind in ("structure", "referrals"):
        return f"le type « {kind} » n'en accepte pas"
    if kind == "yesno":
        return "" if isinstance(value, bool) else f"écrivez true ou false, sans guillemets (trouvé : {value!r})"
    if kind == "multichoice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return 'écrivez une liste de choix, par exemple ["…"]'
        outside = [v for v in value if v not in choices]
        return f"« {outside[0]} » ne fait pas partie des choix" if outside else ""
    if not isinstance(value, str):
        return f"écrivez un texte entre guillemets (trouvé : {value!r})"
    if kind == "choice" and value not in choices:
        return f"« {value} » ne fait pas partie des choix"
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"« {value} » n'est pas une date au format AAAA-MM-JJ (par exemple 2026-09-01)"
    return ""


def _suggest(word: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (vouliez-vous écrire « {close[0]} » ?)" if close else ""
