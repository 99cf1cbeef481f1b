"""What PyNaCl adds to the one-file bundle: the passport built with it, and without it.

Both builds use PyInstaller's one-file mode on ``passport/__main__.py``; the second
excludes ``nacl`` and ``cffi`` (it would not start, it is only weighed). Each build
takes a minute or two on 2 cores.

    .venv/bin/python bench/bench_bundle_protect.py [--dir PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
ENTRY = REPOSITORY / "passport" / "__main__.py"
WITHOUT = ["--exclude-module", "nacl", "--exclude-module", "cffi", "--exclude-module", "_cffi_backend"]


def build(folder: Path, name: str, extra: list[str]) -> int:
    command = [
        sys.executable, "-m", "PyInstaller", "--onefile", "--noconfirm", "--log-level", "ERROR",
        "--name", name, "--distpath", str(folder / "dist"), "--workpath", str(folder / "build"),
        "--specpath", str(folder), *extra, str(ENTRY),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPOSITORY)
    return (folder / "dist" / name).stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to build (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        with_nacl = build(Path(folder), "with-pynacl", [])
        without = build(Path(folder), "without-pynacl", WITHOUT)
    print("| one-file bundle | size (MB) |")
    print("|---|---:|")
    print(f"| without PyNaCl | {without / 1e6:.2f} |")
    print(f"| with PyNaCl | {with_nacl / 1e6:.2f} |")
    print(f"| added | {(with_nacl - without) / 1e6:+.2f} ({(with_nacl - without) / without:+.1%}) |")


if __name__ == "__main__":
    main()
