"""Category volume per day in the report: a sparkline per category (HTML) and today's change
against the category's own baseline (terminal), from the run's daily counts (``topics.rising``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from rich.table import Table

from ..topics.rising import DailyCounts, baseline, explained_today, rising

DAYS_SHOWN = 14


@dataclass(frozen=True)
class Trend:
    key: str  # "billing" or "billing/refund_status"
    series: list[int]  # per day, oldest first, today last
    today: int
    baseline: float
    rising: bool
    explained_by: int | None = None  # the open incident whose tickets make the rise


def mark(trend: Trend) -> str:
    """What the last column says: rising, or rising because of an incident, or nothing."""
    if trend.explained_by is not None:
        return f"rising: incident #{trend.explained_by}"
    return "rising" if trend.rising else ""


def trends(counts: DailyCounts, today: date) -> list[Trend]:
    """Every category (and subcategory) counted in the last ``DAYS_SHOWN`` days, busiest first."""
    rises = {r.key for r in rising(counts, today)} | {
        key for key, day in counts.reported.items() if day == today.isoformat()
    }
    explained = {
        key: int(e["incident"])
        for key, e in explained_today(counts, today).items()
        if key in rises and key not in counts.reported
    }
    found = []
    for key in counts.names():
        series = counts.series(key, today, DAYS_SHOWN)
        if not any(series):
            continue
        base = baseline(counts, key, today)
        found.append(Trend(key, series, series[-1], base, key in rises, explained.get(key)))
    return sorted(found, key=lambda t: (-t.rising, "/" in t.key, -sum(t.series), t.key))


def change(trend: Trend) -> str:
    if trend.baseline <= 0:
        return "new" if trend.today else "—"
    return f"{(trend.today - trend.baseline) / trend.baseline:+.0%}"


def trends_table(found: list[Trend]) -> Table:
    table = Table(title=f"Categories per day (last {DAYS_SHOWN} days)", title_justify="left")
    for column, justify in (("category", "left"), ("today", "right"), ("baseline", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("change", justify="right")
    # What rises, or which incident explains it: a column only when a row has something to say.
    signals = _signalled(found)
    if signals:
        table.add_column("rising", justify="left")
    for t in found:
        cells = [t.key, str(t.today), f"{t.baseline:.1f}", change(t)]
        if signals:
            cells.append(
                f"[yellow]{mark(t)}[/]"
                if t.explained_by is not None
                else "[red]rising[/]"
                if t.rising
                else ""
            )
        table.add_row(*cells)
    return table


def _signalled(found: list[Trend]) -> bool:
    return any(t.rising or t.explained_by is not None for t in found)


def sparkline(series: list[int], *, width: int = 140, height: int = 28) -> str:
    """An inline SVG line of ``series`` (the last point marked): no script, no outside request."""
    top = max(series) or 1
    step = width / max(1, len(series) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (n / top) * (height - 4):.1f}" for i, n in enumerate(series)
    )
    last_x, last_y = points.rsplit(" ", 1)[-1].split(",")
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="per day">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/>'
        f'<circle cx="{last_x}" cy="{last_y}" r="2.5"/></svg>'
    )


def _cell(t: Trend) -> str:
    return escape(mark(t)) if t.explained_by is not None else "<b>rising</b>" if t.rising else ""


def trends_html(found: list[Trend]) -> str:
    signals = _signalled(found)
    rows = "".join(
        f"<tr><td>{escape(t.key)}</td><td>{sparkline(t.series)}</td>"
        f'<td class="num">{t.today}</td><td class="num">{t.baseline:.1f}</td>'
        f'<td class="num">{escape(change(t))}</td>'
        + (f"<td>{_cell(t)}</td>" if signals else "")
        + "</tr>"
        for t in found
    )
    return (
        f"<h2>Categories per day (last {DAYS_SHOWN} days)</h2><table><thead><tr>"
        "<th>category</th><th>per day</th><th>today</th><th>baseline</th><th>change</th>"
        + ("<th>rising</th>" if signals else "")
        + f"</tr></thead><tbody>{rows}</tbody></table>"
    )
