"""What PyNaCl adds to the one-file bundle: the passport built with it, and without it.

Both builds use the key's own spec (``packaging/passport.spec``: one file, stripped,
the same exclusions); the second is a copy of it that also leaves out ``nacl`` and
``cffi`` (it would not start, it is only weighed). Each build takes a minute or two
on 2 cores.

    .venv/bin/python bench/bench_bundle_protect.py [--dir PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SPEC = REPOSITORY / "packaging" / "passport.spec"
PROGRAM = "passeport"


def without_pynacl(folder: Path) -> Path:
    """A copy of the spec that excludes PyNaCl and cffi, still pointing at this repository."""
    text = SPEC.read_text(encoding="utf-8")
    text = text.replace("REPO = Path(SPECPATH).parent", f"REPO = Path({str(REPOSITORY)!r})")
    text = text.replace('hiddenimports=["_cffi_backend"]', "hiddenimports=[]")
    text = text.replace("EXCLUDES = [", 'EXCLUDES = ["nacl", "cffi", "_cffi_backend",')
    spec = folder / "without-pynacl.spec"
    spec.write_text(text, encoding="utf-8")
    return spec


def build(folder: Path, spec: Path) -> int:
    dist, work = folder / f"dist-{spec.stem}", folder / f"build-{spec.stem}"
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
        "--distpath", str(dist), "--workpath", str(work), str(spec),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPOSITORY)
    return (dist / PROGRAM).stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to build (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        with_nacl = build(Path(folder), SPEC)
        without = build(Path(folder), without_pynacl(Path(folder)))
    print("| one-file bundle | size (MB) |")
    print("|---|---:|")
    print(f"| without PyNaCl | {without / 1e6:.2f} |")
    print(f"| with PyNaCl | {with_nacl / 1e6:.2f} |")
    print(f"| added | {(with_nacl - without) / 1e6:+.2f} ({(with_nacl - without) / without:+.1%}) |")


if __name__ == "__main__":
    main()
