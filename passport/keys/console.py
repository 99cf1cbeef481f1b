"""What staff see in the terminal: a progress bar, a summary table, a yes/no question.

Hand-written rather than ``rich``: the three things needed fit in a page, and the
staff tooling then needs nothing beyond the passport's own dependencies.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Sequence
from typing import TextIO


class StaffError(Exception):
    """Something staff must fix before anything is written; the message says what, in French."""


def say(line: str = "") -> None:
    print(line, flush=True)


def warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Progress:
    """A progress bar on the terminal (one line redrawn); a few plain lines when output is a file."""

    def __init__(self, total: int, keys: int, label: str, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._total = max(total, 1)
        self._keys = keys
        self._label = label
        self._done = 0
        self._keys_done = 0
        self._lock = threading.Lock()
        self._drawn = 0.0

    def advance(self, amount: int) -> None:
        with self._lock:
            self._done += amount
            self._draw()

    def key_done(self) -> None:
        with self._lock:
            self._keys_done += 1
            if not self._tty:
                # A log file gets a line per key, not a stream of carriage returns.
                self._stream.write(f"{self._label} : {self._keys_done}/{self._keys} clé(s)\n")
                self._stream.flush()
            self._draw(force=True)

    def close(self) -> None:
        with self._lock:
            self._done = self._total
            self._draw(force=True)
            if self._tty:
                self._stream.write("\n")
                self._stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self._tty:
            return
        share = min(self._done / self._total, 1.0)
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        width = max(10, min(40, shutil.get_terminal_size().columns - 45))
        filled = int(share * width)
        bar = "█" * filled + "░" * (width - filled)
        self._stream.write(f"\r{self._label} {bar} {share:4.0%}  {self._keys_done}/{self._keys} clé(s)")
        self._stream.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table that lines up in any terminal (accents count as one column)."""
    cells = [list(headers), *[[str(cell) for cell in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _width(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def confirm(question: str, assume_yes: bool) -> bool:
    """Ask before writing on volumes; scripts pass ``--yes``, and no answer means no."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise StaffError("Confirmation impossible sans clavier : relancez avec --yes si vous êtes sûr des volumes.")
    answer = input(f"{question} Tapez « oui » pour continuer : ").strip().lower()
    return answer in ("oui", "o", "yes", "y")
