"""Helpers the tests share: real tools, real FAT images, filled passports."""

from __future__ import annotations

import html
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
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
