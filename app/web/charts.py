"""Pictures drawn on the server as inline SVG (no script, no library in the browser): the QR
code of an invite, the bar chart of indices, the colour classes of the gap heat map."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import segno
from markupsafe import escape


def qr_svg(data: str, *, scale: int = 5, title: str = "") -> str:
    """A QR code as an SVG element (black modules on white, quiet zone included).

    Always a regular QR code (``make_qr``): ``segno.make`` picks a Micro QR for short data,
    which few phone cameras read. The SVG has a viewBox and no fixed size (``omitsize``), so the
    code is drawn across whatever box the page gives it instead of in one corner of it."""
    code = segno.make_qr(data, error="m")
    buf = io.BytesIO()
    code.save(
        buf,
        kind="svg",
        scale=scale,
        xmldecl=False,
        svgns=True,
        nl=False,
        title=title or None,
        svgclass="qr",
        omitsize=True,
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return buf.getvalue().decode("utf-8")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None
    band: str | None
    rank: int | None


def _fmt(value: Decimal, locale: str) -> str:
    from core.numbers import format_score

    return format_score(value, locale, places=2)


def _whole(value: Decimal, locale: str) -> str:
    from core.numbers import format_score

    return format_score(value, locale)


LABEL_CHARS = 26  # about what 178 px of 12 px text hold


def label_lines(text: str, width: int = LABEL_CHARS) -> list[str]:
    """A chart label wrapped at word boundaries; a single word longer than a line stays whole
    (it may reach into the margin, but no letter is cut off)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    thresholds: Sequence[tuple[str, Decimal]] = (),
    locale: str = "vi",
    width: int = 640,
) -> str:
    """Horizontal bars of indices (0–100 %, longer when bonus points pass 100), one per unit,
    in the given order, with the band thresholds as dashed lines. Scales to the page width.

    A long unit name wraps onto several lines at word boundaries (its row grows to hold them),
    so every letter of "Ban Quản lý các khu công nghiệp tỉnh" stays readable; nothing is cut."""
    label_w, value_w, bar_h, gap, top, line_h = 190, 64, 18, 6, 42, 14
    plot_w = width - label_w - value_w
    values = [b.value for b in bars if b.value is not None]
    top_value = max([Decimal(100), *values]) if values else Decimal(100)
    labels = [label_lines(f"{b.rank}. {b.label}" if b.rank is not None else b.label) for b in bars]
    heights = [max(bar_h, len(lines) * line_h + 4) for lines in labels]
    height = top + sum(h + gap for h in heights) + 8

    def x(value: Decimal) -> float:
        return label_w + float(value / top_value) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    shown = [(label, level) for label, level in thresholds if 0 < level <= top_value]
    for i, (label, level) in enumerate(sorted(shown, key=lambda t: t[1])):
        xx = x(level)
        label_y = top - 8 - (i % 2) * 14  # neighbouring thresholds: labels on two lines
        parts.append(
            f'<line class="threshold" x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" '
            f'y2="{height - 4}" stroke="#8a6d00" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text class="threshold-label" x="{xx:.1f}" y="{label_y}" text-anchor="middle" '
            f'font-size="11" fill="#6b5500">{escape(label)} {escape(_whole(level, locale))}'
            "</text>"
        )
    y = top
    for bar, lines, row_h in zip(bars, labels, heights, strict=True):
        bar_y = y + (row_h - bar_h) / 2
        first = y + (row_h - len(lines) * line_h) / 2 + line_h - 3
        spans = "".join(
            f'<tspan x="{label_w - 6}" y="{first + k * line_h:.1f}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        parts.append(
            f'<text class="unit-label" text-anchor="end" font-size="12" fill="#1d2733">'
            f"{spans}<title>{escape(bar.label)}</title></text>"
        )
        text_y = bar_y + bar_h - 5
        y += row_h + gap
        if bar.value is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{text_y:.1f}" font-size="12" fill="#5b6b7b">–</text>'
            )
            continue
        w = max(1.0, x(bar.value) - label_w)
        band = escape((bar.band or "").lower().replace(" ", "-"))
        parts.append(
            f'<rect class="bar band-{band}" x="{label_w}" y="{bar_y:.1f}" width="{w:.1f}" '
            f'height="{bar_h}" rx="2" fill="#2f6fb0"><title>{escape(bar.label)}: '
            f"{escape(_fmt(bar.value, locale))}%</title></rect>"
        )
        parts.append(
            f'<text x="{label_w + w + 4:.1f}" y="{text_y:.1f}" font-size="12" '
            f'fill="#1d2733">{escape(_fmt(bar.value, locale))}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def gap_class(gap: Decimal | None, maximum: Decimal | None) -> str:
    """The heat map's colour for appraised − self, relative to the field's maximum."""
    if gap is None:
        return "gap-none"
    if gap == 0:
        return "gap-0"
    share = abs(gap) / maximum if maximum else Decimal(1)
    level = 1 if share < Decimal("0.05") else 2 if share < Decimal("0.15") else 3
    return f"gap-{'up' if gap > 0 else 'down'}-{level}"
