"""Helpers the tests share: real tools, real FAT images, filled passports."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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
def fat_image(folder: Path, size_mb: int = 64, name: str = "key") -> Iterator[Path]:
    """A FAT32 image made by mkfs.vfat and mounted with fusefat: a real key's filesystem."""
    need("mkfs.vfat", "fusefat", "fusermount")
    image = folder / f"{name}.img"
    mount = folder / f"{name}-mnt"
    mount.mkdir()
    with image.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "PASSEPORT", str(image)], check=True, capture_output=True)
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
