"""``prepare``: make ready-to-hand-out keys for one session, in parallel, safely.

Everything is checked before the first byte is written (session file, roster,
build, each target's content, free space on each volume); a single problem
stops the run with nothing written. Each key carries a marker file while it is
being written, so an interrupted run is visible on the key and a re-run of the
same command finishes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from passport import forms, vault
from passport.keys import (
    batch,
    install,
    layout,
    manifest,
    payload,
    roster,
    seed,
    space,
    state,
    targets,
    verify,
    volumes,
)
from passport.keys import session as sessions
from passport.keys.console import Progress, StaffError, confirm, say, table
from passport.keys.state import Kind
from passport.records import Structure, load_directory
from passport.text import slug

DESCRIPTION = """\
Prépare des clés USB pour une session : le programme pour chaque système trouvé dans la version
construite (Windows, macOS, Linux), le mode d'emploi LISEZ-MOI.html, et les données de départ de
chaque jeune (son prénom, la structure, le ou la conseillère, les partenaires locaux).

Avant d'écrire quoi que ce soit, tout est vérifié : le fichier de session, la liste, la place libre
sur chaque clé. Une clé qui contient déjà les données d'un jeune est refusée (utilisez « update »),
tout comme un dossier non vide qui n'est pas une clé. Si la préparation est interrompue, relancez
simplement la même commande : elle termine les clés inachevées."""

EXAMPLES = """\
Exemples :
  python build_key.py prepare --session session.toml --roster jeunes.csv --target E:\\ --target F:\\
  python build_key.py prepare --session session.toml --count 20 --into cles/ --sheet liste-cles.docx

