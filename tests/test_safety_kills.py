"""Real SIGKILLs of a process saving in a loop (see saver.py), on the disk and on a FAT32 key."""

from __future__ import annotations

import pytest

from saver import Killer

KILLS = 200


@pytest.mark.slow
def test_a_passport_killed_while_saving_keeps_every_acknowledged_save(disk):
    killer = Killer(disk / "Data", seed=3)
    (disk / "Data").mkdir()
    for _ in range(KILLS):
        killer.kill_once()
    tally = killer.tally
    assert tally.kills == KILLS
    assert tally.lost == 0, "a save acknowledged before the kill was missing"
    assert tally.unreadable == 0
    # The kills landed in the middle of the work: saves were acknowledged, others cut short.
    assert tally.acknowledged >= KILLS // 2
    assert 0 < tally.in_flight_kept < KILLS
