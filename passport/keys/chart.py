"""The bar chart of referrals per month and per destination: laid out once, drawn as SVG or PNG.

The HTML report embeds the SVG (text stays text, for screen readers and zoom); the
Word report gets the same drawing as a PNG from ``raster``. Text is laid out on the
6-unit grid of a monospace font so both drawings place it alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from passport.keys import raster
from passport.keys.tally import Row

BAR, BAR_GAP, GROUP_PAD, MIN_GROUP = 14, 2, 14, 66
PLOT_HEIGHT, TOP, LEFT_PAD, RIGHT, MIN_WIDTH = 200, 40, 12, 16, 600
INK, GRID, AXIS = "#1a1a1a", "#d9d9d9", "#595959"
NOT_GIVEN_COLOUR = "#8c8c8c"
# Okabe-Ito then Paul Tol's "muted" colours: told apart with the common colour blindnesses.
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#332288",
    "#117733", "#882255", "#44aa99", "#999933", "#aa4499", "#ddcc77", "#88ccee",
)  # fmt: skip
SHORT_MONTHS = ("janv.", "févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
TITLE = "Personnes orientées par mois et par structure"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    month: str = ""
    structure: str = ""
    value: int = 0


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # baseline
    text: str
    anchor: str = "start"
    colour: str = INK


@dataclass
class Drawing:
    width: int = 0
    height: int = 0
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)


def colours(legend: list[tuple[str, str]]) -> dict[str, str]:
    """Structure id -> colour; the "non indiqué" entry (empty id) is grey."""
    picked = iter(PALETTE * 3)
    return {structure_id: NOT_GIVEN_COLOUR if not structure_id else next(picked) for structure_id, _ in legend}


def layout(rows: list[Row], legend: list[tuple[str, str]]) -> Drawing:
    """Place bars, axes and labels; ``legend`` is (structure id, name) in drawing order."""
    drawing = Drawing()
    colour = colours(legend)
    top = max((max(row.destinations.values(), default=0) for row in rows), default=0)
    step = _step(top)
    ceiling = max(step, -(-top // step) * step)
    left = LEFT_PAD + raster.text_width(str(ceiling)) + 6
    bottom = TOP + PLOT_HEIGHT
    present = [[s for s, _ in legend if row.destinations.get(s)] for row in rows]
    groups = [max(MIN_GROUP, len(bars) * (BAR + BAR_GAP) + GROUP_PAD) for bars in present]
    stretch = max(1.0, (MIN_WIDTH - RIGHT - left) / max(sum(groups), 1))  # few months: wider groups
    x = left
    for row, bars, group in zip(rows, present, (g * stretch for g in groups), strict=True):
        start = x + (group - len(bars) * (BAR + BAR_GAP) + BAR_GAP) / 2
        for index, structure_id in enumerate(bars):
            value = row.destinations[structure_id]
            height = PLOT_HEIGHT * value / ceiling
            bar_x = start + index * (BAR + BAR_GAP)
            drawing.bars.append(
                Bar(bar_x, bottom - height, BAR, height, colour[structure_id], row.month, structure_id, value)
            )
            drawing.labels.append(Label(bar_x + BAR / 2, bottom - height - 3, str(value), "middle"))
        year, month = row.month.split("-")
        drawing.labels.append(Label(x + group / 2, bottom + 16, SHORT_MONTHS[int(month) - 1], "middle"))
        drawing.labels.append(Label(x + group / 2, bottom + 30, year, "middle"))
        x += group
    width = max(x + RIGHT, MIN_WIDTH)
    _axes(drawing, left, x, bottom, ceiling, step)
    drawing.labels.append(Label(LEFT_PAD, 18, TITLE))
    drawing.width = int(width)
    drawing.height = _legend(drawing, legend, colour, bottom + 56, width)
    return drawing


def _step(top: int) -> int:
    """A tick step giving at most six ticks: 1, 2, 5, 10, 20, 50…"""
    step = 1
    while top / step > 6:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step


def _axes(drawing: Drawing, left: float, right: float, bottom: float, ceiling: int, step: int) -> None:
    grid = []
    for value in range(0, ceiling + 1, step):
        y = bottom - PLOT_HEIGHT * value / ceiling
        grid.append(Bar(left, y, right - left, 1, AXIS if value == 0 else GRID))
        drawing.labels.append(Label(left - 6, y + 4, str(value), "end", AXIS))
    drawing.bars[:0] = grid  # under the bars


def _legend(drawing: Drawing, legend: list[tuple[str, str]], colour: dict[str, str], y: float, width: float) -> int:
    x = LEFT_PAD
    for structure_id, name in legend:
        needed = 16 + raster.text_width(name) + 18
        if x > LEFT_PAD and x + needed > width - RIGHT:
            x, y = LEFT_PAD, y + 20
        drawing.bars.append(Bar(x, y - 10, 11, 11, colour[structure_id]))
        drawing.labels.append(Label(x + 16, y, name))
        x += needed
    return int(y + 14)


def png(drawing: Drawing) -> bytes:
    boxes = [(b.x, b.y, b.width, b.height, b.colour) for b in drawing.bars]
    texts = [(t.x, t.y, t.text, t.anchor, t.colour) for t in drawing.labels]
    return raster.png(drawing.width, drawing.height, boxes, texts)


def svg(drawing: Drawing, names: dict[str, str], month_names: dict[str, str]) -> str:
    """Inline SVG; each bar carries its month, structure and value, also in a tooltip."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img" aria-labelledby="graphique-titre" '
        f'viewBox="0 0 {drawing.width} {drawing.height}" width="{drawing.width}" height="{drawing.height}" '
        f'font-family="DejaVu Sans Mono, Consolas, Menlo, monospace" font-size="10">',
        f'<title id="graphique-titre">{escape(TITLE)}</title>',
        f'<rect width="{drawing.width}" height="{drawing.height}" fill="#ffffff"/>',
    ]
    for bar in drawing.bars:
        shape = f'x="{bar.x:g}" y="{bar.y:g}" width="{bar.width:g}" height="{bar.height:g}" fill="{bar.colour}"'
        if not bar.month:
            parts.append(f"<rect {shape}/>")
            continue
        tip = f"{month_names[bar.month]} — {names[bar.structure]} : {bar.value}"
        parts.append(
            f'<rect {shape} data-mois="{bar.month}" data-structure="{escape(bar.structure)}" '
            f'data-valeur="{bar.value}"><title>{escape(tip)}</title></rect>'
        )
    for label in drawing.labels:
        parts.append(
            f'<text x="{label.x:g}" y="{label.y:g}" text-anchor="{label.anchor}" fill="{label.colour}">'
            f"{escape(label.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
