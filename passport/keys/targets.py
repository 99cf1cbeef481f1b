"""Where the keys are: volumes named one by one (``--target``) or key folders inside one folder (``--into``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from passport.keys import layout
from passport.keys.console import StaffError


def add_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--target",
        action="append",
        type=Path,
        metavar="CLÉ",
        help=f"une clé branchée à {verb} (son dossier, par ex. E:\\ ou /media/PASSEPORT) ; "
        "répétez --target pour chaque clé. « python build_key.py list » montre les clés branchées.",
    )
    where.add_argument(
        "--into", type=Path, metavar="DOSSIER", help=f"{verb} les clés rangées comme dossiers dans DOSSIER"
    )


def existing_keys(args: argparse.Namespace) -> list[Path]:
    """The keys named on the command line; refuse a name that is not there rather than guess."""
    if args.into is not None:
        if not args.into.is_dir():
            raise StaffError(f"Dossier introuvable : {args.into}")
        return sorted(folder for folder in args.into.iterdir() if folder.is_dir() and looks_like_key(folder))
    missing = [str(target) for target in args.target if not target.is_dir()]
    if missing:
        raise StaffError(f"Introuvable (clé débranchée ou mal nommée ?) : {', '.join(missing)}")
    return unique(args.target)


def looks_like_key(folder: Path) -> bool:
    return any((folder / name).exists() for name in (layout.APP, layout.DATA, layout.MARKER))


def unique(paths: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen:
            raise StaffError(f"La même clé est donnée deux fois : {path}")
        seen.add(resolved)
    return list(paths)


def shown(root: Path) -> str:
    return str(root)
