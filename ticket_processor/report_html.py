"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no network.

Made to be opened from a mail attachment or a shared folder on a phone: a viewport meta tag,
one column that widens on a desk, charts that scale with their ``viewBox``, and dark mode.
Everything that comes from the logs is escaped (ticket text can reach an error message).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from . import __version__
from .report import Report, fmt_count, fmt_pct, fmt_seconds, fmt_usd

LLM_COLOUR = "#2f6fde"
FALLBACK_COLOUR = "#e5a50a"
FAILED_COLOUR = "#d0342c"
BAR_COLOUR = "#2f6fde"

_CSS = """
:root{color-scheme:light dark;--fg:#1c1c1e;--muted:#6b6b70;--card:#f4f5f7;--line:#dcdde1}
@media (prefers-color-scheme:dark){:root{--fg:#ececee;--muted:#a0a0a8;--card:#232327;--line:#3a3a40}
body{background:#151517}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
main{max-width:760px;margin:0 auto;padding:16px}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.muted{color:var(--muted);font-size:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-top:1rem}
.kpi{background:var(--card);border-radius:10px;padding:10px 12px}
.kpi b{display:block;font-size:1.35rem}.kpi span{color:var(--muted);font-size:.85rem}
.bad b{color:#d0342c}
svg{width:100%;max-width:520px;height:auto;display:block}
svg text{fill:currentColor;font-size:12px}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid var(--line);vertical-align:top}
td:last-child{overflow-wrap:anywhere}
td.n,th.n{text-align:right;white-space:nowrap}
.legend span{display:inline-block;margin-right:12px;font-size:.85rem}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.scroll{overflow-x:auto}
"""


