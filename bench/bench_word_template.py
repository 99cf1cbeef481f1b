"""Intake sheet export through a structure's Word template, against the built-in layout.

Both export the same filled CIO intake sheet (docs/exemples/); the template is the
shipped example (logo, a table of every field). Runs alternate so noise hits both
alike. Also timed: the prepare-time check of that template (a test render with
awkward data, then reading the result back).

    .venv/bin/python bench/bench_word_template.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from passport import export, forms, keyform, wordtemplate
from passport.formfile import read_structure
from passport.records import Passport, load_directory
from passport.store import Store

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "exemples"
INTAKE = {
    "date": ["2026-11-29"],
    "structure": ["cio"],
    "counsellor": ["Mme Martin & M. Durand"],
    "reason": ["Changer de voie"],
    "first_name": ["Léa"],
    "birth_date": ["2009-05-01"],
    "last_class": ["2de"],
    "favourite_subjects": ["Dessin, histoire et géographie"],
    "obstacles": ["Argent", "Santé"],
    "solution": ["Stage de découverte en lycée professionnel, filière mode"],
    "why": ["Elle aime le dessin et la couture, veut un métier concret"],
    "referrals": ["mission-locale", "cad"],
    "referrals__main": ["mission-locale"],
    "consent": ["on"],
}


def seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    form_set = read_structure(EXAMPLES / "formulaire-cio.toml", forms.load())
    template = (EXAMPLES / "modele-bilan-cio.docx").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        passport = Passport(Store(Path(folder)), form_set, load_directory())
        passport.save_profile({"first_name": ["Léa"]})
        sheet = passport.save_intake(INTAKE)
        times: dict[str, list[float]] = {"template": [], "built-in": [], "check": []}
        for _ in range(args.runs):
            times["template"].append(seconds(lambda: export.render(passport, "bilan", sheet, template)))
            times["built-in"].append(seconds(lambda: export.render(passport, "bilan", sheet)))
            times["check"].append(seconds(lambda: wordtemplate.check(template, form_set)))
    assert not keyform.check(EXAMPLES / "formulaire-cio.toml", EXAMPLES / "modele-bilan-cio.docx")
    median = {name: statistics.median(values) for name, values in times.items()}
    print("| intake export | median (s) | ratio to built-in |")
    print("|---|---:|---:|")
    for name in ("built-in", "template", "check"):
        label = {"check": "prepare-time check (test render + read back)"}.get(name, name)
        print(f"| {label} | {median[name]:.3f} | {median[name] / median['built-in']:.2f} |")


if __name__ == "__main__":
    main()
