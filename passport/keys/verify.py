"""``verify``: is each key whole? Layout, every program file against the manifest, data readable.

Only counts and file names of the program are printed: never anything from
the young person's sheets.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from passport import migrations
from passport.keys import batch, layout, manifest, state, targets
from passport.keys.console import Progress, say
from passport.keys.payload import sha256_of
from passport.store import survey

SHOWN_PROBLEMS = 3


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str


def add_to(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "verify",
        help="vérifier des clés : programme intact, données lisibles",
        description="Vérifie chaque clé : tous les fichiers du programme sont là et intacts (comparés au "
        "manifeste écrit à la préparation), et les données du jeune sont lisibles. Rien n'est modifié, "
        "et rien de ce que le jeune a écrit n'est affiché. Résultat : OK ou ÉCHEC, avec la raison, pour chaque clé.",
        epilog="Exemples :\n  python build_key.py verify /media/PASSEPORT\n  python build_key.py verify --into cles/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets.add_arguments(parser, verb="vérifier")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    roots = targets.existing_keys(args)
    expected = sum(_program_size(root) for root in roots)
    progress = Progress(expected, len(roots), "Vérification")
    outcomes = batch.run(roots, lambda root: _outcome(root, progress), lambda root: (targets.shown(root), ""))
    progress.close()
    say(batch.summary(outcomes, show_person=False))
    failed = sum(not o.ok for o in outcomes)
    say(f"\n{len(outcomes) - failed} clé(s) OK, {failed} en échec." if outcomes else "Aucune clé à vérifier.")
    return batch.exit_code(outcomes)


def _outcome(root: Path, progress: Progress) -> batch.Outcome:
    result = check(root, progress.advance)
    progress.key_done()
    return batch.Outcome(targets.shown(root), "", result.ok, "OK" if result.ok else "ÉCHEC", result.reason)


def _program_size(root: Path) -> int:
    try:
        found = manifest.read(root)
    except manifest.ManifestError:
        return 0
    return sum((root / path).stat().st_size for path in found.files if (root / path).is_file())


def check(root: Path, advance: Callable[[int], None] = lambda _: None) -> Check:
    if not root.is_dir():
        return Check(False, "introuvable (clé débranchée ?)")
    operation = state.marker_operation(root)
    if operation is not None:
        command = "prepare" if operation == state.PREPARE else "update"
        what = "préparation" if operation == state.PREPARE else "mise à jour"
        return Check(False, f"{what} interrompue : relancez « build_key.py {command} »")
    try:
        found = manifest.read(root)
    except manifest.ManifestError as error:
        return Check(False, f"manifeste {error} ({layout.MANIFEST}) : clé non préparée par build_key.py ou abîmée")
    problems = _program_problems(root, found, advance) + _data_problems(root)
    if problems:
        more = f" (+{len(problems) - SHOWN_PROBLEMS} autre(s))" if len(problems) > SHOWN_PROBLEMS else ""
        return Check(False, "; ".join(problems[:SHOWN_PROBLEMS]) + more)
    return Check(True, f"{len(found.files)} fichiers intacts, données lisibles")


def _program_problems(root: Path, found: manifest.Manifest, advance: Callable[[int], None]) -> list[str]:
    problems = []
    for path, digest in found.files.items():
        full = root / path
        if not full.is_file():
            problems.append(f"fichier manquant : {path}")
            continue
        size = full.stat().st_size
        if sha256_of(full) != digest:
            problems.append(f"fichier modifié : {path}")
        advance(size)
    listed = set(found.files)
    for path, _ in layout.walk(root, layout.APP):
        if path not in listed and path != layout.MANIFEST and not layout.is_noise(path.rsplit("/", 1)[-1]):
            problems.append(f"fichier en trop : {path}")
    return problems


def _data_problems(root: Path) -> list[str]:
    data = root / layout.DATA
    if not data.is_dir():
        return [f"{layout.DATA}/ manque"]
    found = survey(data)
    if found.schema > migrations.CURRENT_SCHEMA:
        return ["données d'une version plus récente du passeport : utilisez un build_key.py plus récent"]
    if found.newest is None:
        return ["données illisibles (fichiers abîmés)" if found.present else "aucune donnée dans Data/"]
    return []
