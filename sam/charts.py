"""The one chart helper: small server-side SVG, the same picture on screen and on paper.

Every chart has a title and a text alternative (role="img" + <title>/<desc>),
and shows its numbers as text, so colour is never the only carrier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

STATUS_COLOURS = {"green": "#2fb344", "amber": "#f59f00", "red": "#d63939"}
PALETTE = ("#066fd1", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#0ca678", "#4263eb", "#f59f00")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # shown after the value, e.g. "avg 3.2 h to resolve"
    colour: str = ""  # a fixed colour (e.g. a status); the palette's next one otherwise


def _value_text(bar: Bar, unit: str) -> str:
    number = compact(bar.value) if abs(bar.value) >= 10_000 else f"{bar.value:g}"
    return f"{number}{unit}" + (f" · {bar.note}" if bar.note else "")


def bar_chart(
    title: str, bars: Sequence[Bar], *, unit: str = "", width: int = 560, top: float | None = None
) -> SafeString:
    """Horizontal bars with their labels and values written out."""
    row, label_w, pad = 26, 170, 8
    height = max(1, len(bars)) * row + 2 * pad
    top = top or max((b.value for b in bars), default=0) or 1
    # Room for the longest value text (about 7 px a character at 12 px), then the bars get the rest.
    value_w = max((len(_value_text(b, unit)) for b in bars), default=0) * 7 + 12
    plot_w = max(120, width - label_w - value_w)
    width = label_w + plot_w + value_w
    chart_id = f"chart-{abs(hash((title, tuple(bars)))) % 10**8}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sam-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{escape(title)}</title>',
        "<desc>"
        + escape("; ".join(f"{b.label}: {b.value:g}{unit} {b.note}".strip() for b in bars) or "no data")
        + "</desc>",
    ]
    if not bars:
        parts.append(f'<text x="{pad}" y="{pad + 14}" font-size="12" fill="#49566c">No data for this period.</text>')
    for i, bar in enumerate(bars):
        y = pad + i * row
        length = max(1.0, plot_w * bar.value / top) if bar.value else 0
        colour = bar.colour or PALETTE[i % len(PALETTE)]
        parts += [
            f'<text x="{label_w - 6}" y="{y + 16}" font-size="12" text-anchor="end" fill="#1d273b">'
            f"{escape(bar.label if len(bar.label) <= 26 else bar.label[:25] + '…')}</text>",
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" rx="3" fill="{colour}"/>',
            f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" font-size="12" fill="#1d273b">'
            f"{escape(_value_text(bar, unit))}</text>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text piece above is escaped)


def compact(value: float) -> str:
    """A short label for a value: 1.2M, 45k, 12.5."""
    size = abs(value)
    if size >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if size >= 10_000:
        return f"{value / 1_000:.3g}k"
    return f"{round(value, 1):g}"


def line_chart(
    title: str,
    points: Sequence[tuple[str, float | None]],
    *,
    top: float | None = 100,
    bottom: float | None = 0,
    width: int = 560,
    reference: tuple[str, float] | None = None,
) -> SafeString:
    """A line over labelled points (e.g. periods), values written above the dots; None is a gap.

    ``top``/``bottom`` None scale to the data (and the reference line, e.g. a target, drawn dashed).
    """
    height, pad_x, pad_top, pad_bottom = 150, 36, 22, 24
    count = max(1, len(points))
    step = (width - 2 * pad_x) / max(1, count - 1)
    chart_id = f"chart-{abs(hash((title, tuple(points), reference))) % 10**8}"
    known = [v for _, v in points if v is not None] + ([reference[1]] if reference else [])
    if top is None:
        top = max([*known, 0.0]) or 1.0
        top += abs(top) * 0.1
    if bottom is None:
        bottom = min([*known, 0.0])
        bottom -= abs(bottom) * 0.1
    if top <= bottom:
        top = bottom + 1
    low, high = bottom, top

    def y(value: float) -> float:
        fraction = (max(low, min(high, value)) - low) / (high - low)
        return pad_top + (1 - fraction) * (height - pad_top - pad_bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sam-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{escape(title)}</title>',
        "<desc>"
        + escape("; ".join(f"{label}: {'no data' if v is None else compact(v)}" for label, v in points) or "no data")
        + "</desc>",
        f'<line x1="{pad_x}" y1="{y(low):.1f}" x2="{width - pad_x}" y2="{y(low):.1f}" stroke="#dce1e7"/>',
    ]
    if reference is not None:
        ref_y = y(reference[1])
        parts += [
            f'<line x1="{pad_x}" y1="{ref_y:.1f}" x2="{width - pad_x}" y2="{ref_y:.1f}" stroke="#2f7d32" '
            'stroke-dasharray="4 3"/>',
            f'<text x="{width - pad_x}" y="{ref_y - 4:.1f}" font-size="10" text-anchor="end" fill="#2f7d32">'
            f"{escape(reference[0])}</text>",
        ]
    segment: list[str] = []
    # Thin the axis labels when they would overlap (every other one, or fewer, and always the last).
    label_w = max((len(label) for label, _ in points), default=1) * 6.5 + 4
    stride = max(1, math.ceil(label_w / step)) if count > 1 else 1
    for i, (label, value) in enumerate(points):
        x = pad_x + i * step
        if (count - 1 - i) % stride == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="#49566c">'
                f"{escape(label)}</text>"
            )
        if value is None:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
                )
            segment = []
            continue
        segment.append(f"{x:.1f},{y(value):.1f}")
        parts += [
            f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="3.5" fill="{PALETTE[0]}"/>',
            f'<text x="{x:.1f}" y="{y(value) - 8:.1f}" font-size="11" text-anchor="middle" fill="#1d273b">'
            f"{compact(value)}</text>",
        ]
    if len(segment) > 1:
        parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text piece above is escaped)


@dataclass(frozen=True)
class Span:
    label: str
    start: date
    end: date
    note: str = ""  # written after the dates, e.g. "accepted"
    colour: str = ""


def timeline_chart(title: str, spans: Sequence[Span], *, width: int = 640, today: date | None = None) -> SafeString:
    """A plan on a calendar: one bar per row from its start to its end (the dates in its tooltip and the text
    alternative), month ticks on top and a dashed line for today when it falls inside."""
    row, label_w, pad, axis = 26, 190, 8, 18
    height = axis + max(1, len(spans)) * row + 2 * pad
    chart_id = f"chart-{abs(hash((title, tuple(spans)))) % 10**8}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sam-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{escape(title)}</title>',
        "<desc>"
        + escape(
            "; ".join(f"{s.label}: {s.start:%d %b %Y} to {s.end:%d %b %Y} {s.note}".strip() for s in spans)
            or "nothing planned"
        )
        + "</desc>",
    ]
    if not spans:
        parts += [f'<text x="{pad}" y="{pad + 14}" font-size="12" fill="#49566c">Nothing planned yet.</text>', "</svg>"]
        return mark_safe("".join(parts))  # noqa: S308
    first = min(s.start for s in spans).replace(day=1)
    last = max(s.end for s in spans)
    total = max(1, (last - first).days + 1)
    plot_w = width - label_w - pad - 28  # room for the last month's label

    def x(day: date) -> float:
        return label_w + plot_w * (day - first).days / total

    month = first
    months = []
    while month <= last:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    stride = max(1, math.ceil(len(months) * 44 / plot_w))
    for i, month in enumerate(months):
        parts.append(
            f'<line x1="{x(month):.1f}" y1="{axis}" x2="{x(month):.1f}" y2="{height - pad}" stroke="#eef1f4"/>'
        )
        if i % stride == 0:
            parts.append(
                f'<text x="{x(month) + 2:.1f}" y="{axis - 5}" font-size="10" fill="#49566c">{month:%b %y}</text>'
            )
    for i, span in enumerate(spans):
        y = axis + pad + i * row
        left, right = x(span.start), max(x(span.start) + 3, x(span.end + timedelta(days=1)))
        colour = span.colour or PALETTE[i % len(PALETTE)]
        label = span.label if len(span.label) <= 30 else span.label[:29] + "…"
        parts += [
            f'<text x="{label_w - 6}" y="{y + 16}" font-size="11" text-anchor="end" fill="#1d273b">'
            f"{escape(label)}</text>",
            f'<rect x="{left:.1f}" y="{y + 5}" width="{right - left:.1f}" height="{row - 12}" rx="3" fill="{colour}">'
            f"<title>{escape(f'{span.label}: {span.start:%d %b %Y} to {span.end:%d %b %Y} {span.note}'.strip())}"
            "</title></rect>",
        ]
    if today is not None and first <= today <= last:
        parts.append(
            f'<line x1="{x(today):.1f}" y1="{axis}" x2="{x(today):.1f}" y2="{height - pad}" '
            'stroke="#d63939" stroke-dasharray="3 3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text piece above is escaped)
