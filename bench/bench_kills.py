"""SIGKILL a passport process while it saves, many times (1,000 by default), and count.

Each kill: a child forked from a fork server opens the key, saves in a loop (inserts that
grow the file, clear-outs that shrink it) and acknowledges each save that returned; it is
killed with SIGKILL after a random few milliseconds. The key is then reopened: the state
must be the one after the last acknowledged save, or after the save being written.

    .venv/bin/python bench/bench_kills.py [--kills 1000] [--dir PATH]   # --dir: e.g. a FAT32 mount
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from saver import Killer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--dir", type=Path, help="where the key's Data folder goes (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="passport-kills-", ignore_cleanup_errors=True) as folder:
        killer = Killer(Path(folder), seed=2026)
        start = time.perf_counter()
        for _ in range(args.kills):
            killer.kill_once()
        elapsed = time.perf_counter() - start
    tally = killer.tally
    print("| kills | saves acknowledged | cut mid-save, new state kept | saves lost | unreadable | time (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {tally.kills} | {tally.acknowledged} | {tally.in_flight_kept} | {tally.lost} | {tally.unreadable} "
        f"| {elapsed:.1f} |"
    )
    sys.exit(1 if tally.lost or tally.unreadable else 0)


if __name__ == "__main__":
    main()
