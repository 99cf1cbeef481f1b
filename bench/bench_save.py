"""Save-a-step latency: our slot storage against TinyDB's stock JSONStorage, side by side.

Both fsync every write. For each size, the two stores are filled with the same
steps, then saves are timed alternately (ours, stock, ours, ...) so that machine
noise hits both alike; the ratio of medians is the figure that matters.

    .venv/bin/python bench/bench_save.py [--sizes 10 100 1000 5000] [--saves 40] [--dir PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from passport import forms
from passport.records import Passport, load_directory
from passport.store import Store

STEP = {
    "answers": {
        "date": "2026-11-29",
        "action": "Appeler la Mission Locale pour un rendez-vous avec ma conseillère",
        "kind": "Appel",
        "structure": "mission-locale",
        "with_whom": "",
        "status": "À faire",
        "result": "Rendez-vous proposé le 3 décembre à 14 h, apporter CV et pièce d'identité.",
        "next_step": "Préparer mon CV",
        "next_date": "2026-12-03",
        "needs_help": False,
    },
    "form_version": 1,
    "updated": "2026-11-29T10:00:00",
}
RAW = {key: [str(value)] for key, value in STEP["answers"].items() if value}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def measure(size: int, saves: int, folder: Path) -> dict[str, float]:
    ours_dir, stock_file, app_dir = folder / f"ours-{size}", folder / f"stock-{size}.json", folder / f"app-{size}"
    ours_dir.mkdir()
    app_dir.mkdir()
    ours, stock = Store(ours_dir), TinyDB(stock_file, storage=JSONStorage)
    passport = Passport(Store(app_dir), forms.load(), load_directory())
    with ours.session() as db:
        db.table("steps").insert_multiple([STEP] * size)
    stock.table("steps").insert_multiple([STEP] * size)
    with passport.store.session() as db:
        db.table("steps").insert_multiple([STEP] * size)

    def save_ours() -> None:
        with ours.session() as db:
            db.table("steps").insert(STEP)

    times: dict[str, list[float]] = {"ours": [], "stock": [], "app": []}
    for _ in range(saves):
        times["ours"].append(timed(save_ours))
        times["stock"].append(timed(lambda: stock.table("steps").insert(STEP)))
        times["app"].append(timed(lambda: passport.save_step(RAW)))
    stock.close()
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp folder on local disk)")
    args = parser.parse_args()
    print("| steps stored | ours p50 (ms) | stock JSONStorage p50 (ms) | ratio ours/stock | full app save p50 (ms) |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for size in args.sizes:
            p50 = measure(size, args.saves, Path(folder))
            ratio = p50["ours"] / p50["stock"]
            print(f"| {size} | {p50['ours']:.2f} | {p50['stock']:.2f} | {ratio:.2f} | {p50['app']:.2f} |")


if __name__ == "__main__":
    main()
