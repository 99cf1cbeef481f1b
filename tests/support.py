"""Helpers the tests share: real tools, real FAT images, filled passports."""

from __future__ import annotations

import contextlib
import gc
import html
import os
import random
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

from passport import export, forms
from passport.records import Passport, load_directory
from passport.store import Store

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
    fusefat 0.1a refuses to grow a file opened with O_TRUNC or O_APPEND past one cluster (EPERM).
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
    # fsname puts the image in the mount table, where build_key.py finds it to count free space
    # (fusefat itself reports no size).
    options = f"rw+,fsname={image}"
    subprocess.run(["fusefat", "-o", options, str(image), str(mount)], check=True, capture_output=True)
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


def fake_build(folder: Path, app_bytes: int = 64 * 1024, seed: int = 1) -> Path:
    """A build output laid out like the real one, with small files: launchers and LISEZ-MOI.html at
    the root, the Linux and macOS programs in App/linux/ and App/macos/, the Windows program's files
    right under App/ (its ``contents_directory``).

    ``app_bytes`` sets the size of each OS bundle; keys tests use it to make a run last long enough
    to be interrupted.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "LISEZ-MOI.html": b"<!doctype html><title>Lisez-moi</title><p>Double-clique sur Passeport.</p>",
        "Passeport.exe": rng.randbytes(4096),
        "Passeport": b'#!/bin/sh\nexec "$(dirname "$0")/App/linux/passeport" "$@"\n',
        "Passeport.command": b'#!/bin/sh\nexec "$(dirname "$0")/App/macos/passeport" "$@"\n',
        "App/linux/passeport": rng.randbytes(app_bytes),
        "App/macos/passeport": rng.randbytes(app_bytes),
        "App/base_library.zip": rng.randbytes(app_bytes // 2),
    }
    for number in range(8):
        files[f"App/lib/module{number}.pyd"] = rng.randbytes(app_bytes // 16)
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if not path.endswith((".html", ".zip", ".pyd")):
            target.chmod(0o755)
    return folder


SESSION_TOML = """\
[session]
nom = "Prévention du décrochage — lycée Jean-Giraudoux"
date = 2026-03-12

[structure]
id = "mission-locale"

[conseiller]
nom = "Camille Martin"
contact = "02 54 00 00 00"

[[partenaires]]
id = "cio"
adresse = "1 rue de l'Exemple, 36000 Châteauroux"
horaires = "Lundi au vendredi, 9 h - 17 h"

[[partenaires]]
nom = "Point Information Jeunesse de Châteauroux"
activite = "Information des jeunes : logement, jobs, loisirs"
telephone = "02 54 11 11 11"
"""


def session_file(folder: Path, text: str = SESSION_TOML) -> Path:
    """A session file as staff write it: structure, counsellor, local partners."""
    path = folder / "session.toml"
    path.write_text(text, encoding="utf-8")
    return path


def roster_file(folder: Path, names: list[str], encoding: str = "utf-8-sig", header: bool = True) -> Path:
    """A roster as Excel saves it: ``;`` separated, a header line, a label per key."""
    lines = (["prénom;étiquette"] if header else []) + [f"{name};B{number:02d}" for number, name in enumerate(names, 1)]
    path = folder / "jeunes.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


FIRST_NAMES = [
    "Léa", "Noé", "Inès", "Maël", "Chloé", "Anaïs", "Jérémy", "Zoé", "Loïc", "Maëlys",
    "Éloïse", "Théo", "Océane", "Raphaël", "Clément", "Yasmine", "Gaëtan", "Héloïse", "Noémie", "Brandon",
]  # fmt: skip


def fill_passport(key: Path) -> None:
    """A passport as a young person leaves it after a few weeks: profile, steps, an intake sheet, a Word export."""
    store = Store(key / "Data")
    passport = Passport(store, forms.load(), load_directory())
    passport.save_profile({"first_name": ["Léa"], "last_name": ["Martin"], "referent_structure": ["mission-locale"]})
    for day in ("2026-03-12", "2026-03-20", "2026-04-02"):
        passport.save_step({"date": [day], "action": [f"Démarche du {day}"], "status": ["En cours"]})
    passport.save_intake(
        {
            "date": ["2026-03-12"],
            "structure": ["mission-locale"],
            "first_name": ["Léa"],
            "solution": ["Service civique"],
            "why": ["Elle veut essayer avant de choisir."],
            "consent": ["on"],
        }
    )
    export.save_copy(key / "Exports", "dossier-lea.docx", export.render(passport, "dossier"))
    store.close()  # as Terminer does: the key's lock goes with it


def flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        value = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([value[0] ^ 0xFF]))
