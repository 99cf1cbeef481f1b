"""Helpers the tests share: real tools, real FAT images, filled passports."""

from __future__ import annotations

import contextlib
import gc
import html
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, url_for

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(*tools: str) -> None:
    """Skip on a developer's machine that lacks a tool; in CI a missing tool is a failure."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    message = f"missing tools: {', '.join(missing)} (scripts/test.sh installs them)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def need_root() -> None:
    if os.geteuid() == 0:
        return
    if IN_CI:
        pytest.fail("CI runs as root; this test mounts filesystems")
    pytest.skip("needs root to mount filesystems")


@contextmanager
def fat_image(folder: Path, size_mb: int = 64, name: str = "key", cluster_kb: int | None = None) -> Iterator[Path]:
    """A FAT32 image made by mkfs.vfat and mounted with fusefat: a real key's filesystem.

    ``cluster_kb=4`` (with ``size_mb`` ≥ 260, FAT32 needs 65,525 clusters) is what Windows
    formats keys up to 8 GB with; fusefat reads a large file's end far faster with it than
    with the 512-byte clusters mkfs.vfat picks for a small image.
    """
    need("mkfs.vfat", "fusefat", "fusermount")
    image = folder / f"{name}.img"
    mount = folder / f"{name}-mnt"
    mount.mkdir()
    with image.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    clusters = ["-s", str(cluster_kb * 2)] if cluster_kb else []
    command = ["mkfs.vfat", "-F", "32", *clusters, "-n", "PASSEPORT", str(image)]
    subprocess.run(command, check=True, capture_output=True)
    mount_fat(image, mount)
    try:
        yield mount
    finally:
        unmount(mount)


def mount_fat(image: Path, mount: Path) -> None:
    subprocess.run(["fusefat", "-o", "rw+", str(image), str(mount)], check=True, capture_output=True)
    for _ in range(50):
        if os.path.ismount(mount):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{image} did not mount")


def unmount(mount: Path) -> None:
    if os.path.ismount(mount):
        subprocess.run(["fusermount", "-u", str(mount)], check=False, capture_output=True)


def raw_answers(form, text: str, structures: tuple[str, str] = ("cad", "mission-locale")) -> dict[str, list[str]]:
    """Submitted input answering every field of ``form``; each text field gets ``text`` + its key."""
    raw: dict[str, list[str]] = {}
    for spec in form.fields():
        if spec.type in ("text", "longtext"):
            raw[spec.key] = [f"{text} {spec.key}"]
        elif spec.type == "date":
            raw[spec.key] = ["2026-11-29"] if spec.key != "birth_date" else ["2009-03-14"]
        elif spec.type == "yesno":
            raw[spec.key] = ["on"]
        elif spec.type == "choice":
            raw[spec.key] = [spec.choices[-1]]
        elif spec.type == "multichoice":
            raw[spec.key] = list(spec.choices[:2])
        elif spec.type == "structure":
            raw[spec.key] = [structures[0]]
        elif spec.type == "referrals":
            raw[spec.key] = list(structures)
            raw[f"{spec.key}__main"] = [structures[1]]
    return raw


class FatKey:
    """A FAT32 image served by a fusefat process of our own: a test can pull the key out
    (kill that process, as when a key is yanked) and plug it back in (mount it again)."""

    def __init__(self, folder: Path, size_mb: int = 64, name: str = "fatkey") -> None:
        need("mkfs.vfat", "fusefat", "fusermount")
        self.image = folder / f"{name}.img"
        self.mount = folder / f"{name}-mnt"
        self.mount.mkdir()
        with self.image.open("wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        subprocess.run(["mkfs.vfat", "-F", "32", "-n", "PASSEPORT", str(self.image)], check=True, capture_output=True)
        self.process: subprocess.Popen | None = None

    def plug_in(self) -> Path:
        subprocess.run(["fusermount", "-u", "-z", str(self.mount)], check=False, capture_output=True)
        self.process = subprocess.Popen(
            ["fusefat", "-f", "-o", "rw+", str(self.image), str(self.mount)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            if os.path.ismount(self.mount):
                return self.mount
            time.sleep(0.02)
        raise RuntimeError(f"{self.image} did not mount")

    def pull_out(self) -> None:
        """The key is gone at once: its driver dies, every access fails until it is plugged in again."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def eject(self) -> None:
        """Unmount cleanly (what the test does when it is finished with the key)."""
        gc.collect()  # a passport no test uses any more may still hold the key's lock file open
        subprocess.run(["fusermount", "-u", "-z", str(self.mount)], check=False, capture_output=True)
        if self.process is not None:
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def __enter__(self) -> FatKey:
        self.plug_in()
        return self

    def __exit__(self, *_: object) -> None:
        self.eject()


@contextmanager
def tmpfs(folder: Path, size_kb: int, name: str = "tmpfs") -> Iterator[Path]:
    """A size-limited tmpfs: a key that really fills up (ENOSPC)."""
    need("mount", "umount")
    need_root()
    mount = folder / name
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)


@contextmanager
def write_protect_switch(folder: Path) -> Iterator[Callable[[bool], None]]:
    """Make ``folder`` a bind mount of itself whose write protection can be switched on and off,
    like the little switch on the side of some keys (EROFS while it is on)."""
    need("mount", "umount")
    need_root()
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)

    def protect(on: bool) -> None:
        subprocess.run(["mount", "-o", f"remount,bind,{'ro' if on else 'rw'}", str(folder)], check=True)

    try:
        yield protect
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def fill_up(folder: Path) -> Path:
    """Fill the filesystem of ``folder`` to the last byte with one file (fusefat reports no free
    space figures, so write until the filesystem refuses)."""
    filler = folder / "remplissage.bin"
    with filler.open("wb", buffering=0) as handle:
        for chunk in (1 << 20, 1 << 14, 512):
            with contextlib.suppress(OSError):  # full: ENOSPC from tmpfs, EPERM from fusefat
                while True:
                    handle.write(bytes(chunk))
    return filler


def page_urls(app: Flask, values: dict[str, object]) -> list[str]:
    """The address of every page (GET route) of ``app``, its variable parts taken from ``values``.

    A route whose part ``values`` lacks raises ``KeyError``: a new page cannot be forgotten.
    """
    with app.test_request_context():
        return sorted(
            url_for(rule.endpoint, **{part: values[part] for part in rule.arguments})
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods
        )


def first_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line a started passport prints (its address), without hanging forever."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError("the passport printed nothing")
    return process.stdout.readline().strip()


def browser_recorder(folder: Path) -> tuple[str, Path]:
    """A stand-in for the system browser: ``$BROWSER`` value and the file it writes.

    Each call appends the address it was given and the ``LD_LIBRARY_PATH`` it
    inherited, so tests see what the passport asked the browser to open.
    """
    log = folder / "browser.log"
    script = folder / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s|%s\\n" "$1" "${{LD_LIBRARY_PATH-unset}}" >> "{log}"\n')
    script.chmod(0o755)
    return f"{script} %s", log


def browser_opened(log: Path, count: int = 1, timeout: float = 20) -> list[tuple[str, str]]:
    """What the recording browser was asked to open: (address, LD_LIBRARY_PATH), once ``count`` came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [(address, library_path) for address, library_path in (line.split("|", 1) for line in lines)]
        time.sleep(0.05)
    raise TimeoutError("the browser was not opened")


def forwarded_to(opened: str) -> str:
    """The address a private forwarding page (``file://``) sends the browser to."""
    page = Path(opened.removeprefix("file://")).read_text(encoding="utf-8")
    found = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def wait_for_exit(process: subprocess.Popen[str], timeout: float = 30) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
