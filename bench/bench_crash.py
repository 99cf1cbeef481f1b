"""The crash-injection figures for docs/reliability.md: power cuts at every operation of a save.

Runs the same scenarios as tests/test_safety_crash.py (save into a new key, grow, grow a lot,
shrink, rewrite in place; ext4-like and FAT-like media) and prints, for each, the operations
of the save, the power cuts simulated (every operation + just after the save returned, times
the seeds), the distinct disk images they left and what reopening found. Any state other than
the old or the new one stops it with an AssertionError.

    .venv/bin/python bench/bench_crash.py [--seeds 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crashdisk import MODELS
from test_safety_crash import SCENARIOS, crash_everywhere


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    print("| medium | save | operations | power cuts | distinct images | reopened old | reopened new | other |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    totals = [0, 0]
    start = time.perf_counter()
    for model in MODELS:
        for scenario in SCENARIOS:
            tally = crash_everywhere(model, scenario, args.seeds)
            totals[0] += tally.cuts
            totals[1] += tally.images
            print(
                f"| {model} | {scenario} | {tally.points} | {tally.cuts} | {tally.images} | {tally.old} "
                f"| {tally.new} | {tally.cuts - tally.old - tally.new} |"
            )
    print(f"\n{totals[0]} power cuts, {totals[1]} distinct images, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
