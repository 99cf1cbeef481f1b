"""Start-up, bundle size and memory of the passport, against a floor measured in the same run.

    .venv/bin/python bench/bench_startup.py [--rounds 7]

Times are from spawning the process to the home page's first answer (the address
printed on the first line; the socket listens before the heavy imports, so one
request waits for the app). The floor is the bare import of the four libraries
the passport is made of. Rounds are interleaved so that a busy machine slows
every contender alike; medians are reported, and ratios are what counts.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from passport import build, instance, keylayout  # noqa: E402
from passport.keyroot import KeyPaths  # noqa: E402
from tests.http_session import HttpSession  # noqa: E402
from tests.support import first_line  # noqa: E402

FLOOR = [sys.executable, "-c", "import flask, docx, tinydb, waitress"]
GOALS = {"python -m passport": 1.3, "bundle": 2.0}


def time_floor() -> float:
    started = time.perf_counter()
    subprocess.run(FLOOR, check=True)
    return time.perf_counter() - started


def time_first_page(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = first_line(process)
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        return time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def peak_memory(command: list[str], env: dict[str, str], key: KeyPaths) -> dict[str, float]:
    """Peak resident memory (MB) of each process of a passport that served pages and a Word export."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        browser = HttpSession(first_line(process))
        for path in ("/profil", "/demarches/", "/structures/", "/documents/"):
            browser.get(path)
        step = {"date": "2026-03-02", "action": "Appeler la Mission Locale", "status": "À faire"}
        browser.post("/demarches/nouvelle", "/demarches/nouvelle", step)
        browser.post("/documents/", "/documents/suivi", {})
        running = instance.read(key)
        assert running is not None
        pids = {"python": running.pid} | ({"bootloader": process.pid} if process.pid != running.pid else {})
        return {name: _vm_hwm(pid) for name, pid in pids.items()}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError("VmHWM")


def median_of(rounds: int, contenders: dict[str, Callable[[], float]]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, measure in contenders.items():
            times[name].append(measure())
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    program = build.build_program()
    with tempfile.TemporaryDirectory(prefix="passeport-bench-") as temp:
        root = Path(temp)
        key = keylayout.assemble(root / "KEY", {keylayout.LINUX: program})
        env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": temp}
        source = [sys.executable, "-m", "passport", "--key", str(key.root), "--no-browser"]
        bundle = [str(key.root / keylayout.PROGRAMS[keylayout.LINUX]), "--no-browser"]
        for command in (source, bundle):  # warm the disk cache and the key's data files
            time_first_page(command, env)
        medians = median_of(
            args.rounds,
            {
                "floor": time_floor,
                "python -m passport": lambda: time_first_page(source, env),
                "bundle": lambda: time_first_page(bundle, env),
            },
        )
        memory = {"python -m passport": peak_memory(source, env, key), "bundle": peak_memory(bundle, env, key)}
    report(medians, memory, program.stat().st_size, args.rounds)
    return 0


def report(medians: dict[str, float], memory: dict[str, dict[str, float]], size: int, rounds: int) -> None:
    floor = medians["floor"]
    print(f"Start to first page, median of {rounds} interleaved rounds ({os.cpu_count()} CPUs):")
    print("| contender | median | ratio to floor | goal |")
    print("|---|---|---|---|")
    print(f'| floor: `python -c "import flask, docx, tinydb, waitress"` | {floor:.2f} s | 1.00 | |')
    for name, goal in GOALS.items():
        ratio = medians[name] / floor
        verdict = "met" if ratio <= goal else "missed"
        print(f"| {name} | {medians[name]:.2f} s | {ratio:.2f} | ≤ {goal} ({verdict}) |")
    print(f"\nLinux bundle (one file): {size / 1e6:.1f} MB (goal ≤ 20 MB)")
    print("\nPeak resident memory after pages, a saved step and a Word export (goal ≤ 60 MB):")
    for name, processes in memory.items():
        parts = ", ".join(f"{process} {mb:.1f} MB" for process, mb in processes.items())
        print(f"- {name}: {parts}")


if __name__ == "__main__":
    sys.exit(main())
