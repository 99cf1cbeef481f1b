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
