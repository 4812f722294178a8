"""The crisis benchmark's chart: queue depths and latencies over time, drawn with Pillow (PNG), and text sparklines.

Two panels sharing the time axis (seconds into the run; the dashed line is the end of the load): the
depth of every queue that was ever non-empty, and the latencies per second (p99 posted → visible, p95 of
the inbox page; a dot per escalation's push), with the targets as dotted lines. Each panel has its own scale,
printed on its axis; the latencies' is logarithmic.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1100, 760
LEFT, RIGHT, TOP, GAP = 80, 290, 40, 70
COLOURS = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
    (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]
SPARKS = "▁▂▃▄▅▆▇█"

Series = dict[str, list[tuple[float, float]]]


def sparkline(values: list[float], width: int = 40) -> str:
    """The values squeezed into `width` characters (each the maximum of its slice)."""
    if not values:
        return ""
    step = max(1, math.ceil(len(values) / width))
    slices = [max(values[start : start + step]) for start in range(0, len(values), step)]
    top = max(slices) or 1
    return "".join(SPARKS[min(len(SPARKS) - 1, int(value / top * (len(SPARKS) - 1) + 0.5))] for value in slices)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _panel(draw: ImageDraw.ImageDraw, *, box: tuple[int, int, int, int], title: str, unit: str, series: Series,
           seconds: float, span: float, targets: dict[str, float], log: bool = False) -> None:
    left, top, right, bottom = box
    font, small = _font(14), _font(11)
    draw.rectangle(box, outline=(90, 90, 90))
    draw.text((left, top - 22), title, fill=(0, 0, 0), font=font)
    values = [value for points in series.values() for _, value in points] + list(targets.values())
    peak = max(values, default=1.0) * 1.05 or 1.0

    def x(moment: float) -> float:
        return left + (right - left) * moment / span

    def y(value: float) -> float:
        if log:
            share = math.log10(max(value, 1.0)) / max(math.log10(peak), 1.0)
            return bottom - (bottom - top) * share
        return bottom - (bottom - top) * value / peak

    ticks = [10.0**power for power in range(0, int(math.log10(max(peak, 1.0))) + 1)] if log else [
        peak * tick / 4 for tick in range(5)
    ]
    for value in ticks:
        draw.line([(left - 4, y(value)), (left, y(value))], fill=(90, 90, 90))
        draw.text((4, y(value) - 7), f"{value:,.0f} {unit}", fill=(60, 60, 60), font=small)
    for tick in range(6):
        moment = span * tick / 5
        label = f"{moment:.0f}s" if span >= 10 else f"{moment:.1f}s"
        draw.text((x(moment) - 10, bottom + 4), label, fill=(60, 60, 60), font=small)
    for step in range(0, bottom - top, 8):  # the end of the load
        draw.line([(x(seconds), top + step), (x(seconds), top + step + 4)], fill=(120, 120, 120))
    legend = top
    for number, (name, points) in enumerate(series.items()):
        colour = COLOURS[number % len(COLOURS)]
        if len(points) > 1 and not name.endswith("(each)"):
            draw.line([(x(moment), y(value)) for moment, value in points], fill=colour, width=2)
        else:  # one mark per event
            for moment, value in points:
                draw.ellipse([x(moment) - 3, y(value) - 3, x(moment) + 3, y(value) + 3], fill=colour)
        draw.rectangle([right + 12, legend + 3, right + 24, legend + 11], fill=colour)
        draw.text((right + 30, legend), name[:40], fill=(0, 0, 0), font=small)
        legend += 16
    for name, value in targets.items():
        for step in range(left, right, 6):
            draw.point((step, y(value)), fill=(200, 0, 0))
        draw.text((right - 160, y(value) - 14), name, fill=(200, 0, 0), font=small)


def chart_write(path: Path, *, queues: Series, latencies: Series, seconds: float, targets: dict[str, float],
                title: str) -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.text((LEFT, 8), title, fill=(0, 0, 0), font=_font(13))
    panel_height = (HEIGHT - TOP - GAP - 40) // 2
    moments = [moment for points in [*queues.values(), *latencies.values()] for moment, _ in points]
    span = max([*moments, seconds, 1.0])
    upper = (LEFT, TOP + 30, WIDTH - RIGHT, TOP + 30 + panel_height)
    lower = (LEFT, upper[3] + GAP, WIDTH - RIGHT, upper[3] + GAP + panel_height - 20)
    _panel(draw, box=upper, title="Queue depth (items)", unit="", series=queues, seconds=seconds, span=span,
           targets={})
    _panel(draw, box=lower, title="Latency per second (ms, logarithmic)", unit="ms", series=latencies,
           seconds=seconds, span=span, targets=targets, log=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
