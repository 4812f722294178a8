"""The report's charts as SVG built on the server from the data: the same markup in the page and the PDF.

No script, no style attribute (the page's Content-Security-Policy refuses both), no font or file fetched:
presentation attributes only, text in the system's sans-serif. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from playbooks.report import ChartMarker, ChartPoint

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 24, 30
FONT = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="11"'
COLOURS = {
    "volume": "#5b7db1",
    "negative": "#c62828",
    "neutral": "#9e9e9e",
    "positive": "#2e7d32",
    "axis": "#555555",
    "grid": "#dddddd",
    "marker": "#6a1b9a",
}
X_LABELS = 6


def _nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1): the top of the axis."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _time_label(moment: datetime, *, long_range: bool) -> str:
    local = timezone.localtime(moment)
    return local.strftime("%d/%m %H:%M") if long_range else local.strftime("%H:%M")


def _frame(title: str, description: str, testid: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{testid}-title {testid}-desc" data-testid="{testid}" '
        f'class="report-chart-svg">'
        f'<title id="{testid}-title">{escape(title)}</title><desc id="{testid}-desc">{escape(description)}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  every text above and in body is escaped


def _axes(points: Sequence[ChartPoint], *, top_value: int, unit: str) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = []
    for fraction in (0, 0.5, 1):
        y = TOP + plot_height * (1 - fraction)
        value = top_value * fraction
        label = f"{value:g}{unit}"
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{COLOURS["axis"]}" {FONT}>'
            f"{escape(label)}</text>"
        )
    if points:
        long_range = (points[-1].start - points[0].start).total_seconds() > 20 * 3600
        every = max(1, len(points) // X_LABELS)
        slot = (WIDTH - LEFT - RIGHT) / len(points)
        for index in range(0, len(points), every):
            x = LEFT + slot * (index + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" fill="{COLOURS["axis"]}" {FONT}>'
                f"{escape(_time_label(points[index].start, long_range=long_range))}</text>"
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="{COLOURS["axis"]}"/>'
    )
    return parts


def _x_of(moment: datetime, points: Sequence[ChartPoint], bucket_minutes: int) -> float | None:
    if not points:
        return None
    start = points[0].start
    span = len(points) * bucket_minutes * 60
    offset = (moment - start).total_seconds()
    if offset < 0 or offset > span:
        return None
    return LEFT + (WIDTH - LEFT - RIGHT) * offset / span


def volume_chart(
    points: Sequence[ChartPoint], *, bucket_minutes: int, markers: Sequence[ChartMarker] = ()
) -> SafeString:
    """Mentions per bucket (the negative ones in red inside each bar), the crisis's moments as lines."""
    peak = max((point.volume for point in points), default=0)
    top_value = _nice_ceiling(peak)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(points))
    body = _axes(points, top_value=top_value, unit="")
    for index, point in enumerate(points):
        if not point.volume:
            continue
        x = LEFT + slot * index + slot * 0.1
        for value, colour in ((point.volume, COLOURS["volume"]), (point.negative, COLOURS["negative"])):
            height = plot_height * value / top_value
            body.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_height - height:.1f}" width="{slot * 0.8:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
    for marker in markers:
        at = _x_of(marker.at, points, bucket_minutes)
        if at is None:
            continue
        x = at
        body.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{COLOURS["marker"]}" '
            f'stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x + 3 if x < WIDTH - 90 else x - 3:.1f}" y="{TOP - 8}" fill="{COLOURS["marker"]}" '
            f'text-anchor="{"start" if x < WIDTH - 90 else "end"}" {FONT}>{escape(marker.label)}</text>'
        )
    total = sum(point.volume for point in points)
    negative = sum(point.negative for point in points)
    description = _("%(total)s mentions, %(negative)s negative, in buckets of %(minutes)s min.") % {
        "total": total,
        "negative": negative,
        "minutes": bucket_minutes,
    }
    return _frame(_("Mentions over the crisis"), description, "chart-volume", body)


def sentiment_chart(points: Sequence[ChartPoint], *, bucket_minutes: int) -> SafeString:
    """Each bucket's negative, neutral and positive shares as one stacked column of 100 %."""
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(points))
    body = _axes(points, top_value=100, unit=" %")
    for index, point in enumerate(points):
        if not point.volume:
            continue
        x = LEFT + slot * index + slot * 0.1
        y = float(TOP + plot_height)
        for value, colour in (
            (point.negative, COLOURS["negative"]),
            (point.neutral, COLOURS["neutral"]),
            (point.positive, COLOURS["positive"]),
        ):
            height = plot_height * value / point.volume
            y -= height
            if height > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{height:.1f}" fill="{colour}"/>'
                )
    legend_x = LEFT
    for name, label in (("negative", _("Negative")), ("neutral", _("Neutral")), ("positive", _("Positive"))):
        body.append(
            f'<rect x="{legend_x}" y="4" width="10" height="10" fill="{COLOURS[name]}"/>'
            f'<text x="{legend_x + 14}" y="13" fill="{COLOURS["axis"]}" {FONT}>{escape(label)}</text>'
        )
        legend_x += 110
    description = _("Share of negative, neutral and positive mentions, in buckets of %(minutes)s min.") % {
        "minutes": bucket_minutes
    }
    return _frame(_("Sentiment over the crisis"), description, "chart-sentiment", body)