def _kpi(label: str, value: str, *, bad: bool = False) -> str:
    cls = "kpi bad" if bad else "kpi"
    return f'<div class="{cls}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def bar_chart(counts: dict[str, int], *, colour: str = BAR_COLOUR, label: str = "") -> str:
    """Horizontal bars, one row per key, biggest first (the input's order)."""
    if not counts:
        return '<p class="muted">nothing recorded</p>'
    total = sum(counts.values()) or 1
    top = max(counts.values()) or 1
    row, label_w, bar_w = 24, 110, 150
    height = row * len(counts) + 4
    parts = [
        f'<svg viewBox="0 0 340 {height}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, count) in enumerate(counts.items()):
        y = i * row + 2
        width = max(1.0, bar_w * count / top)
        shown = name if len(name) <= 16 else name[:15] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="16" rx="3" '
            f'fill="{colour}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}">'
            f"{fmt_count(count)} ({count / total:.0%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline_chart(timeline: Sequence[tuple[str, int, int, int]]) -> str:
    """Stacked columns per hour (or day): by the LLM, by the keyword rules, failed."""
    if not timeline:
        return '<p class="muted">no tickets in this period</p>'
    top = max(llm + fb + failed for _, llm, fb, failed in timeline) or 1
    width, height, base = 340, 150, 130
    slot = width / len(timeline)
    column = max(2.0, min(28.0, slot * 0.7))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="tickets over time" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="currentColor" '
        'stroke-opacity=".3"/>',
        f'<text x="0" y="10">{fmt_count(top)}</text>',
    ]
    for i, (bucket, llm, fb, failed) in enumerate(timeline):
        x = i * slot + (slot - column) / 2
        y = float(base)
        for count, colour in ((llm, LLM_COLOUR), (fb, FALLBACK_COLOUR), (failed, FAILED_COLOUR)):
            if not count:
                continue
            h = (base - 16) * count / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(bucket)}: {count}</title></rect>'
            )
    parts.append(f'<text x="0" y="{height - 2}">{escape(timeline[0][0])}</text>')
    if len(timeline) > 1:
        end = escape(timeline[-1][0])
        parts.append(f'<text x="{width}" y="{height - 2}" text-anchor="end">{end}</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{c}"></i>{n}</span>'
        for n, c in (
            ("LLM", LLM_COLOUR),
            ("keyword rules", FALLBACK_COLOUR),
            ("failed", FAILED_COLOUR),
        )
    )
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        cls = ' class="n"' if i in numeric else ""
        return f"<{tag}{cls}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def render_html(report: Report, *, title: str = "ticketbot report") -> str:
    """The whole page for ``report``."""
    period_from = report.since or report.first_event
    period_to = report.until or report.last_event
    period = " → ".join(
        moment.strftime("%Y-%m-%d %H:%M UTC") for moment in (period_from, period_to) if moment
    )
    low_success = report.success_rate is not None and report.success_rate < 0.95
    kpis = [
        _kpi("tickets triaged", fmt_count(report.tickets_triaged)),
        _kpi("failed", fmt_count(report.tickets_failed), bad=report.tickets_failed > 0),
        _kpi("success rate", fmt_pct(report.success_rate), bad=low_success),
        _kpi("fallback rate", fmt_pct(report.fallback_rate)),
        _kpi("latency p50", fmt_seconds(report.latency_p50)),
        _kpi("latency p95", fmt_seconds(report.latency_p95)),
        _kpi("runs", fmt_count(report.runs)),
        _kpi("estimated cost", fmt_usd(report.cost_usd)),
    ]
    sections = [
        "<h2>Tickets over time</h2>",
        timeline_chart(report.timeline),
        "<h2>Categories</h2>",
        bar_chart(report.categories, label="categories"),
        "<h2>Urgency</h2>",
        bar_chart(report.urgencies, colour="#c64600", label="urgency"),
        "<h2>Sentiment</h2>",
        bar_chart(report.sentiments, colour="#7a4fc9", label="sentiment"),
        "<h2>Runs</h2>",
        bar_chart(report.run_status, colour="#2a8a57", label="runs by status"),
    ]
    if report.languages:
        sections[8:8] = [
            "<h2>Languages</h2>",
            bar_chart(report.languages, colour="#2a8a8a", label="languages"),
        ]
    if report.failures:
        rows: list[tuple[str, ...]] = [
            (f"{f.error_type} ({f.stage})", fmt_count(f.count), f.example) for f in report.failures
        ]
        sections += [
            "<h2>Most frequent failures</h2>",
            _table(("error (stage)", "count", "latest message"), rows, {1}),
        ]
    if report.aborts:
        rows = [(reason, fmt_count(n)) for reason, n in report.aborts.items()]
        sections += ["<h2>Aborted runs</h2>", _table(("reason", "runs"), rows, {1})]
    if report.fallback_reasons:
        sections += [
            "<h2>Why the rules took over</h2>",
            bar_chart(report.fallback_reasons, colour=FALLBACK_COLOUR, label="fallback reasons"),
        ]
    if report.models:
        rows = [
            (
                m.model,
                fmt_count(m.tickets),
                fmt_count(m.prompt_tokens),
                fmt_count(m.completion_tokens),
                fmt_usd(m.cost_usd),
            )
            for m in report.models
        ]
        sections += [
            "<h2>Tokens and cost</h2>",
            _table(("model", "tickets", "input", "output", "cost"), rows, {1, 2, 3, 4}),
            '<p class="muted">Estimates from prices per million tokens '
            "(TICKETBOT_PRICES); local models count as free.</p>",
        ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body><main>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="muted">{escape(period)} · ticketbot {escape(__version__)}</p>'
        f'<div class="kpis">{"".join(kpis)}</div>'
        + "".join(sections)
        + f'<p class="muted">LLM latency p50 {fmt_seconds(report.llm_latency_p50)}, '
        f"p95 {fmt_seconds(report.llm_latency_p95)} · cached answers "
        f"{fmt_pct(report.cached_rate)} · dry-run tickets {fmt_count(report.dry_run_tickets)}</p>"
        "</main></body></html>\n"
    )
