"""The one chart helper: small server-side SVG, the same picture on screen and on paper.

Every chart has a title and a text alternative (role="img" + <title>/<desc>),
and shows its numbers as text, so colour is never the only carrier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#066fd1", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#0ca678", "#4263eb", "#f59f00")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""  # shown after the value, e.g. "avg 3.2 h to resolve"


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "", width: int = 560) -> SafeString:
    """Horizontal bars with their labels and values written out."""
    row, label_w, pad = 26, 170, 8
    height = max(1, len(bars)) * row + 2 * pad
    top = max((b.value for b in bars), default=0) or 1
    plot_w = width - label_w - 150
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sam-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="chart-title">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape("; ".join(f"{b.label}: {b.value:g}{unit} {b.note}".strip() for b in bars) or "no data")
        + "</desc>",
    ]
    if not bars:
        parts.append(f'<text x="{pad}" y="{pad + 14}" font-size="12" fill="#49566c">No data for this period.</text>')
    for i, bar in enumerate(bars):
        y = pad + i * row
        length = max(1.0, plot_w * bar.value / top) if bar.value else 0
        colour = PALETTE[i % len(PALETTE)]
        parts += [
            f'<text x="{label_w - 6}" y="{y + 16}" font-size="12" text-anchor="end" fill="#1d273b">'
            f"{escape(bar.label[:28])}</text>",
            f'<rect x="{label_w}" y="{y + 4}" width="{length:.1f}" height="{row - 10}" rx="3" fill="{colour}"/>',
            f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" font-size="12" fill="#1d273b">'
            f"{bar.value:g}{escape(unit)}{(' · ' + escape(bar.note)) if bar.note else ''}</text>",
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text piece above is escaped)
