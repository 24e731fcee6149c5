"""Small drawings of the pages, as SVG made on the server: a chain's loop as a ring, the bars
of a score, the loops of the census per category.

They need no script, print as they look, and every text in them is escaped (markupsafe).
Sizes come from the texts they hold: the drawing grows until every label fits, so nothing is
cut off at the edge, and it scales with the page (``width: 100%`` in the stylesheet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from kringloop.service.viz import ROLE_COLOURS

INK = "#1f2a24"
MUTED = "#4d5a52"
CLOSED = "#1a7f45"
PROMISED = "#9a6700"
OPEN = "#c62828"
STATUS_COLOURS = {"closed": CLOSED, "promised": PROMISED, "open": OPEN}
FONT = 14
#: Width of a character at `FONT` (system sans-serif, semi-bold), at most: sizes the drawing.
CHAR = 8.6
LINE = 17


@dataclass(frozen=True)
class RingNode:
    """A partner on the ring: its name, its role (a slug, for the colour) and role in words."""

    label: str
    role: str
    role_word: str
    missing: bool = False


def wrap(text: str, width: int = 20, lines: int = 3) -> list[str]:
    """``text`` in lines of at most ``width`` characters (words kept whole when they fit).

    >>> wrap("Example Office Collect Beringen", 18)
    ['Example Office', 'Collect Beringen']
    """
    out: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                out.append(current)
                current = ""
            out.append(word[: width - 1] + "-")
            word = word[width - 1 :]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        out = [*out[: lines - 1], " ".join(out[lines - 1 :])]
    return out or [""]


def ring(nodes: Sequence[RingNode], *, status: str, title: str, numbers: bool = True) -> Markup:
    """A chain's loop as a ring: its partners in order on a circle, the steps as numbered
    arrows, the closing step green (closed), or dashed red through the missing role (open or
    promised). ``title`` is what a screen reader says."""
    count = len(nodes)
    radius = max(70.0, 26.0 * count)
    points = [
        (radius * math.sin(2 * math.pi * i / count), -radius * math.cos(2 * math.pi * i / count))
        for i in range(count)
    ]
    parts: list[str] = []
    # the arrows between consecutive partners, then the closing one
    for i in range(count):
        j = (i + 1) % count
        last = j == 0
        dashed = nodes[i].missing or nodes[j].missing
        colour = CLOSED if last and status == "closed" else (OPEN if dashed else MUTED)
        width = 3.5 if last and status == "closed" else 2.0
        marker = "closed" if last and status == "closed" else ("open" if dashed else "step")
        parts.append(_arc(points[i], points[j], radius, colour, width, dashed, marker))
        if numbers:
            mid = _middle(points[i], points[j], radius * 0.78)
            parts.append(
                f'<text x="{mid[0]:.1f}" y="{mid[1] + 4:.1f}" text-anchor="middle" '
                f'font-size="{FONT - 1}" fill="{colour}" font-weight="700">{i + 1}</text>'
            )
    boxes: list[tuple[float, float, float, float]] = []
    for node, (x, y) in zip(nodes, points, strict=True):
        fill = "#fde0e0" if node.missing else ROLE_COLOURS.get(node.role, "#b8bec6")
        stroke = OPEN if node.missing else "#2f3640"
        dash = ' stroke-dasharray="4 3"' if node.missing else ""
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="2"{dash}/>'
        )
        text, box = _label(node, x, y, radius)
        parts.append(text)
        boxes.append(box)
    left = min([-radius - 20, *(b[0] for b in boxes)]) - 8
    top = min([-radius - 20, *(b[1] for b in boxes)]) - 8
    right = max([radius + 20, *(b[2] for b in boxes)]) + 8
    bottom = max([radius + 20, *(b[3] for b in boxes)]) + 8
    width, height = right - left, bottom - top
    return Markup(
        f'<svg class="ring" viewBox="{left:.0f} {top:.0f} {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif">'
        f"{_markers()}{''.join(parts)}</svg>"
    )


def _markers() -> str:
    found = []
    for name, colour in (("step", MUTED), ("closed", CLOSED), ("open", OPEN)):
        found.append(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
        )
    return f"<defs>{''.join(found)}</defs>"


def _middle(a: tuple[float, float], b: tuple[float, float], r: float) -> tuple[float, float]:
    angle = math.atan2(a[1] + b[1], a[0] + b[0])
    if abs(a[0] + b[0]) < 1e-9 and abs(a[1] + b[1]) < 1e-9:  # two nodes: opposite points
        angle = math.atan2(b[1] - a[1], b[0] - a[0]) - math.pi / 2
    return r * math.cos(angle), r * math.sin(angle)


def _arc(
    a: tuple[float, float],
    b: tuple[float, float],
    radius: float,
    colour: str,
    width: float,
    dashed: bool,
    marker: str,
) -> str:
    """An arrow along the circle from ``a`` to ``b``, stopping short of both nodes."""
    start = math.atan2(a[1], a[0])
    end = math.atan2(b[1], b[0])
    if end <= start:
        end += 2 * math.pi
    gap = 15 / radius
    s, e = start + gap, end - gap - 0.02
    x1, y1 = radius * math.cos(s), radius * math.sin(s)
    x2, y2 = radius * math.cos(e), radius * math.sin(e)
    large = 1 if e - s > math.pi else 0
    dash = ' stroke-dasharray="7 5"' if dashed else ""
    return (
        f'<path d="M{x1:.1f},{y1:.1f} A{radius:.1f},{radius:.1f} 0 {large} 1 {x2:.1f},{y2:.1f}" '
        f'fill="none" stroke="{colour}" stroke-width="{width}"{dash} '
        f'marker-end="url(#arrow-{marker})"/>'
    )


def _label(
    node: RingNode, x: float, y: float, radius: float
) -> tuple[str, tuple[float, float, float, float]]:
    """The name and role of a node, outside the ring, and the box they take."""
    lines = wrap(node.label)
    role = f"({node.role_word})"
    widest = max(len(s) for s in [*lines, role]) * CHAR
    height = LINE * (len(lines) + 1)
    angle = math.atan2(y, x)
    dx, dy = math.cos(angle), math.sin(angle)
    tx, ty = x + dx * 20, y + dy * 20
    if abs(dx) < 0.35:  # top or bottom: centred above or below
        anchor, left = "middle", tx - widest / 2
        ty = ty - height + LINE * 0.8 if dy < 0 else ty + LINE * 0.6
    elif dx > 0:
        anchor, left = "start", tx
        ty -= height / 2 - LINE * 0.8
    else:
        anchor, left = "end", tx - widest
        ty -= height / 2 - LINE * 0.8
    colour = OPEN if node.missing else INK
    spans = "".join(
        f'<tspan x="{tx:.1f}" dy="{0 if i == 0 else LINE}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    spans += (
        f'<tspan x="{tx:.1f}" dy="{LINE}" fill="{MUTED}" font-size="{FONT - 1}">'
        f"{escape(role)}</tspan>"
    )
    text = (
        f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="{FONT}" '
        f'fill="{colour}" font-weight="600">{spans}</text>'
    )
    top = ty - LINE * 0.8
    return text, (left, top, left + widest, top + height)


def bar(value: float, most: float, scale: float, *, label: str) -> Markup:
    """A bar of ``value`` on a track of ``most`` (both 0..``scale``), labelled for screen
    readers by ``label``."""
    width = 120.0
    track = width * (most / scale if scale else 0)
    filled = width * (value / scale if scale else 0)
    return Markup(
        f'<svg class="bar" viewBox="0 0 {width:.0f} 12" width="{width:.0f}" height="12" '
        f'role="img" aria-label="{escape(label)}">'
        f'<rect x="0" y="1" width="{track:.1f}" height="10" fill="#e3ebe6"/>'
        f'<rect x="0" y="1" width="{filled:.1f}" height="10" fill="{CLOSED}"/></svg>'
    )


@dataclass(frozen=True)
class ChartRow:
    label: str
    closed: int
    promised: int
    open: int


def loops_chart(rows: Sequence[ChartRow], *, title: str, legend: Sequence[str]) -> Markup:
    """Stacked bars per category: closed, promised and open loops, the counts written on them.
    ``legend`` names the three statuses."""
    width, bar_height, label_height = 640.0, 16.0, 18.0
    most = max((r.closed + r.promised + r.open for r in rows), default=1) or 1
    usable = width - 40
    parts = []
    y = 28.0
    x = 0.0
    for name, colour in zip(legend, (CLOSED, PROMISED, OPEN), strict=True):
        parts.append(f'<rect x="{x:.0f}" y="4" width="14" height="14" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 19:.0f}" y="16" font-size="{FONT}" fill="{INK}">{escape(name)}</text>'
        )
        x += 19 + len(name) * CHAR + 24
    for row in rows:
        y += label_height
        parts.append(
            f'<text x="0" y="{y - 4:.1f}" font-size="{FONT}" fill="{INK}">'
            f"{escape(row.label)}</text>"
        )
        x = 0.0
        for count, colour in ((row.closed, CLOSED), (row.promised, PROMISED), (row.open, OPEN)):
            if not count:
                continue
            w = usable * count / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_height}" '
                f'fill="{colour}"/>'
            )
            if w >= 18:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 12.5:.1f}" text-anchor="middle" '
                    f'font-size="{FONT - 1}" fill="#ffffff" font-weight="700">{count}</text>'
                )
            x += w
        total = row.closed + row.promised + row.open
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + 12.5:.1f}" font-size="{FONT - 1}" '
            f'fill="{MUTED}">{total}</text>'
        )
        y += bar_height + 8
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width:.0f} {y + 4:.0f}" width="{width:.0f}" '
        f'height="{y + 4:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif">{"".join(parts)}</svg>'
    )
