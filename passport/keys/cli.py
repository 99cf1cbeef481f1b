"""The staff command line behind ``build_key.py``: one subcommand per module.

A subcommand is a module with ``add_to(subparsers)`` that sets ``run`` on its
parser; listing it in ``SUBCOMMANDS`` is all it takes to add one. Only the module
of the command asked for is imported (some bring python-docx, slow to import);
the overview (``--help``) imports them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

from passport.keys.console import StaffError, warn

SUBCOMMANDS = {
    "prepare": "passport.keys.prepare",
    "verify": "passport.keys.verify",
    "update": "passport.keys.update",
    "list": "passport.keys.volumes",
    "collect": "passport.keys.collect",
}

DESCRIPTION = """\
Préparer, vérifier et mettre à jour les clés USB du passeport.

Les étapes habituelles :
  1. python build_key.py list                      voir les clés branchées
  2. python build_key.py prepare ...               préparer les clés d'une session
  3. python build_key.py verify ...                vérifier des clés
  4. python build_key.py update ...                mettre la nouvelle version sur des clés revenues
  5. python build_key.py collect ...               compter les orientations par mois (sans nom)

Le détail de chaque commande : python build_key.py prepare --help (par exemple).
Le guide complet : docs/guide-equipe.md."""

# argparse's own words, for staff who read no English. argparse looks its ``_`` up
# at each call, so replacing it translates usage lines, help and errors alike.
FRENCH = {
    "usage: ": "Utilisation : ",
    "options": "options",
    "positional arguments": "arguments",
    "show this help message and exit": "afficher cette aide",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "à indiquer : %s",
    "one of the arguments %s is required": "indiquez l'un de ceux-ci : %s",
    "not allowed with argument %s": "impossible avec %s",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s : %(message)s",
    "expected one argument": "une valeur est attendue après",
    "invalid %(type)s value: %(value)r": "valeur non valable : %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "commande inconnue : %(value)r (possibles : %(choices)s)",
    "unrecognized arguments: %s": "arguments inconnus : %s",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s (%(matches)s ?)",
}


class Parser(argparse.ArgumentParser):
    """argparse with ``--aide`` beside ``-h`` and ``--help``, for every command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "add_help": False})
        self.add_argument("-h", "--aide", "--help", action="help", help="afficher cette aide")


def parser(command: str | None = None) -> argparse.ArgumentParser:
    argparse._ = lambda text: FRENCH.get(text, text)  # type: ignore[attr-defined]
    top = Parser(prog="build_key.py", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(title="commandes", metavar="COMMANDE", required=True, parser_class=Parser)
    for name, module in SUBCOMMANDS.items():
        if command in (None, name):
            importlib.import_module(module).add_to(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(next((word for word in argv[:1] if word in SUBCOMMANDS), None)).parse_args(argv)
    try:
        return args.run(args)
    except StaffError as error:
        warn(f"\n{error}")
        return 2
    except KeyboardInterrupt:
        warn("\nInterrompu. Les clés inachevées portent le fichier CLE-INCOMPLETE.txt : relancez la même commande.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
