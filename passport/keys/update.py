"""``update``: put the current build on keys that came back, without touching the young person's data.

Only the program (``App/`` but the key's own ``App/DefaultData/``, and the
launchers) is replaced. ``Data/`` and ``Exports/`` are not opened for writing,
with one exception: when the data file was written by an older schema, a copy
is saved first and the app's own migration code brings it up to date.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from passport import migrations
from passport.keys import batch, install, layout, manifest, payload, space, state, targets, verify, volumes
from passport.keys.console import Progress, StaffError, confirm, say, table
from passport.keys.prepare import IN_USE, READ_ONLY, add_build_argument
from passport.keys.state import Kind
from passport.store import SLOT_NAMES, Store, survey

DESCRIPTION = """\
Met la version actuelle du passeport sur des clés déjà utilisées : le programme est remplacé, les
données du jeune (dossiers Data et Exports) ne sont pas modifiées. Si la nouvelle version range les
données autrement, elles sont d'abord copiées dans Data/ (sauvegarde) puis converties. Chaque clé
est vérifiée à la fin."""

EXAMPLES = """\
Exemples :
  python build_key.py update --target E:\\ --target F:\\
  python build_key.py update --into cles/ --yes"""

REFUSALS = {
    Kind.IN_USE: IN_USE,
    Kind.EMPTY: "est vide : ce n'est pas une clé du passeport (pour en faire une : « build_key.py prepare »)",
    Kind.NOT_A_KEY: "n'est pas une clé du passeport ({detail})",
    Kind.UNFINISHED_PREPARE: "sa préparation a été interrompue : relancez « build_key.py prepare »",
}


@dataclass(frozen=True)
class Job:
    root: Path
    found: state.State


def add_to(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "update",
        help="mettre la nouvelle version sur des clés, sans toucher aux données",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets.add_arguments(parser, verb="mettre à jour")
    add_build_argument(parser)
    parser.add_argument("--yes", action="store_true", help="ne pas demander de confirmation (pour les scripts)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    program = payload.load(args.build)
    jobs = [Job(root, state.inspect(root)) for root in targets.existing_keys(args)]
    if not jobs:
        raise StaffError("Aucune clé trouvée à mettre à jour.")
    _refuse(jobs)
    _check_space(jobs, program)
    if args.target and not confirm(_question(jobs), args.yes):
        say("Abandon : rien n'a été écrit.")
        return 2
    progress = Progress(program.size * len(jobs), len(jobs), "Mise à jour")
    volumes = len({space.device_of(job.root) for job in jobs})
    outcomes = batch.run(jobs, lambda job: _update(job, program, progress), lambda job: (str(job.root), ""), volumes)
    progress.close()
    outcomes = _finish(jobs, outcomes, durable=args.target is not None)
    say(batch.summary(outcomes, show_person=False))
    done = sum(o.ok for o in outcomes)
    say(f"\n{done} clé(s) à jour et vérifiée(s) sur {len(outcomes)}.")
    return batch.exit_code(outcomes)


def _refuse(jobs: list[Job]) -> None:
    refused = [
        [str(job.root), REFUSALS[job.found.kind].format(detail=job.found.detail)]
        for job in jobs
        if job.found.kind in REFUSALS
    ]
    refused += [[str(job.root), READ_ONLY] for job in jobs if space.read_only(job.root)]
    for job in jobs:
        if survey(job.root / layout.DATA).schema > migrations.CURRENT_SCHEMA:
            refused.append([str(job.root), "ses données viennent d'une version plus récente que celle-ci"])
    if refused:
        raise StaffError(f"{table(['Clé', 'Refusée parce qu’elle'], refused)}\n\nRien n'a été écrit.")


def _check_space(jobs: list[Job], program: payload.Program) -> None:
    problems = []
    for job in jobs:
        free, unit = space.free_and_unit(job.root)
        existing = [(job.root / f.path).stat().st_size for f in program.files if (job.root / f.path).is_file()]
        need = space.needed([f.size for f in program.files], existing, unit) - space.HEADROOM
        if free is None or need > free:
            problems.append(
                f"{job.root} : {'place libre inconnue' if free is None else f'{need // 1_000_000 + 1} Mo à ajouter'}"
            )
    if problems:
        raise StaffError("Place insuffisante :\n  " + "\n  ".join(problems) + "\n\nRien n'a été écrit.")


def _question(jobs: list[Job]) -> str:
    names = volumes.names()
    lines = [f"  {job.root}{names.get(job.root, '')}  ({job.found.kind.value})" for job in jobs]
    return (
        f"Le programme de ces {len(jobs)} clé(s) va être remplacé (les données restent) :\n" + "\n".join(lines) + "\n"
    )


def _update(job: Job, program: payload.Program, progress: Progress) -> batch.Outcome:
    root = job.root
    state.mark(root, state.UPDATE)
    old = job.found.manifest
    written = install.put([f for f in program.files if "/" in f.path], root, progress.advance, reuse=True)
    removed = _remove_stale(root, old, program)
    migrated = _migrate(root / layout.DATA)
    defaults = {path: payload.sha256_of(full) for path, full in layout.walk(root, layout.DEFAULT_DATA)}
    carried = manifest.Manifest(program.hashes() | defaults, old.seed if old else {}, old.identity if old else "")
    manifest.write(root, carried)
    written += install.put([f for f in program.files if "/" not in f.path], root, progress.advance, reuse=True)
    progress.key_done()
    done = [f"{written} fichier(s) remplacé(s)"]
    if removed:
        done.append(f"{removed} ancien(s) retiré(s)")
    if migrated:
        done.append(f"données converties (copie avant conversion : {migrated})")
    return batch.Outcome(str(root), "", True, "à jour", ", ".join(done))


def _remove_stale(root: Path, old: manifest.Manifest | None, program: payload.Program) -> int:
    """Remove program files the old version had and the new one does not: only files we put there."""
    if old is None:
        return 0
    keep = set(program.hashes())
    stale = [path for path in old.files if layout.is_program(path) and path not in keep]
    for path in stale:
        (root / path).unlink(missing_ok=True)
    for path in sorted({str(Path(p).parent) for p in stale}, key=len, reverse=True):
        folder = root / path
        if folder != root / layout.APP and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return len(stale)


def _migrate(data: Path) -> str:
    """Bring data written by an older schema up to date, after copying it aside; return the copy's name."""
    newest = survey(data).newest
    if newest is None or newest.schema >= migrations.CURRENT_SCHEMA or newest.sealed is not None:
        return ""  # an encrypted key is migrated by the app when the young person opens it
    backup = data / f"sauvegarde-avant-mise-a-jour-{datetime.now():%Y%m%d-%H%M%S}"
    backup.mkdir()
    for name in SLOT_NAMES:
        if (data / name).exists():
            install.copy_file(data / name, backup / name, flush=True)
    with Store(data) as opened:
        opened.persist()
    return f"{layout.DATA}/{backup.name}"


def _finish(jobs: list[Job], outcomes: list[batch.Outcome], durable: bool) -> list[batch.Outcome]:
    """Remove the markers once everything is on the keys, then verify every updated key."""
    if durable:
        install.settle()
    unmarked = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        if outcome.ok:
            try:
                state.unmark(job.root)
            except OSError as error:
                outcome = batch.Outcome(outcome.key, "", False, "ÉCHEC", batch.explain(error))
        unmarked.append(outcome)
    if durable:
        install.settle()
    pairs = list(zip(jobs, unmarked, strict=True))
    return batch.run(pairs, _verified, lambda pair: (pair[1].key, ""))


def _verified(pair: tuple[Job, batch.Outcome]) -> batch.Outcome:
    job, outcome = pair
    if not outcome.ok:
        return outcome
    result = verify.check(job.root)
    if not result.ok:
        return batch.Outcome(outcome.key, "", False, "ÉCHEC", f"après mise à jour : {result.reason}")
    return batch.Outcome(outcome.key, "", True, "à jour", f"{outcome.detail} ; vérifiée")