La liste (CSV, par exemple enregistrée depuis Excel) a une ligne par clé : le prénom, puis une
étiquette facultative (le numéro écrit sur la clé). Une première ligne « prénom;étiquette » est
acceptée. Un exemple de fichier de session : docs/exemple-session.toml."""


@dataclass(frozen=True)
class Job:
    root: Path
    person: roster.Person
    identity: str
    found: state.State


@dataclass(frozen=True)
class Batch:
    program: payload.Program
    session: sessions.Session
    form_set: forms.FormSet
    directory: list[Structure]
    progress: Progress
    durable: bool


def add_to(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "prepare",
        help="préparer des clés pour une session",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--session", required=True, type=Path, metavar="SESSION.toml", help="le fichier de session")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--roster", type=Path, metavar="LISTE.csv", help="la liste des jeunes : une ligne par clé")
    who.add_argument("--count", type=int, metavar="N", help="préparer N clés sans prénom (le jeune l'écrira)")
    targets.add_arguments(parser, verb="préparer")
    add_build_argument(parser)
    parser.add_argument(
        "--sheet",
        type=Path,
        metavar="FICHE.docx",
        help="la fiche Word des clés préparées, avec leurs codes de secours (par défaut, pour des clés "
        "protégées : à côté du fichier de session)",
    )
    parser.add_argument("--yes", action="store_true", help="ne pas demander de confirmation (pour les scripts)")
    parser.set_defaults(run=run)


def add_build_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--build",
        type=Path,
        default=layout.DEFAULT_BUILD,
        metavar="DOSSIER",
        help=f"la version construite du passeport (par défaut : {layout.DEFAULT_BUILD})",
    )


def run(args: argparse.Namespace) -> int:
    directory = load_directory()
    session = sessions.load(args.session, directory)
    people = _people(args)
    program = payload.load(args.build)
    jobs = _jobs(args, people, session)
    _refuse_unsafe(jobs)
    _check_space(jobs, program, session)
    if args.target and not confirm(_question(jobs), args.yes):
        say("Abandon : rien n'a été écrit.")
        return 2
    progress = Progress(program.size * len(jobs), len(jobs), "Préparation")
    durable = args.target is not None
    context = Batch(program, session, forms.load(), directory, progress, durable)
    volumes = len({space.device_of(job.root) for job in jobs})
    outcomes = batch.run(
        jobs, lambda job: _prepare(job, context), lambda job: (str(job.root), job.person.first_name), volumes
    )
    progress.close()
    if durable:
        outcomes = _finish(jobs, outcomes)
    say(batch.summary(outcomes))
    where = args.sheet or (_default_sheet(args.session, session) if session.protected else None)
    if where is not None:
        from passport.keys import sheet  # python-docx takes a while to import: only when asked

        sheet.write(where, session, [(job.person, outcome) for job, outcome in zip(jobs, outcomes, strict=True)])
        say(f"\nFiche Word des clés : {where}")
        if session.protected:
            say("Elle contient le code de secours de chaque clé, écrit nulle part ailleurs : rangez-la sous clé.")
    ready = sum(o.ok for o in outcomes)
    say(f"\n{ready} clé(s) prête(s) sur {len(outcomes)}.")
    if ready < len(outcomes):
        say("Pour les clés en échec : corrigez la cause indiquée, puis relancez la même commande.")
    return batch.exit_code(outcomes)


def _default_sheet(session_file: Path, session: sessions.Session) -> Path:
    """Protected keys always get their sheet: without it, a forgotten phrase could not be reset."""
    return session_file.parent / f"cles-{slug(session.name, 'session')}-{datetime.now():%Y%m%d-%H%M%S}.docx"


def _people(args: argparse.Namespace) -> list[roster.Person]:
    if args.roster is not None:
        return roster.read(args.roster)
    if args.count is not None:
        return roster.numbered(args.count)
    if args.target:
        return roster.numbered(len(args.target))
    raise StaffError("Indiquez la liste des jeunes (--roster LISTE.csv) ou le nombre de clés (--count N).")


def _jobs(args: argparse.Namespace, people: list[roster.Person], session: sessions.Session) -> list[Job]:
    if args.into is not None:
        roots = [args.into / folder_name(number, person, len(people)) for number, person in enumerate(people, 1)]
    else:
        roots = targets.unique(args.target)
        missing = [str(root) for root in roots if not root.is_dir()]
        if missing:
            raise StaffError(f"Introuvable (clé débranchée ou mal nommée ?) : {', '.join(missing)}")
        if len(roots) != len(people):
            raise StaffError(
                f"{len(people)} jeune(s) dans la liste pour {len(roots)} clé(s) : "
                "il faut autant de --target que de lignes."
            )
    base = session.fingerprint()
    return [
        Job(root, person, _identity(base, person), state.inspect(root))
        for root, person in zip(roots, people, strict=True)
    ]


def folder_name(number: int, person: roster.Person, total: int) -> str:
    """``cle-07`` or ``cle-07-b12`` with the label: no first name in folder names."""
    digits = max(2, len(str(total)))
    suffix = f"-{slug(person.label, '')}" if person.label and slug(person.label, "") else ""
    return f"cle-{number:0{digits}d}{suffix}"


def _identity(base: str, person: roster.Person) -> str:
    return hashlib.sha256(f"{base}\n{person.first_name}\n{person.label}".encode()).hexdigest()


IN_USE = "est ouverte dans le passeport en ce moment : cliquez sur « Terminer » dans le passeport, puis relancez"
REFUSALS = {
    Kind.IN_USE: IN_USE,
    Kind.HOLDS_DATA: "contient les données d'un jeune ({detail}) : pour lui mettre la nouvelle version, "
    "utilisez « build_key.py update »",
    Kind.UNFINISHED_UPDATE: "sa mise à jour a été interrompue : relancez « build_key.py update »",
    Kind.NOT_A_KEY: "n'est pas vide et n'est pas une clé du passeport ({detail}) : choisissez une clé vide",
}
READ_ONLY = "est protégée en écriture : vérifiez le petit bouton de verrouillage sur le côté de la clé"


def _refuse_unsafe(jobs: list[Job]) -> None:
    refused = [
        (job, REFUSALS[job.found.kind].format(detail=job.found.detail)) for job in jobs if job.found.kind in REFUSALS
    ]
    refused += [(job, READ_ONLY) for job in jobs if space.read_only(job.root)]
    if refused:
        rows = [[str(job.root), job.person.first_name or "—", reason] for job, reason in refused]
        raise StaffError(f"{table(['Clé', 'Prénom', 'Refusée parce qu’elle'], rows)}\n\nRien n'a été écrit.")


def _check_space(jobs: list[Job], program: payload.Program, session: sessions.Session) -> None:
    by_device: dict[int, list[Job]] = defaultdict(list)
    for job in jobs:
        by_device[space.device_of(job.root)].append(job)
    extra = [path.stat().st_size for path in session.extra_files().values() if path is not None]
    sizes = [f.size for f in program.files] + extra + extra  # once in Data/, once in App/DefaultData/
    problems = []
    for group in by_device.values():
        free, unit = space.free_and_unit(group[0].root)
        need = sum(space.needed(sizes, _existing_sizes(job, program), unit) for job in group)
        where = space.existing_ancestor(group[0].root)
        if free is None:
            problems.append(f"{where} : impossible de connaître la place libre sur ce volume")
        elif need > free:
            problems.append(f"{where} : {_mb(need)} nécessaires pour {len(group)} clé(s), {_mb(free)} libres")
    if problems:
        raise StaffError("Place insuffisante :\n  " + "\n  ".join(problems) + "\n\nRien n'a été écrit.")


def _existing_sizes(job: Job, program: payload.Program) -> list[int]:
    if job.found.kind is Kind.EMPTY:
        return []
    root, sizes = job.root, []
    for item in program.files:
        full = root / item.path
        if full.is_file():
            sizes.append(full.stat().st_size)
    return sizes


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} Mo".replace(".", ",")


def _question(jobs: list[Job]) -> str:
    names = volumes.names()
    lines = [f"  {job.root}{names.get(job.root, '')}  ({job.found.kind.value}{_free(job.root)})" for job in jobs]
    return f"Ces {len(jobs)} volume(s) vont être écrits :\n" + "\n".join(lines) + "\n"


def _free(root: Path) -> str:
    free, _ = space.free_and_unit(root)
    return f", {_mb(free)} libres" if free is not None else ""


def _prepare(job: Job, context: Batch) -> batch.Outcome:
    shown, first_name = str(job.root), job.person.first_name
    if _already_done(job):
        context.progress.advance(context.program.size)
        context.progress.key_done()
        return batch.Outcome(shown, first_name, True, "déjà prête", "vérifiée, rien à refaire")
    recovery = vault.new_recovery_code() if context.session.protected else ""
    _write_key(job, context, recovery)
    if not context.durable:
        state.unmark(job.root)  # a folder: finished as soon as written (see install.settle)
    context.progress.key_done()
    systems = ", ".join(context.program.systems)
    again = "terminée" if job.found.kind is Kind.UNFINISHED_PREPARE else "prête"
    detail = f"programme ({systems}), données de départ{' protégées' if recovery else ''}, {layout.README}"
    return batch.Outcome(shown, first_name, True, again, detail, recovery)


def _already_done(job: Job) -> bool:
    found = job.found
    return (
        found.kind is Kind.UNUSED
        and found.manifest is not None
        and found.manifest.identity == job.identity
        and verify.check(job.root).ok
    )


def _write_key(job: Job, context: Batch, recovery: str) -> None:
    root, program = job.root, context.program
    state.mark(root, state.PREPARE)
    (root / layout.MANIFEST).unlink(missing_ok=True)
    for ours in (layout.DEFAULT_DATA, layout.DATA):
        if (root / ours).exists():
            shutil.rmtree(root / ours)  # never a young person's data: inspect() said so
    reuse = job.found.kind is not Kind.EMPTY
    app_files = [f for f in program.files if "/" in f.path]
    install.put(app_files, root, context.progress.advance, reuse)
    _seed(job, context, recovery)
    defaults = {path: payload.sha256_of(full) for path, full in layout.walk(root, layout.DEFAULT_DATA)}
    manifest.write(root, manifest.Manifest(program.hashes() | defaults, state.seed_hashes(root), job.identity))
    install.put([f for f in program.files if "/" not in f.path], root, context.progress.advance, reuse)


def _seed(job: Job, context: Batch, recovery: str) -> None:
    files = seed.seed(job.person, context.session, context.form_set, context.directory, recovery)
    # Data/ starts as a copy of DefaultData/, as when the app finds Data/ missing. On a protected
    # key the program's folder keeps no first name: Data/ is encrypted at the first start, App/ never.
    anonymous = dataclasses.replace(job.person, first_name="")
    defaults = (
        seed.seed(anonymous, context.session, context.form_set, context.directory, recovery) if recovery else files
    )
    for folder, seeded in ((layout.DEFAULT_DATA, defaults), (layout.DATA, files)):
        (job.root / folder).mkdir(parents=True)
        for name, data in seeded.items():
            install.write_new(job.root / folder / name, data)
        for name, source in context.session.extra_files().items():
            if source is not None:
                install.copy_file(source, job.root / folder / name)
    (job.root / layout.EXPORTS).mkdir(exist_ok=True)


def _finish(jobs: list[Job], outcomes: list[batch.Outcome]) -> list[batch.Outcome]:
    """Only once every byte has left the PC's cache does a USB key lose its "incomplete" marker."""
    install.settle()
    finished = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        if outcome.ok:
            try:
                state.unmark(job.root)
            except OSError as error:
                outcome = batch.Outcome(outcome.key, outcome.person, False, "ÉCHEC", batch.explain(error))
        finished.append(outcome)
    install.settle()
    return finished
