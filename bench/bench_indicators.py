"""What the indicators cost: an intake save with and without the summary, and collecting keys.

1. Saving an intake sheet on a key already holding N sheets, with the anonymous summary
   rewritten (ours) and with it switched off (baseline), alternately, both fsync'ed.
2. ``build_key.py collect`` over K key folders (reports written: CSV, Word with the PNG
   chart, HTML) against the bare minimum of the same job: reading and parsing every
   summary file.

    .venv/bin/python bench/bench_indicators.py [--sheets 1 10 100] [--saves 30] [--keys 100]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from passport import forms, indicators
from passport.keys import collect
from passport.records import Passport, load_directory
from passport.store import Store

FORMS = forms.load()
RAW = {
    "date": ["2015-01-12"],
    "structure": ["cio"],
    "first_name": ["Léa"],
    "solution_kind": ["Apprentissage"],
    "solution": ["Apprentissage en boulangerie"],
    "why": ["Elle aime le concret et veut travailler vite."],
    "referrals": ["cad", "mission-locale"],
    "referrals__main": ["cad"],
    "consent": ["on"],
}


class WithoutSummary(Passport):
    def refresh_indicators(self) -> None:
        return None


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def saves(sheets: int, count: int, folder: Path) -> tuple[float, float]:
    """Median ms of one intake save: (with summary, without)."""
    passports = []
    for kind in (Passport, WithoutSummary):
        data = folder / f"{kind.__name__}-{sheets}"
        data.mkdir()
        passport = kind(Store(data), FORMS, load_directory())
        for _ in range(sheets):
            passport.save_intake(RAW)
        passports.append(passport)
    ours, base = [], []
    for _ in range(count):
        ours.append(timed(lambda: passports[0].save_intake(RAW)))
        base.append(timed(lambda: passports[1].save_intake(RAW)))
    return statistics.median(ours), statistics.median(base)


def collecting(keys: int, folder: Path) -> tuple[float, float]:
    """Seconds: (collect with its three reports, bare read and parse of the summaries)."""
    root = folder / "keys"
    for number in range(keys):
        data = root / f"cle-{number:03}" / "Data"
        data.mkdir(parents=True)
        passport = Passport(Store(data), FORMS, load_directory())
        passport.save_intake({**RAW, "date": [f"2015-{number % 12 + 1:02}-10"]})
    summaries = sorted(root.glob(f"*/Data/{indicators.FILE_NAME}"))
    runs_ours, runs_base = [], []
    for run in range(3):
        with contextlib.redirect_stdout(io.StringIO()):
            runs_ours.append(timed(lambda run=run: collect.main([str(root), "--sortie", str(folder / f"out{run}")])))
        runs_base.append(timed(lambda: [json.loads(path.read_bytes()) for path in summaries]))
    return statistics.median(runs_ours) / 1000, statistics.median(runs_base) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp folder on local disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        print("| intake sheets on the key | save with summary p50 (ms) | without p50 (ms) | ratio |")
        print("|---:|---:|---:|---:|")
        for sheets in args.sheets:
            ours, base = saves(sheets, args.saves, Path(folder))
            print(f"| {sheets} | {ours:.2f} | {base:.2f} | {ours / base:.2f} |")
        ours, base = collecting(args.keys, Path(folder))
        print()
        print("| keys | collect with reports (s) | bare read + parse of the summaries (s) |")
        print("|---:|---:|---:|")
        print(f"| {args.keys} | {ours:.3f} | {base:.4f} |")


if __name__ == "__main__":
    main()
