"""What protection costs: unlock time per Argon2id setting, and a save encrypted vs plain.

Unlock: the time from the phrase typed to the data in memory (``Store.unlock``:
Argon2id, unwrapping the data key, decrypting and parsing the newest slot), for a
few Argon2id settings, so the shipped one is chosen by measurement.

Save: two keys filled with the same steps, one plain and one protected, saves
timed alternately (plain, protected, plain, ...) so that machine noise hits both
alike; the difference of medians is the encryption's cost.

    .venv/bin/python bench/bench_protect.py [--steps 1000] [--saves 60] [--unlocks 5] [--dir PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from passport import vault
from passport.store import Store

from bench_save import STEP

PHRASE = "lune cartable riviere soleil"
CODE = "7K3QF-9XM2D-4HJ8W-PBZ6T-RC5NV"
# (opslimit, memlimit in MiB): libsodium's "interactive" (2, 64), the shipped one, and heavier ones.
SETTINGS = [(2, 64), (3, 64), (3, 128), (4, 128), (3, 256)]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def filled(folder: Path, steps: int, kdf: vault.PhraseKdf | None) -> Store:
    folder.mkdir()
    store = Store(folder)
    with store.session() as db:
        db.table("steps").insert_multiple([STEP] * steps)
    if kdf is not None:
        store.set_phrase(PHRASE, vault.recovery_setup(CODE), kdf)
    return store


def unlock_times(folder: Path, steps: int, unlocks: int) -> None:
    print("| Argon2id ops | memory (MiB) | unlock p50 (ms) | unlock max (ms) |")
    print("|---:|---:|---:|---:|")
    for ops, mib in SETTINGS:
        place = folder / f"unlock-{ops}-{mib}"
        filled(place, steps, vault.PhraseKdf(ops, mib * 1024 * 1024)).close()
        times = []
        for _ in range(unlocks + 1):
            store = Store(place)
            times.append(timed(lambda store=store: store.unlock(PHRASE)))
            store.close()
        times = times[1:]  # the first one pays for cold memory pages
        shipped = " (shipped)" if (ops, mib * 1024 * 1024) == (vault.PHRASE_OPS, vault.PHRASE_MEM) else ""
        print(f"| {ops}{shipped} | {mib} | {statistics.median(times):.0f} | {max(times):.0f} |")


def save_times(folder: Path, steps: int, saves: int) -> None:
    plain = filled(folder / "plain", steps, None)
    sealed = filled(folder / "sealed", steps, vault.PhraseKdf(1, 8192))
    times: dict[str, list[float]] = {"plain": [], "sealed": []}
    for _ in range(saves):
        for name, store in (("plain", plain), ("sealed", sealed)):

            def save(store: Store = store) -> None:
                with store.session() as db:
                    db.table("steps").insert(STEP)

            times[name].append(timed(save))
    p50 = {name: statistics.median(values) for name, values in times.items()}
    size = (folder / "sealed" / "passport-1.json").stat().st_size // 1024
    print()
    print("| steps stored | slot size (KB) | plain p50 (ms) | protected p50 (ms) | difference (ms) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {steps} | {size} | {p50['plain']:.2f} | {p50['sealed']:.2f} | "
        f"{p50['sealed'] - p50['plain']:+.2f} | {p50['sealed'] / p50['plain']:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=60)
    parser.add_argument("--unlocks", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to write (default: a temp folder on local disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        unlock_times(Path(folder), args.steps, args.unlocks)
        save_times(Path(folder), args.steps, args.saves)


if __name__ == "__main__":
    main()
