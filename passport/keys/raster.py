"""A PNG of flat boxes and text, for the chart in the Word report, with no imaging library.

Word needs a bitmap, and a bar chart is only rectangles and short labels, so a
palette image, a public-domain 6x13 bitmap font and ``zlib`` do the job that
Pillow (several MB, a compiled library) or matplotlib (tens of MB) would.
Coordinates are in chart units; ``scale`` pixels per unit keep the text sharp.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

FONT = Path(__file__).resolve().parent.parent / "data" / "font-6x13.txt"
GLYPH_WIDTH, GLYPH_HEIGHT, ASCENT = 6, 13, 11
WHITE = "#ffffff"

Box = tuple[float, float, float, float, str]  # x, y, width, height, colour "#rrggbb"
Text = tuple[float, float, str, str, str]  # x, baseline y, text, anchor (start, middle, end), colour


@cache
def glyphs() -> dict[str, tuple[int, ...]]:
    """Character -> 13 rows of 6 bits (high bit on the left)."""
    table = {}
    for line in FONT.read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            code, rows = line.split()
            table[chr(int(code, 16))] = tuple(bytes.fromhex(rows))
    return table


def text_width(text: str) -> int:
    return len(text) * GLYPH_WIDTH


def png(width: int, height: int, boxes: Iterable[Box], texts: Iterable[Text], scale: int = 2) -> bytes:
    """Paint the boxes, then the texts, on white, and return the PNG file's bytes."""
    canvas = _Canvas(width * scale, height * scale)
    for x, y, w, h, colour in boxes:
        canvas.fill(round(x * scale), round(y * scale), round(w * scale), round(h * scale), colour)
    for x, y, text, anchor, colour in texts:
        shift = {"start": 0, "middle": text_width(text) / 2, "end": text_width(text)}[anchor]
        canvas.write(round((x - shift) * scale), round((y - ASCENT) * scale), text, colour, scale)
    return canvas.encode()


class _Canvas:
    """An 8-bit palette image: one byte per pixel, at most 256 colours."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.palette = [WHITE]
        self.pixels = bytearray(width * height)

    def index(self, colour: str) -> int:
        if colour not in self.palette:
            self.palette.append(colour)
        return self.palette.index(colour)

    def fill(self, x: int, y: int, w: int, h: int, colour: str) -> None:
        x0, x1 = max(x, 0), min(x + w, self.width)
        if x1 <= x0:
            return
        run = bytes([self.index(colour)]) * (x1 - x0)
        for row in range(max(y, 0), min(y + h, self.height)):
            start = row * self.width
            self.pixels[start + x0 : start + x1] = run

    def write(self, x: int, top: int, text: str, colour: str, scale: int) -> None:
        font = glyphs()
        for position, character in enumerate(text):
            rows = font.get(character) or font["?"]
            left = x + position * GLYPH_WIDTH * scale
            for number, bits in enumerate(rows):
                for column in range(GLYPH_WIDTH):
                    if bits & (0x80 >> column):
                        self.fill(left + column * scale, top + number * scale, scale, scale, colour)

    def encode(self) -> bytes:
        stride = self.width
        raw = b"".join(b"\x00" + self.pixels[row * stride : (row + 1) * stride] for row in range(self.height))
        palette = b"".join(bytes.fromhex(colour[1:]) for colour in self.palette)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + b"".join(
            _chunk(kind, data)
            for kind, data in ((b"IHDR", header), (b"PLTE", palette), (b"IDAT", zlib.compress(raw, 9)), (b"IEND", b""))
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
