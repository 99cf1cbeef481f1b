"""Word export time for 50 and 500 steps, against bare python-docx writing the same table.

The baseline builds a document with one 4-column row per step through
``add_row().cells`` (the fast python-docx path) and saves it; ours is the full
follow-up sheet export. Runs alternate so noise hits both alike.

    .venv/bin/python bench/bench_export.py [--sizes 50 500] [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from docx import Document

from passport import export, forms
from passport.records import Passport, load_directory
from passport.store import Store

STEP = {
    "date": ["2026-11-29"],
    "action": ["Appeler la Mission Locale pour un rendez-vous"],
    "kind": ["Appel"],
    "structure": ["mission-locale"],
    "status": ["En cours"],
    "result": ["Rendez-vous proposé le 3 décembre à 14 h, apporter CV et pièce d'identité."],
    "next_step": ["Préparer mon CV"],
    "next_date": ["2026-12-03"],
}


def baseline(rows: int) -> bytes:
    doc = Document()
    table = doc.add_table(rows=1, cols=4)
    for _ in range(rows):
        cells = table.add_row().cells
        for cell, text in zip(cells, ("29/11/2026", STEP["action"][0], "En cours", STEP["result"][0]), strict=True):
            cell.text = text
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print("| steps | ours median (s) | bare python-docx median (s) | ratio |")
    print("|---:|---:|---:|---:|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            passport = Passport(Store(Path(folder)), forms.load(), load_directory())
            passport.save_profile({"first_name": ["Léa"]})
            for _ in range(size):
                passport.save_step(STEP)
            ours, bare = [], []
            for _ in range(args.runs):
                ours.append(seconds(partial(export.render, passport, "suivi")))
                bare.append(seconds(partial(baseline, size)))
            mine, base = statistics.median(ours), statistics.median(bare)
            print(f"| {size} | {mine:.3f} | {base:.3f} | {mine / base:.2f} |")


if __name__ == "__main__":
    main()
