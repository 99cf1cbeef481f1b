"""build_key.py on real FAT32 filesystems (mkfs.vfat images mounted with fusefat), one image per key."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest

from passport import forms
from passport.keyroot import REPOSITORY
from passport.keys import cli, layout, verify
from passport.records import Passport, load_directory
from passport.store import Store

from support import (
    FIRST_NAMES,
    fake_build,
    fat_image,
    fill_passport,
    flip_byte,
    need_root,
    roster_file,
    session_file,
    unmount,
)

pytestmark = pytest.mark.slow


@contextmanager
def fat_keys(folder: Path, count: int, size_mb: int = 34, cluster_kb: int | None = None) -> Iterator[list[Path]]:
    """``count`` FAT32 images, each mounted with fusefat: the smallest FAT32 unless told otherwise."""
    need_root()
    with ExitStack() as stack:
        yield [
            stack.enter_context(fat_image(folder, size_mb, name=f"key{n:02d}", cluster_kb=cluster_kb))
            for n in range(1, count + 1)
        ]


def used_key(folder: Path) -> AbstractContextManager[list[Path]]:
    """A key the young person writes on through the app: 4 KiB clusters, as on an 8 GB key."""
    return fat_keys(folder, 1, size_mb=300, cluster_kb=4)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {path: sha(full) for path, full in layout.walk(folder)}


def open_passport(key: Path) -> Passport:
    return Passport(Store(key / layout.DATA), forms.load(), load_directory())


def prepare_args(tmp_path: Path, build: Path, keys: list[Path], *extra: str) -> list[str]:
    targets = [arg for key in keys for arg in ("--target", str(key))]
    session = session_file(tmp_path)
    return ["prepare", "--session", str(session), "--build", str(build), "--yes", *targets, *extra]


def test_twenty_fat_keys_from_a_roster(tmp_path):
    build = fake_build(tmp_path / "build")
    roster = roster_file(tmp_path, FIRST_NAMES)
    with fat_keys(tmp_path, 20) as keys:
        assert cli.main(prepare_args(tmp_path, build, keys, "--roster", str(roster))) == 0
        for key, first_name in zip(keys, FIRST_NAMES, strict=True):
            assert verify.check(key).ok, key
            assert open_passport(key).profile()["first_name"] == first_name
            assert not (key / layout.MARKER).exists()


def test_a_too_small_key_is_refused_before_anything_is_written(tmp_path, capsys):
    build = fake_build(tmp_path / "build")
    with (build / "App/linux/passeport").open("r+b") as bundle:
        bundle.truncate(40 * 1024 * 1024)  # far more than a 34 MB key holds
    with fat_keys(tmp_path, 1) as keys:
        image = tmp_path / "key01.img"
        before = sha(image)
        assert cli.main(prepare_args(tmp_path, build, keys, "--count", "1")) == 2
        assert sha(image) == before
    err = capsys.readouterr().err
    assert "Place insuffisante" in err
    assert "Rien n'a été écrit" in err


def test_a_fat_key_holding_data_is_refused(tmp_path, capsys):
    build = fake_build(tmp_path / "build")
    with used_key(tmp_path) as keys:
        assert cli.main(prepare_args(tmp_path, build, keys, "--count", "1")) == 0
        open_passport(keys[0]).save_profile({"first_name": ["Léa"]})
        before = tree_hashes(keys[0])
        capsys.readouterr()
        assert cli.main(prepare_args(tmp_path, build, keys, "--count", "1")) == 2
        assert tree_hashes(keys[0]) == before
    assert "contient les données d'un jeune" in capsys.readouterr().err


def test_a_run_killed_half_way_on_fat_keys_is_finished_by_a_rerun(tmp_path):
    build = fake_build(tmp_path / "build", app_bytes=512 * 1024)
    roster = roster_file(tmp_path, FIRST_NAMES)
    with fat_keys(tmp_path, 20) as keys:
        command = [sys.executable, "build_key.py", *prepare_args(tmp_path, build, keys, "--roster", str(roster))]
        run = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum((key / layout.MANIFEST).exists() for key in keys) < 6:
            time.sleep(0.01)
        run.send_signal(signal.SIGKILL)
        run.wait()
        marked = [key for key in keys if (key / layout.MARKER).exists()]
        assert marked, "the run was not stopped half-way"
        assert not any(verify.check(key).ok for key in marked)
        finished = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        for key, first_name in zip(keys, FIRST_NAMES, strict=True):
            assert verify.check(key).ok, key
            assert open_passport(key).profile()["first_name"] == first_name


def test_update_keeps_the_data_of_a_filled_passport_byte_identical(tmp_path):
    old = fake_build(tmp_path / "old")
    new = fake_build(tmp_path / "new", seed=2)
    (new / "App/lib/module7.pyd").unlink()
    (new / "App/lib/new-module.pyd").write_bytes(b"new")
    with used_key(tmp_path) as keys:
        key = keys[0]
        assert cli.main(prepare_args(tmp_path, old, keys, "--count", "1")) == 0
        fill_passport(key)
        data, exports = tree_hashes(key / layout.DATA), tree_hashes(key / layout.EXPORTS)
        assert cli.main(["update", "--target", str(key), "--build", str(new), "--yes"]) == 0
        assert tree_hashes(key / layout.DATA) == data
        assert tree_hashes(key / layout.EXPORTS) == exports
        assert sha(key / "App/linux/passeport") == sha(new / "App/linux/passeport")
        assert (key / "App/lib/new-module.pyd").exists()
        assert not (key / "App/lib/module7.pyd").exists()
        assert verify.check(key).ok


def test_verify_finds_a_flipped_byte_and_a_missing_file_on_fat(tmp_path, capsys):
    build = fake_build(tmp_path / "build")
    with fat_keys(tmp_path, 3) as keys:
        assert cli.main(prepare_args(tmp_path, build, keys, "--count", "3")) == 0
        flip_byte(keys[0] / "App/base_library.zip", 1000)
        (keys[1] / "App/linux/passeport").unlink()
        capsys.readouterr()
        assert cli.main(["verify", *[arg for key in keys for arg in ("--target", str(key))]]) == 1
        out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith(str(tmp_path))}
    assert "ÉCHEC" in lines[str(keys[0])] and "fichier modifié : App/base_library.zip" in lines[str(keys[0])]
    assert "ÉCHEC" in lines[str(keys[1])] and "fichier manquant : App/linux/passeport" in lines[str(keys[1])]
    assert " OK " in lines[str(keys[2])]


def test_a_write_protected_key_is_refused_before_anything_is_written(tmp_path, capsys):
    build = fake_build(tmp_path / "build")
    with fat_keys(tmp_path, 2) as keys:
        protected = keys[1]
        unmount(protected)
        subprocess.run(
            ["fusefat", "-o", "ro", str(tmp_path / "key02.img"), str(protected)], check=True, capture_output=True
        )
        images = {name: sha(tmp_path / name) for name in ("key01.img", "key02.img")}
        assert cli.main(prepare_args(tmp_path, build, keys, "--count", "2")) == 2
        assert {name: sha(tmp_path / name) for name in images} == images
    err = capsys.readouterr().err
    assert f"{protected}" in err
    assert "protégée en écriture" in err


def test_a_key_pulled_out_during_the_run_fails_alone_with_its_reason(tmp_path):
    build = fake_build(tmp_path / "build", app_bytes=1024 * 1024)
    with fat_keys(tmp_path, 3) as keys:
        command = [sys.executable, "build_key.py", *prepare_args(tmp_path, build, keys, "--count", "3")]
        run = subprocess.Popen(command, cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (keys[1] / "App").exists():
            time.sleep(0.005)
        pull_out(tmp_path / "key02.img")
        try:
            out, err = run.communicate(timeout=120)
        finally:
            # A dead FUSE mount is not seen by os.path.ismount: unmount it here.
            subprocess.run(["fusermount", "-u", str(keys[1])], check=True, capture_output=True)
        assert run.returncode == 1, err
        rows = {line.split()[0]: line for line in out.splitlines() if line.startswith(str(tmp_path))}
        assert "ÉCHEC" in rows[str(keys[1])]
        assert "clé retirée ou qui ne répond plus" in rows[str(keys[1])]
        assert " prête " in rows[str(keys[0])] and " prête " in rows[str(keys[2])]
        assert verify.check(keys[0]).ok and verify.check(keys[2]).ok


def pull_out(image: Path) -> None:
    """What yanking a key does to a mounted filesystem: its driver goes away mid-write."""
    for pid in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[0].endswith(b"fusefat") and str(image).encode() in command:
            os.kill(int(pid), signal.SIGKILL)
            return
    raise AssertionError(f"no fusefat process for {image}")
