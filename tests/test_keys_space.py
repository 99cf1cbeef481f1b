"""Free space known before writing: from the filesystem, or counted in the FAT when it will not say."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from passport.keys import space

from support import fat_image, need, need_root


def fsck_free(image: Path) -> int:
    """What dosfstools' own checker says is free, in clusters."""
    out = subprocess.run(["fsck.fat", "-n", str(image)], capture_output=True, text=True).stdout
    used, total = map(int, re.search(r"(\d+)/(\d+) clusters", out).groups())
    return total - used


@pytest.mark.parametrize(("fat", "size_mb"), [("32", 34), ("16", 20)])
def test_free_space_counted_in_the_fat_of_a_new_volume_matches_fsck(tmp_path, fat, size_mb):
    need("mkfs.vfat", "fsck.fat")
    image = tmp_path / "key.img"
    with image.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    subprocess.run(["mkfs.vfat", "-F", fat, str(image)], check=True, capture_output=True)
    free, cluster = space.fat_free(image)
    assert free == fsck_free(image) * cluster > 0


def test_free_space_counted_in_the_fat_after_writing_matches_fsck(tmp_path):
    need("fsck.fat")
    need_root()
    with fat_image(tmp_path, 34) as mount:
        before, cluster = space.free_and_unit(mount)  # fusefat reports no size: counted in the FAT
        (mount / "payload.bin").write_bytes(b"x" * 300_000)
        during, _ = space.free_and_unit(mount)
    after, _ = space.fat_free(tmp_path / "key.img")
    assert cluster == 512
    assert during == after == fsck_free(tmp_path / "key.img") * cluster
    assert before - after == 300_032  # whole clusters


def test_not_a_fat_volume_is_refused(tmp_path):
    other = tmp_path / "other.img"
    other.write_bytes(b"\x00" * 1024)
    with pytest.raises(ValueError):
        space.fat_free(other)


def test_the_mount_table_names_the_image_of_the_deepest_mount(tmp_path):
    image = tmp_path / "my key.img"
    image.write_bytes(b"")
    table = tmp_path / "mounts"
    escaped = str(image).replace(" ", "\\040")
    mount = tmp_path / "mnt point"
    table.write_text(
        "/dev/vda / ext4 rw 0 0\n"
        f"{escaped} {str(mount).replace(' ', chr(92) + '040')} fuse rw 0 0\n"
        "fusefat /elsewhere fuse.fusefat rw 0 0\n"
    )
    mount.mkdir()
    assert space.mount_source(mount / "App", table) == image
    assert space.mount_source(tmp_path, table) != image


def test_space_needed_counts_whole_clusters_and_what_is_already_there():
    unit = 4096
    assert space.needed([1, 4096, 4097], [], unit) == (4096 + 4096 + 8192) + space.HEADROOM
    assert space.needed([4096, 4096], [4096, 4096], unit) == space.HEADROOM
    assert space.needed([10], [10_000_000], unit) == space.HEADROOM


def test_a_folder_on_an_ordinary_disk_reports_its_free_space(tmp_path):
    free, unit = space.free_and_unit(tmp_path / "not" / "yet" / "there")
    assert free is not None and free > 0
    assert unit >= 512
