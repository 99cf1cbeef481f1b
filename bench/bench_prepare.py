"""Preparing 50 keys into folders with build_key.py, against ``cp -r`` of the same payload, side by side.

The payload is the build output (``--build``, e.g. the folder ``python -m passport.build``
assembles) or, by default, a synthetic one shaped like a three-system key: a 20 MB
one-file program each for Linux and macOS and a Windows one-folder program of 300 files
totalling 30 MB.

``cp -r`` copies the payload once per key and nothing else; build_key.py also seeds each
key's data through the app's own storage and writes its manifest. Key folders
(``--into``) are left for the OS to flush, like ``cp -r`` leaves them; keys given as
``--target`` (USB keys, pulled out right after) are synced before build_key.py says they
are ready, so that case is timed too, against ``cp -r`` then ``sync``. Rounds alternate
(baseline, ours, baseline, ours…) so that machine noise hits both alike; medians are
reported.

    .venv/bin/python bench/bench_prepare.py [--keys 50] [--rounds 3] [--build DIR] [--dir PATH]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from passport.keyroot import REPOSITORY

SESSION = REPOSITORY / "docs" / "exemple-session.toml"


def synthetic_build(folder: Path) -> Path:
    rng = random.Random(7)
    files = {
        "LISEZ-MOI.html": rng.randbytes(12_000),
        "Passeport": b'#!/bin/sh\nexec "$(dirname "$0")/App/linux/passeport" "$@"\n',
        "Passeport.command": b'#!/bin/sh\nexec "$(dirname "$0")/App/macos/passeport" "$@"\n',
        "Passeport.exe": rng.randbytes(2_000_000),
        "App/linux/passeport": rng.randbytes(20_000_000),
        "App/macos/passeport": rng.randbytes(20_000_000),
    }
    sizes = [rng.randint(1_000, 180_000) for _ in range(300)]
    scale = 28_000_000 / sum(sizes)
    for number, size in enumerate(sizes):
        files[f"App/lib/module{number:03d}.pyd"] = rng.randbytes(int(size * scale))
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def copy_all(build: Path, out: Path, keys: int, then_sync: bool) -> None:
    out.mkdir()
    for number in range(1, keys + 1):
        subprocess.run(["cp", "-r", str(build), str(out / f"cle-{number:02d}")], check=True)
    if then_sync:
        subprocess.run(["sync"], check=True)


def prepare_all(build: Path, out: Path, keys: int, as_targets: bool) -> None:
    command = [sys.executable, "build_key.py", "prepare", "--session", str(SESSION), "--count", str(keys)]
    command += ["--build", str(build), "--sheet", str(out.with_name(out.name + "-fiche.docx"))]
    if as_targets:
        out.mkdir()
        for number in range(1, keys + 1):
            (out / f"cle-{number:02d}").mkdir()
            command += ["--target", str(out / f"cle-{number:02d}")]
        command += ["--yes"]
    else:
        command += ["--into", str(out)]
    subprocess.run(command, check=True, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build", type=Path, help="a build output; default: a synthetic three-system payload")
    parser.add_argument("--dir", type=Path, help="where to write the keys (default: the OS temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as temporary:
        work = Path(temporary)
        build = args.build or synthetic_build(work / "build")
        payload = sum(f.stat().st_size for f in build.rglob("*") if f.is_file())
        subprocess.run(["sync"], check=True)
        times: dict[str, list[float]] = {"cp": [], "prepare": [], "cp+sync": [], "prepare-targets": []}
        for round_ in range(args.rounds):
            for name, action in (
                ("cp", lambda out: copy_all(build, out, args.keys, then_sync=False)),
                ("prepare", lambda out: prepare_all(build, out, args.keys, as_targets=False)),
                ("cp+sync", lambda out: copy_all(build, out, args.keys, then_sync=True)),
                ("prepare-targets", lambda out: prepare_all(build, out, args.keys, as_targets=True)),
            ):
                out = work / f"{name}-{round_}"
                subprocess.run(["sync"], check=True)  # start every run with nothing left to flush
                times[name].append(timed(lambda action=action, out=out: action(out)))
                shutil.rmtree(out)
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(f"{args.keys} keys of {payload / 1e6:.1f} MB, {args.rounds} rounds (median seconds)")
        for name, value in medians.items():
            print(f"  {name:16} {value:7.2f} s   {', '.join(f'{v:.2f}' for v in times[name])}")
        print(f"  ratio prepare --into / cp -r:                {medians['prepare'] / medians['cp']:.2f}")
        print(
            f"  ratio prepare --target (synced) / cp -r + sync: {medians['prepare-targets'] / medians['cp+sync']:.2f}"
        )


if __name__ == "__main__":
    main()
