"""build_key.py list: removable volumes found the way each OS tells them, and nothing written."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from passport.keys import cli, layout, volumes

from support import fake_build, session_file


def fake_linux(root: Path) -> dict[str, Path]:
    """/sys/block, the mount table and /dev/disk/by-label of a PC with a disk, a USB key and a USB card reader."""
    block, devices = root / "sys/block", root / "sys/devices"
    for name, removable, bus in (
        ("sda", "0", "pci0000:00/ata1"),
        ("sdb", "1", "pci0000:00/usb1/1-1"),
        ("sdc", "0", "usb2/2-1"),
    ):
        device = devices / bus / name
        (device / f"{name}1").mkdir(parents=True)
        (device / "removable").write_text(removable + "\n")
        block.mkdir(parents=True, exist_ok=True)
        (block / name).symlink_to(device)
    mounts = {name: root / "media" / name for name in ("disk", "PASSEPORT", "CARTE SD")}
    for folder in mounts.values():
        folder.mkdir(parents=True)
    table = root / "mounts"
    table.write_text(
        f"/dev/sda1 {mounts['disk']} ext4 rw 0 0\n"
        f"/dev/sdb1 {mounts['PASSEPORT']} vfat rw 0 0\n"
        f"/dev/sdc1 {str(mounts['CARTE SD']).replace(' ', chr(92) + '040')} exfat rw 0 0\n"
        "proc /proc proc rw 0 0\n"
    )
    labels = root / "by-label"
    labels.mkdir()
    (labels / "PASSEPORT").symlink_to("/dev/sdb1")
    (labels / "CARTE\\x20SD").symlink_to("/dev/sdc1")
    return {"sys_block": block, "mounts": table, "labels": labels, **mounts}


def test_linux_lists_removable_and_usb_volumes_only(tmp_path):
    fake = fake_linux(tmp_path)
    found = volumes.linux(fake["sys_block"], fake["mounts"], fake["labels"])
    assert [(v.path, v.label) for v in found] == [(fake["PASSEPORT"], "PASSEPORT"), (fake["CARTE SD"], "CARTE SD")]
    assert all(v.size > 0 for v in found)


def test_list_shows_what_each_volume_holds_and_writes_nothing(tmp_path, monkeypatch, capsys):
    blank, key = tmp_path / "E", tmp_path / "F"
    blank.mkdir()
    key.mkdir()
    build = fake_build(tmp_path / "b")
    args = ["prepare", "--session", str(session_file(tmp_path)), "--count", "1", "--build", str(build)]
    assert cli.main([*args, "--target", str(key), "--yes"]) == 0
    before = {path: hashlib.sha256(full.read_bytes()).hexdigest() for path, full in layout.walk(tmp_path)}
    stamps = {path: os.stat(full).st_mtime_ns for path, full in layout.walk(tmp_path)}
    monkeypatch.setattr(
        volumes,
        "removable",
        lambda: [
            volumes.Volume(blank, "VIDE", 8 * 10**9, 8 * 10**9),
            volumes.Volume(key, "PASSEPORT", 16 * 10**9, 15 * 10**9),
        ],
    )
    capsys.readouterr()
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert f"{blank}  VIDE" in out and "8,0 Go" in out and "vide" in out
    assert f"{key}  PASSEPORT" in out and "clé préparée, pas encore utilisée" in out
    assert {path: hashlib.sha256(full.read_bytes()).hexdigest() for path, full in layout.walk(tmp_path)} == before
    assert {path: os.stat(full).st_mtime_ns for path, full in layout.walk(tmp_path)} == stamps


def test_list_says_when_no_key_is_plugged_in(monkeypatch, capsys):
    monkeypatch.setattr(volumes, "removable", list)
    assert cli.main(["list"]) == 0
    assert "Aucune clé USB branchée" in capsys.readouterr().out
