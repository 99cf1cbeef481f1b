"""Start-up of the Windows program under Wine, against floors measured in the same run.

    .venv/bin/python bench/bench_windows.py [--rounds 5]

Times run from spawning the process to the first HTTP answer on its port (a windowed
program prints nothing, so the port is given with ``--port``; the refusal page a
browser without the cookie gets is an answer). Contenders, rounds interleaved:

- Wine floor: the build's Windows CPython under Wine running ``pass``: what starting any
  Windows Python program costs under Wine on this machine;
- ``Passeport.exe`` (one folder, windowed) under Wine, started from a key folder;
- the Linux one-file program from the same key, for scale.

A persistent wineserver runs during the rounds, as on a PC where Windows is up; the
first, cold start (wineserver booting) is reported apart. Wine is not Windows: these
figures say what the CI test waits for, not what a young person waits for.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from passport import build, keylayout  # noqa: E402

from bench_startup import median_of  # noqa: E402  (bench/ is this script's own folder)

PREFIX = REPO / ".cache" / "windows" / "prefix"
WINDOWS_PYTHON = REPO / ".cache" / "windows" / "python" / "python.exe"
WINE = "/usr/lib/wine/wine64"
WINESERVER = "/usr/lib/wine/wineserver64"
QUIET = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def wine_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(WINEPREFIX=str(PREFIX), WINEARCH="win64", WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=")
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def time_floor(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([WINE, str(WINDOWS_PYTHON), "-c", "pass"], env=env, check=True, **QUIET)
    return time.perf_counter() - started


def time_first_answer(command: list[str], env: dict[str, str]) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([*command, "--port", str(port), "--no-browser"], env=env, **QUIET)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).close()
            except urllib.error.HTTPError:
                pass  # the refusal page: the server answered
            except OSError:
                assert process.poll() is None, f"{command[-1]} stopped"
                time.sleep(0.02)
                continue
            return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    windows, linux = build.build_windows(), build.build_program()
    env = wine_env()
    subprocess.run([WINESERVER, "-k"], env=env, check=False, **QUIET)
    with tempfile.TemporaryDirectory(prefix="passeport-bench-") as temp:
        key = keylayout.assemble(Path(temp) / "KEY", {keylayout.LINUX: linux, keylayout.WINDOWS: windows})
        exe = [WINE, str(key.root / "Passeport.exe")]
        program = [str(key.root / keylayout.PROGRAMS[keylayout.LINUX])]
        linux_env = {**os.environ, "TMPDIR": temp}
        cold = time_first_answer(exe, env)
        subprocess.run([WINESERVER, "-k"], env=env, check=False, **QUIET)
        subprocess.run([WINESERVER, "-p"], env=env, check=True, **QUIET)
        try:
            time_first_answer(program, linux_env)  # warm the disk cache
            medians = median_of(
                args.rounds,
                {
                    "Wine floor": lambda: time_floor(env),
                    "Passeport.exe under Wine": lambda: time_first_answer(exe, env),
                    "Linux program": lambda: time_first_answer(program, linux_env),
                },
            )
        finally:
            subprocess.run([WINESERVER, "-k"], env=env, check=False, **QUIET)
    size = sum(f.stat().st_size for f in windows.rglob("*") if f.is_file())
    report(medians, cold, size, args.rounds)
    return 0


def report(medians: dict[str, float], cold: float, size: int, rounds: int) -> None:
    floor = medians["Wine floor"]
    print(f"Start to first answer, median of {rounds} interleaved rounds ({os.cpu_count()} CPUs):")
    print("| contender | median | ratio to Wine floor |")
    print("|---|---:|---:|")
    for name, median in medians.items():
        print(f"| {name} | {median:.2f} s | {median / floor:.2f} |")
    print(f"\nPasseport.exe, cold (wineserver starting): {cold:.2f} s")
    print(f"Windows program (Passeport.exe + App/): {size / 1e6:.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
