"""The overview's charts as inline SVG: tickets per hour by engine, agreement per field, the
calibration curve. No script and no ``style`` attribute (the page's CSP allows neither inline):
shapes carry a class the stylesheet colours, and a ``<title>`` (a tooltip in every browser).
Every text that comes from the store is escaped here; the templates insert the result as is.
The figures they draw (hours, calibration points) are made here from the store's overview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from ..audit.overview import AgreementFigure, Overview

_SVG = 'xmlns="http://www.w3.org/2000/svg"'
ENGINES = ("llm", "learned", "rules")
# The overview's window: the last day, hour by hour.
OVERVIEW_HOURS = 24
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class HourCounts:
    start: datetime
    by_engine: dict[str, int]
    failed: int = 0


@dataclass(frozen=True)
class CalibrationPoint:
    confidence: float  # the bin's middle
    right: float  # the share of the bin's checked values that stood
    count: int


def hours(overview: Overview, *, now: datetime) -> list[HourCounts]:
    """The store's per-hour counts as the last ``OVERVIEW_HOURS`` hours, empty ones included."""
    start = (now - timedelta(hours=OVERVIEW_HOURS - 1)).replace(minute=0, second=0, microsecond=0)
    slots = [HourCounts(start + timedelta(hours=i), {}) for i in range(OVERVIEW_HOURS)]
    for hour, engine, count in overview.per_hour:
        try:
            moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        except ValueError:
            continue
        slot = int((moment - start).total_seconds() // 3600)
        if 0 <= slot < OVERVIEW_HOURS:
            name = engine or "unknown"
            slots[slot].by_engine[name] = slots[slot].by_engine.get(name, 0) + count
    return slots


def calibration_points(overview: Overview) -> list[CalibrationPoint]:
    """The calibration bins of every field pooled, one point a bin."""
    pooled: dict[float, list[int]] = {}
    for b in overview.calibration:
        entry = pooled.setdefault(round(b.low, 3), [0, 0])
        entry[0] += b.compared
        entry[1] += b.agreed
    return [
        CalibrationPoint(low + 0.5 / CALIBRATION_BINS, agreed / compared, compared)
        for low, (compared, agreed) in sorted(pooled.items())
        if compared
    ]


def _empty(text: str) -> str:
    return f'<p class="muted">{escape(text)}</p>'


def hours_chart(hours: Sequence[HourCounts]) -> str:
    """Stacked columns, one an hour: by the LLM, the learned model, the rules; failed on top."""
    if not any(h.by_engine or h.failed for h in hours):
        return _empty("no tickets in the last day")
    width, height, base = 960, 180, 150
    top = max(sum(h.by_engine.values()) + h.failed for h in hours) or 1
    slot = width / len(hours)
    column = max(2.0, slot * 0.7)
    parts = [
        f'<svg class="chart wide" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="tickets per hour by engine" {_SVG}>',
        f'<line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}"/>',
        f'<text x="0" y="10">{top}</text>',
    ]
    for i, hour in enumerate(hours):
        x = i * slot + (slot - column) / 2
        y = float(base)
        stack = [(e, hour.by_engine.get(e, 0)) for e in ENGINES]
        stack += [(e, n) for e, n in hour.by_engine.items() if e not in ENGINES]
        stack.append(("failed", hour.failed))
        for name, count in stack:
            if count <= 0:
                continue
            h = (base - 16) * count / top
            y -= h
            cls = name if name in (*ENGINES, "failed") else "other"
            parts.append(
                f'<rect class="s-{cls}" x="{x:.1f}" y="{y:.1f}" width="{column:.1f}" '
                f'height="{h:.1f}"><title>{hour.start:%H}:00 {escape(name)}: {count}'
                "</title></rect>"
            )
    parts.append(f'<text x="0" y="{height - 4}">{hours[0].start:%a %H}:00 UTC</text>')
    parts.append(
        f'<text x="{width}" y="{height - 4}" text-anchor="end">'
        f"{hours[-1].start:%a %H}:00 UTC</text>"
    )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i class="s-{name}"></i>{label}</span>'
        for name, label in (
            ("llm", "LLM"),
            ("learned", "learned model"),
            ("rules", "keyword rules"),
            ("failed", "failed"),
        )
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def agreement_chart(rows: Sequence[AgreementFigure]) -> str:
    """One bar a field: the share of ticketbot's values a person checked that stood."""
    if not rows:
        return _empty("no value checked by a person yet (agents' corrections, reviews)")
    row_h, label_w, bar_w = 26, 110, 190
    height = row_h * len(rows) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 380 {height}" role="img" '
        f'aria-label="agreement per field" {_SVG}>'
    ]
    for i, row in enumerate(rows):
        y = i * row_h + 2
        share = row.rate or 0.0
        width = max(1.0, bar_w * share)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{escape(row.field)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="16" rx="3"/>'
            f'<rect class="s-agree" x="{label_w}" y="{y + 4}" width="{width:.1f}" height="16" '
            f'rx="3"><title>{escape(row.field)}: {row.agreed} of {row.compared}</title></rect>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 16}">{share:.0%} of {row.compared}'
            "</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def calibration_chart(points: Sequence[CalibrationPoint]) -> str:
    """Calibrated confidence (x) against the share right (y), with the diagonal a perfectly
    calibrated engine would follow; each point's size grows with its count."""
    if not points:
        return _empty("no labelled value with a calibrated confidence yet")
    size, pad = 220, 28
    inner = size - 2 * pad

    def at(x: float, y: float) -> tuple[float, float]:
        return pad + inner * x, size - pad - inner * y

    x0, y0 = at(0, 0)
    x1, y1 = at(1, 1)
    parts = [
        f'<svg class="chart square" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="calibration curve" {_SVG}>',
        f'<rect class="track" x="{pad}" y="{pad}" width="{inner}" height="{inner}"/>',
        f'<line class="diagonal" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}"/>',
    ]
    line = " ".join(
        f"{at(p.confidence, p.right)[0]:.1f},{at(p.confidence, p.right)[1]:.1f}" for p in points
    )
    parts.append(f'<polyline class="curve" points="{line}"/>')
    for p in points:
        cx, cy = at(p.confidence, p.right)
        radius = min(8.0, 2.5 + p.count**0.5)
        parts.append(
            f'<circle class="s-point" cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}"><title>'
            f"confidence {p.confidence:.2f}: {p.right:.0%} right of {p.count}</title></circle>"
        )
    parts.append(f'<text x="{pad}" y="{size - 8}">0</text>')
    parts.append(f'<text x="{size - pad}" y="{size - 8}" text-anchor="end">confidence 1</text>')
    parts.append(f'<text x="2" y="{pad + 4}">right 1</text>')
    parts.append("</svg>")
    return "".join(parts)
