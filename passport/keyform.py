"""The form a key carries: ``Data/formulaire.toml`` and ``Data/modele-bilan.docx``.

``build_key.py prepare`` copies the session's chosen form onto each key and must
call ``check`` before it writes any key. At start the app calls ``load``: a
broken form never stops the passport, the default one is used and the pages
say why. Staff can check a file alone with ``python -m passport.keyform``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from passport import formfile, forms, wordtemplate
from passport.formfile import FormFileError, Problem
from passport.forms import FormSet

FORM_FILE = "formulaire.toml"
TEMPLATE_FILE = "modele-bilan.docx"


@dataclass(frozen=True)
class KeyForms:
    """The forms the passport uses on this key, its Word template if any, and what went wrong."""

    forms: FormSet
    template: Path | None
    problems: tuple[Problem, ...] = ()


def load(data_dir: Path, default: FormSet | None = None) -> KeyForms:
    """The key's own form when it is valid, else the default form and the reasons."""
    default = default or forms.load()
    template = data_dir / TEMPLATE_FILE
    template_path = template if template.is_file() else None
    path = data_dir / FORM_FILE
    if not path.is_file():
        return KeyForms(default, template_path)
    try:
        return KeyForms(formfile.read_structure(path, default), template_path)
    except FormFileError as error:
        problems = tuple(replace(p, file=f"Data/{p.file}") for p in error.problems)
        return KeyForms(default, template_path, problems)


def check(form: Path | None, template: Path | None = None) -> list[Problem]:
    """Everything wrong with a structure's form and Word template; empty when both may go on keys."""
    default = forms.load()
    try:
        form_set = formfile.read_structure(form, default) if form else default
    except FormFileError as error:
        return error.problems
    if template is None:
        return []
    try:
        data = template.read_bytes()
    except OSError as error:
        return [Problem(template.name, None, f"impossible de lire le fichier ({error.strerror}).")]
    return [Problem(template.name, None, message) for message in wordtemplate.check(data, form_set)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m passport.keyform",
        description="Vérifie le formulaire d'une structure (et son modèle Word) avant de préparer des clés.",
    )
    parser.add_argument("formulaire", nargs="?", type=Path, help="fichier .toml du formulaire (par défaut : standard)")
    parser.add_argument("--modele", type=Path, help="modèle Word (.docx) de la fiche bilan")
    args = parser.parse_args(argv)
    problems = check(args.formulaire, args.modele)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} erreur(s) : corrigez le fichier puis relancez la vérification.")
        return 1
    print("Tout est bon : ce formulaire peut être mis sur les clés.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
