"""Build this system's program with PyInstaller and lay out a complete key folder.

    python -m passport.build OUT                  (what scripts/build-key.sh runs)
    python -m passport.build OUT --windows        (+ the Windows program, built under Wine)
    python -m passport.build OUT --windows DIR    (+ a Windows program built and signed on Windows)

A build takes about a minute, so the result is kept in ``build/bundle/`` under
a digest of everything that goes into it; the same inputs give the same file
back at once (tests and benchmarks rely on that).
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from passport import keylayout
from passport.keyroot import REPOSITORY

SPEC = REPOSITORY / "packaging" / "passport.spec"
CACHE = REPOSITORY / "build" / "bundle"
INPUTS = ("passport", "templates", "packaging/passport.spec", "pyproject.toml", "constraints.txt")
NOT_INPUTS = {"__pycache__", ".pyc"}
WINDOWS_SCRIPT = REPOSITORY / "scripts" / "build-windows.sh"
WINDOWS_BUILD = REPOSITORY / "dist" / "windows" / "Passeport"
UNDER_WINE = "wine"


def inputs_digest() -> str:
    """A digest of the sources, templates, spec, pins and interpreter a build depends on."""
    digest = hashlib.sha256(f"{sys.version}|{platform.machine()}|{sys.platform}".encode())
    for name in INPUTS:
        path = REPOSITORY / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and not NOT_INPUTS & {file.suffix, *file.parts}:
                digest.update(file.relative_to(REPOSITORY).as_posix().encode() + b"\0")
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def build_program(force: bool = False) -> Path:
    """This system's one-file program (Linux, macOS), built only when an input changed."""
    if sys.platform == "win32":
        raise SystemExit("Sous Windows, utilisez PyInstaller avec packaging/passport.spec (voir docs/key.md).")
    if shutil.which("strip") is None:
        raise SystemExit("Il manque l'outil « strip » (paquet Debian binutils) pour construire le programme.")
    digest = inputs_digest()
    program = CACHE / digest / "passeport"
    if program.is_file() and not force:
        return program
    work = REPOSITORY / "build" / "pyinstaller"
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
         "--distpath", str(work / "dist"), "--workpath", str(work / "work"), str(SPEC)],
        check=True,
        cwd=REPOSITORY,
    )  # fmt: skip
    shutil.rmtree(CACHE, ignore_errors=True)  # only the newest build is worth keeping
    program.parent.mkdir(parents=True)
    shutil.move(work / "dist" / "passeport", program)
    shutil.rmtree(work, ignore_errors=True)
    return program


def build_windows() -> Path:
    """The Windows one-folder program (``Passeport.exe`` and ``App/``), built under Wine.

    scripts/build-windows.sh keeps what it fetches in ``.cache/windows/`` and returns at
    once when nothing changed (docs/windows.md).
    """
    subprocess.run(["bash", str(WINDOWS_SCRIPT)], check=True, cwd=REPOSITORY)
    return WINDOWS_BUILD


def windows_program(choice: str) -> Path:
    """The Windows program asked for on the command line: built here, or found in a folder."""
    if choice == UNDER_WINE:
        return build_windows()
    folder = Path(choice)
    if not (folder / "Passeport.exe").is_file() or not (folder / "App").is_dir():
        raise SystemExit(f"Pas de programme Windows dans {folder} : il faut Passeport.exe et son dossier App.")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m passport.build", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="dossier où préparer la clé (par exemple la clé elle-même)")
    parser.add_argument("--force", action="store_true", help="reconstruire même si rien n'a changé")
    parser.add_argument(
        "--windows",
        nargs="?",
        const=UNDER_WINE,
        metavar="DOSSIER",
        help="ajouter le programme Windows : construit ici sous Wine, ou celui de DOSSIER (Passeport.exe et App)",
    )
    args = parser.parse_args(argv)
    programs = {keylayout.WINDOWS: windows_program(args.windows)} if args.windows else {}
    program = build_program(force=args.force)
    programs[keylayout.this_system()] = program
    key = keylayout.assemble(args.out, programs)
    size = program.stat().st_size / 1e6
    print(f"Clé prête dans {key.root} (programmes : {', '.join(sorted(programs))} ; {size:.1f} Mo pour ce système).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
