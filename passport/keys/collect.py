"""``build_key.py collect``: the monthly referral table from keys, without retyping, without names.

It reads each key's anonymous summary (``Data/indicateurs.json``) and never the
data file, so it works on protected keys and cannot leak what a key holds. Keys,
folders of keys and summary files copied from keys can be mixed: a key met twice
counts once, its newer summary holding.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from passport import indicators
from passport.keys import chart, report, tally
from passport.records import load_directory
from passport.store import SLOT_NAMES

OUTPUTS = ("indicateurs.csv", "indicateurs.docx", "indicateurs.html")
OTHER_NAME = "Autre structure (ajoutée sur la clé)"
NOT_GIVEN_NAME = "Non indiqué"
DESCRIPTION = """\
Compte les personnes orientées vers une autre structure, mois par mois, à partir des clés.
Seul le résumé anonyme de chaque clé est lu (Data/indicateurs.json) : aucun nom, aucune date précise.
Écrit indicateurs.csv (tableur), indicateurs.docx (Word) et indicateurs.html (navigateur)."""
EXAMPLES = """\
Exemples :
  build_key.py collect E:\\ F:\\
  build_key.py collect cles-rendues/ --structure CIO --depuis 2015-01 --jusqu-a 2015-12
  build_key.py collect copies/*.json --sortie rapports/"""


class _Parser(argparse.ArgumentParser):
    """argparse, speaking French to staff."""

    _WORDS = (
        ("usage: ", "Utilisation : "),
        ("positional arguments:", "Arguments :"),
        ("options:", "Options :"),
        ("unrecognized arguments:", "option inconnue :"),
        ("expected one argument", "il manque une valeur après cette option"),
        ("argument ", "option "),
    )

    def format_help(self) -> str:
        return self._french(super().format_help())

    def format_usage(self) -> str:
        return self._french(super().format_usage())

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.format_usage()}Erreur : {self._french(message)}\n")

    def _french(self, text: str) -> str:
        for english, french in self._WORDS:
            text = text.replace(english, french)
        return text


def _month(value: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
        raise argparse.ArgumentTypeError(f"« {value} » n'est pas un mois : écrivez-le comme ceci : 2015-01")
    return value.strip()


def add_to(commands: argparse._SubParsersAction) -> None:
    """Register ``collect`` on the subcommand parsers of ``build_key.py``."""
    command = commands.add_parser(
        "collect",
        help="compter les orientations par mois à partir des clés (sans données personnelles)",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(command)
    command.set_defaults(run=run)


def parser() -> argparse.ArgumentParser:
    """The command's own parser, for ``main``."""
    command = _Parser(
        prog="build_key.py collect",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    _arguments(command)
    command.add_argument("-h", "--aide", "--help", action="help", help="afficher cette aide")
    return command


def _arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("chemins", nargs="*", metavar="CLÉ_OU_DOSSIER", help="clés, dossiers de clés, résumés copiés")
    command.add_argument("--structure", action="append", default=[], metavar="STRUCTURE",
                         help="ne compter que les fiches de cette structure (nom ou code ; répétable)")  # fmt: skip
    command.add_argument("--depuis", type=_month, default=None, metavar="AAAA-MM", help="premier mois compté")
    command.add_argument("--jusqu-a", dest="until", type=_month, default=None, metavar="AAAA-MM",
                         help="dernier mois compté")  # fmt: skip
    command.add_argument("--sortie", type=Path, default=Path("."), metavar="DOSSIER",
                         help="où écrire les trois fichiers (par défaut : le dossier courant)")  # fmt: skip


@dataclass
class Found:
    """What the paths given on the command line hold."""

    summaries: list[indicators.Summary] = field(default_factory=list)
    empty_keys: int = 0  # keys with no intake sheet yet, so no summary
    problems: list[str] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    directory = load_directory()
    names = {s.id: s.name for s in directory}
    names.update({indicators.OTHER: OTHER_NAME, tally.NOT_GIVEN: NOT_GIVEN_NAME})
    try:
        origins = frozenset(_structure(name, names) for name in args.structure)
    except LookupError as error:
        return _fail(str(error))
    if args.depuis and args.until and args.depuis > args.until:
        return _fail(f"--depuis {args.depuis} est après --jusqu-a {args.until}.")
    if not args.chemins:
        return _fail("indiquez au moins une clé, un dossier de clés ou un résumé copié.")
    missing = [path for path in args.chemins if not Path(path).exists()]
    if missing:
        return _fail("introuvable : " + ", ".join(missing))
    found = Found()
    for path in args.chemins:
        _gather(Path(path), found, explicit=True)
    for problem in found.problems:
        print(f"Attention : {problem} — ignoré.", file=sys.stderr)
    if not found.summaries:
        return _fail("aucun résumé d'indicateurs trouvé : ces clés n'ont encore aucune fiche bilan.")
    merged = tally.merge(found.summaries)
    order = [s.id for s in directory] + [indicators.OTHER]
    table = tally.count(merged, tally.Filters(origins, args.depuis or "", args.until or ""), order)
    destinations = [s for s in tally.in_order(table.total.destinations, order) if s != tally.NOT_GIVEN]
    result = report.Report(table, names, destinations, len(merged), _scope(args, origins, names))
    try:
        written = _write(result, args.sortie)
    except OSError as error:
        return _fail(f"impossible d'écrire dans {args.sortie} ({error.strerror or error}).")
    _tell(found, merged, table, written)
    return 0


def _structure(given: str, names: dict[str, str]) -> str:
    wanted = given.strip().casefold()
    for structure_id, name in names.items():
        if structure_id and wanted in (structure_id.casefold(), name.casefold()):
            return structure_id
    choices = ", ".join(f"{name} ({structure_id})" for structure_id, name in names.items() if structure_id)
    raise LookupError(f"structure inconnue : « {given} ». Structures possibles : {choices}.")


def _gather(path: Path, found: Found, explicit: bool = False) -> None:
    """Collect summaries from a summary file, a key, a key's Data folder or a folder of them."""
    if path.is_file():
        _read(path, found, explicit)
        return
    for folder, subfolders, files in os.walk(path):
        here = Path(folder)
        data = _data_folder(here)
        if data is not None:
            summary = data / indicators.FILE_NAME
            if summary.is_file():
                _read(summary, found, explicit=True)
            else:
                found.empty_keys += 1
            subfolders.clear()  # never look further into a key: its data is not ours to read
            continue
        subfolders[:] = sorted(name for name in subfolders if not name.startswith((".", "$")))
        for name in sorted(files):
            if name.lower().endswith(".json"):
                _read(here / name, found, explicit=False)


def _data_folder(folder: Path) -> Path | None:
    """The key's ``Data/`` when ``folder`` is a key or its ``Data/`` itself."""
    if (folder / "Data").is_dir():
        return folder / "Data"
    if any((folder / name).exists() for name in SLOT_NAMES):
        return folder
    return None


def _read(path: Path, found: Found, explicit: bool) -> None:
    """Read one summary; a stray JSON file met in a folder is passed over in silence."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        found.problems.append(f"{path} : illisible ({error.strerror or error})")
        return
    try:
        found.summaries.append(indicators.decode(raw))
    except indicators.SummaryError as error:
        if explicit or _looks_like_summary(raw):
            found.problems.append(f"{path} : {error}")


def _looks_like_summary(raw: bytes) -> bool:
    return indicators.FORMAT.encode() in raw[:200]


def _scope(args: argparse.Namespace, origins: frozenset[str], names: dict[str, str]) -> tuple[str, ...]:
    structures = ", ".join(sorted(names[s] for s in origins)) if origins else "toutes"
    first, last = (report.month_name(month).lower() if month else "" for month in (args.depuis, args.until))
    period = {
        (False, False): "tous les mois",
        (True, False): f"à partir de {first}",
        (False, True): f"jusqu'à {last}",
        (True, True): f"de {first} à {last}",
    }[(bool(first), bool(last))]
    return (f"Structure qui a rempli la fiche bilan : {structures}.", f"Période : {period}.")


def _write(result: report.Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    drawing = chart.layout(result.table.rows, result.legend)
    contents = (
        report.csv_bytes(result),
        report.docx_bytes(result, drawing),
        report.html_text(result, drawing).encode(),
    )
    written = []
    for name, data in zip(OUTPUTS, contents, strict=True):
        (folder / name).write_bytes(data)
        written.append(folder / name)
    return written


def _tell(found: Found, merged: dict[str, indicators.Summary], table: tally.Table, written: list[Path]) -> None:
    twice = len(found.summaries) - len(merged)
    print(f"Lu : {len(found.summaries)} résumé(s), {len(merged)} clé(s) différente(s)", end="")
    print(f", {twice} en double compté(s) une seule fois" if twice else "", end="")
    print(f" ; {found.empty_keys} clé(s) sans fiche bilan." if found.empty_keys else ".")
    total = table.total
    print(f"Compté : {total.directed} personne(s) orientée(s) sur {len(table.rows)} mois", end="")
    print(f", dont {total.several} vers plusieurs structures.")
    print("Écrit :")
    for path in written:
        print(f"  {path}")


def _fail(message: str) -> int:
    print(f"Erreur : {message}", file=sys.stderr)
    return 1
