"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no network.

Made to be opened from a mail attachment or a shared folder on a phone: a viewport meta tag,
one column that widens on a desk, charts that scale with their ``viewBox``, and dark mode.
Everything that comes from the logs is escaped (ticket text can reach an error message), and
only http(s) ticket links become links. The charts are in ``svg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from ..incidents.notes import ticket_list
from .aggregate import Report, fmt_count, fmt_pct, fmt_seconds, fmt_usd
from .incidents import IncidentReport
from .runs import OTHER_OUTCOME_COLOUR, OUTCOME_COLOURS, LoggedRun, engine_mix
from .spam import SHOWN as SPAM_SHOWN
from .spam import SpamReport
from .svg import FAILED_COLOUR, OTHER_COLOUR, bar_chart, timeline_chart, usage_chart
from .time_saved import fmt_duration
from .to_write import NONE_TO_WRITE
from .trends import trends_html

MAX_RUN_ROWS = 60
LATEST_OK_RUNS = 8
PRIORITY_COLOURS = {
    "urgent": "#d0342c",
    "high": "#c64600",
    "normal": "#2f6fde",
    "low": "#2a8a8a",
    "unchanged": "#8e8e93",
}

_CSS = """
:root{color-scheme:light dark;--fg:#1c1c1e;--muted:#6b6b70;--card:#f4f5f7;--line:#dcdde1}
@media (prefers-color-scheme:dark){:root{--fg:#ececee;--muted:#a0a0a8;--card:#232327;--line:#3a3a40}
body{background:#151517}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.muted{color:var(--muted);font-size:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-top:1rem}
.kpi{background:var(--card);border-radius:10px;padding:10px 12px}
.kpi b{display:block;font-size:1.35rem}.kpi span{color:var(--muted);font-size:.85rem}
.bad b{color:#d0342c}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:0 24px}
svg{width:100%;max-width:520px;height:auto;display:block}
svg.wide{max-width:none}
svg text{fill:currentColor;font-size:12px}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid var(--line);vertical-align:top}
td:last-child{overflow-wrap:anywhere}
td.n,th.n{text-align:right;white-space:nowrap}
td.t{white-space:nowrap}
.outcome{display:inline-block;padding:0 8px;border-radius:9px;color:#fff;font-size:.8rem}
.legend span{display:inline-block;margin-right:12px;font-size:.85rem}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.scroll{overflow-x:auto}
a{color:#2f6fde}
"""


def _kpi(label: str, value: str, *, bad: bool = False) -> str:
    cls = "kpi bad" if bad else "kpi"
    return f'<div class="{cls}"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: set[int],
    *,
    raw: bool = False,
    nowrap: frozenset[int] = frozenset(),
) -> str:
    """A table; cells are escaped here unless ``raw`` (then the caller escaped them)."""

    def cell(tag: str, i: int, text: str, escaped: bool) -> str:
        cls = ' class="n"' if i in numeric else ' class="t"' if i in nowrap else ""
        return f"<{tag}{cls}>{text if escaped else escape(text)}</{tag}>"

    head = "".join(cell("th", i, h, False) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v, raw) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def outcome_badge(outcome: str, *, dry_run: bool = False, kind: str = "") -> str:
    colour = OUTCOME_COLOURS.get(outcome, OTHER_OUTCOME_COLOUR)
    badge = f'<span class="outcome" style="background:{colour}">{escape(outcome)}</span>'
    label = kind or ("dry run" if dry_run else "")
    return badge + (f" {escape(label)}" if label else "")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "–"


def runs_table(runs: Sequence[LoggedRun]) -> str:
    """Newest first: every run that was not ok, and the latest ok ones; the rest are counted."""
    if not runs:
        return '<p class="muted">no runs in this period</p>'
    newest = list(reversed(runs))
    ok = [r for r in newest if r.outcome == "ok"]
    keep = {id(r) for r in ok[:LATEST_OK_RUNS]} | {id(r) for r in newest if r.outcome != "ok"}
    shown = [r for r in newest if id(r) in keep][:MAX_RUN_ROWS]
    # The run id, whole: what ``ticketbot revert --run`` takes.
    rows = [
        (
            f"<code>{escape(r.run_id)}</code>",
            escape(_when(r.started)),
            escape(_duration(r.seconds)),
            fmt_count(r.triaged),
            fmt_count(r.failed),
            fmt_count(r.fallback),
            escape(engine_mix(r.engines)),
            outcome_badge(r.outcome, kind=r.kind) + (f" {escape(r.reason)}" if r.reason else ""),
        )
        for r in shown
    ]
    hidden = len(runs) - len(shown)
    all_ok = all(r.outcome == "ok" for r in newest if r not in shown)
    kind = " that were ok" if all_ok else ""
    note = f'<p class="muted">and {hidden} older runs{kind}</p>' if hidden else ""
    headers = (
        "run id (ticketbot revert --run)",
        "start (UTC)",
        "duration",
        "tickets",
        "failed",
        "fallback",
        "engines",
        "outcome",
    )
    return _table(headers, rows, {2, 3, 4, 5}, raw=True, nowrap=frozenset({0, 1})) + note


def failed_tickets_table(report: Report) -> str:
    rows = []
    for f in report.failed_tickets:
        ticket = escape(str(f.ticket_id if f.ticket_id is not None else "–"))
        if f.url:
            ticket = f'<a href="{escape(f.url)}" rel="noreferrer">{ticket}</a>'
        rows.append((ticket, escape(f.at), escape(f"{f.error_type} ({f.stage})"), escape(f.error)))
    headers = ("ticket", "when (UTC)", "error (stage)", "reason")
    return _table(headers, rows, set(), raw=True, nowrap=frozenset({1}))


def agreement_section(report: Report) -> list[str]:
    rows = []
    for a in report.agreement:
        corrections = ", ".join(f"{ours} → {theirs} ({n})" for ours, theirs, n in a.corrections)
        rows.append((a.field, fmt_count(a.compared), fmt_pct(a.rate), corrections or "–"))
    return [
        "<h2>Agents' agreement</h2>",
        '<p class="muted">How often agents kept what ticketbot set, and their most common '
        "corrections (ticketbot → agent).</p>",
        _table(("field", "tickets compared", "kept", "most common corrections"), rows, {1, 2}),
    ]


def shadow_section(report: Report) -> list[str]:
    rows = []
    for a in report.shadow_agreement:
        differences = ", ".join(f"{ours} → {theirs} ({n})" for ours, theirs, n in a.corrections)
        rows.append((a.field, fmt_count(a.compared), fmt_pct(a.rate), differences or "–"))
    return [
        "<h2>Shadow runs</h2>",
        '<p class="muted">What shadow runs decided, against what agents later set on the solved '
        "tickets (ticketbot → agent).</p>",
        _table(
            ("field", "tickets", "would have been right", "most common differences"), rows, {1, 2}
        ),
    ]


def _kpis(report: Report) -> list[str]:
    """The figures at the top of the page."""
    low_success = report.success_rate is not None and report.success_rate < 0.95
    not_ok = sum(n for status, n in report.run_status.items() if status != "ok")
    kpis = [
        _kpi("tickets triaged", fmt_count(report.tickets_triaged)),
        _kpi("failed", fmt_count(report.tickets_failed), bad=report.tickets_failed > 0),
        _kpi("success rate", fmt_pct(report.success_rate), bad=low_success),
        _kpi("fallback rate", fmt_pct(report.fallback_rate)),
        _kpi("latency p50", fmt_seconds(report.latency_p50)),
        _kpi("latency p95", fmt_seconds(report.latency_p95)),
        _kpi("runs", fmt_count(report.runs)),
        *([_kpi("of them shadow", fmt_count(report.shadow_runs))] if report.shadow_runs else []),
        _kpi("runs not ok", fmt_count(not_ok), bad=not_ok > 0),
        _kpi("estimated cost", fmt_usd(report.cost_usd)),
    ]
    if report.routing.escalated:
        kpis.append(_kpi("escalated", fmt_count(report.routing.escalated)))
    # What was held back for agents: below the confidence threshold, escalations suggested.
    kpis.append(_kpi("held back (low confidence)", fmt_count(report.low_confidence)))
    if report.escalations_suggested:
        kpis.append(_kpi("escalations suggested", fmt_count(report.escalations_suggested)))
    return kpis


def _problem_sections(report: Report) -> list[str]:
    """Failed tickets, the most frequent failures, aborted runs."""
    sections: list[str] = []
    if report.failed_tickets:
        sections += ["<h2>Failed tickets</h2>", failed_tickets_table(report)]
    rows: list[tuple[str, ...]]
    if report.failures:
        rows = [
            (f"{f.error_type} ({f.stage})", fmt_count(f.count), f.example) for f in report.failures
        ]
        sections += [
            "<h2>Most frequent failures</h2>",
            _table(("error (stage)", "count", "latest message"), rows, {1}),
        ]
    if report.aborts:
        rows = [(reason, fmt_count(n)) for reason, n in report.aborts.items()]
        sections += ["<h2>Aborted runs</h2>", _table(("reason", "runs"), rows, {1})]
    return sections


def _charts_grid(report: Report) -> str:
    """The grid of what was triaged: categories, urgency, sentiment, priority, languages,
    fallbacks, routes, groups, escalations."""
    charts = [
        ("Categories", bar_chart(report.categories, label="categories")),
        ("Urgency", bar_chart(report.urgencies, colour="#c64600", label="urgency")),
        ("Sentiment", bar_chart(report.sentiments, colour="#7a4fc9", label="sentiment")),
        (
            "Priority set",
            bar_chart(report.priorities, colours=PRIORITY_COLOURS, label="priority set"),
        ),
    ]
    if report.languages:
        charts.append(
            ("Languages", bar_chart(report.languages, colour="#2a8a8a", label="languages"))
        )
    if report.language_pairs:
        pairs = bar_chart(report.language_pairs, colour="#2a8a8a", label="language pairs")
        charts.append(("Languages (customer → agent)", pairs))
    if report.fallback_reasons:
        charts.append(
            (
                "Why the rules took over",
                bar_chart(report.fallback_reasons, colour=OTHER_COLOUR, label="fallback reasons"),
            )
        )
    if report.routing.routes:
        charts.append(("Routes", bar_chart(report.routing.routes, label="tickets per route")))
    if report.routing.groups:
        charts.append(
            ("Groups", bar_chart(report.routing.groups, colour="#2a8a57", label="groups"))
        )
    if report.routing.escalated:
        share = report.routing.escalated / (report.tickets_triaged or 1)
        charts.append(
            (
                "Escalations",
                f'<p><b style="color:{FAILED_COLOUR}">{fmt_count(report.routing.escalated)}</b> '
                f"tickets escalated ({share:.1%} of those triaged)</p>",
            )
        )
    return (
        '<div class="grid">'
        + "".join(f"<section><h2>{escape(name)}</h2>{body}</section>" for name, body in charts)
        + "</div>"
    )


def _usage_sections(report: Report) -> list[str]:
    """Replies re-triaged, trends, tokens and cost."""
    sections: list[str] = []
    rows: list[tuple[str, ...]]
    if report.replies:
        rows = [
            (
                d.day,
                *(fmt_count(n) for n in (d.retriaged, d.actionable, d.thanks, d.auto_reply)),
                fmt_count(d.notes),
                f"{fmt_count(d.worse)} worse, {fmt_count(d.better)} better",
            )
            for d in report.replies
        ]
        heads = ("day", "replies", "actionable", "thanks", "auto-replies", "notes", "sentiment")
        sections += ["<h2>Customers' replies re-triaged</h2>", _table(heads, rows, {1, 2, 3, 4, 5})]
    if report.trends:
        sections.append(trends_html(report.trends))
    sections += ["<h2>Tokens and cost over time</h2>", usage_chart(report.timeline)]
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
            _table(("model", "tickets", "input", "output", "cost"), rows, {1, 2, 3, 4}),
            '<p class="muted">Estimates from prices per million tokens '
            "(TICKETBOT_PRICES); local models count as free.</p>",
        ]
    return sections


def _knowledge_sections(report: Report) -> list[str]:
    """The articles to write and the agents' time saved, with its formula."""
    sections: list[str] = []
    if report.to_write:
        rows = [
            (
                escape(g.kind),
                escape(g.name),
                fmt_count(g.tickets),
                "<br>".join(escape(e) for e in g.examples) or "–",
            )
            for g in report.to_write
        ]
        sections += [
            "<h2>Articles to write</h2>",
            '<p class="muted">Tickets answers refused for want of a source, that nothing '
            "ticketbot knows answered, by kind, most first.</p>",
            _table(("kind", "words", "tickets", "example subjects"), rows, {2}, raw=True),
        ]
    else:
        sections += [
            "<h2>Articles to write</h2>",
            f'<p class="muted">{escape(NONE_TO_WRITE)}</p>',
        ]
    saved = report.time_saved
    if saved is not None:
        sections += [
            "<h2>Time saved</h2>",
            f"<p><b>{escape(fmt_duration(saved.seconds))}</b> of agents' time, estimated: "
            f"{escape(saved.formula())}.</p>",
            '<p class="muted">The seconds each are assumptions, set by '
            "TICKETBOT_SAVED_SECONDS_PER_TRIAGE, TICKETBOT_SAVED_SECONDS_PER_SUGGESTION and "
            "TICKETBOT_SAVED_SECONDS_PER_ANSWER.</p>",
        ]
    return sections


def incidents_section(incidents: IncidentReport) -> list[str]:
    """The period's incidents, linked and suggested, and the repeat tickets flagged: what the
    text report lists after its figures. A suggested incident shows its tickets and why it was
    only suggested; a linked one its group ticket (a link only when it is http(s))."""
    sections: list[str] = []
    if incidents.incidents:
        rows = []
        for row in incidents.incidents:
            if row.suggested:
                what = f"suggested: {ticket_list(row.tickets)}"
                state = f"{row.state} (suggest-only, not linked: {row.why})"
                rows.append((escape(row.title), str(row.reports), escape(what), escape(state)))
                continue
            group = escape(f"#{row.key}")
            if row.url.startswith(("https://", "http://")):
                group = f'<a href="{escape(row.url)}">{group}</a>'
            rows.append((escape(row.title), str(row.reports), group, escape(row.state)))
        sections += [
            "<h2>Incidents</h2>",
            _table(("incident", "reports", "tickets", "state"), rows, {1}, raw=True),
        ]
    if incidents.repeats:
        merged = sum(1 for r in incidents.repeats if r.merged)
        repeat_rows = [
            (
                f"#{r.ticket_id}",
                "merged into" if r.merged else "repeats",
                f"#{r.earlier}",
                f"{r.similarity:.2f}",
            )
            for r in incidents.repeats
        ]
        sections += [
            f"<h2>Repeat tickets flagged: {len(incidents.repeats)} ({merged} merged)</h2>",
            _table(("ticket", "", "earlier", "similarity"), repeat_rows, {3}),
        ]
    return sections


def spam_section(spam: SpamReport) -> list[str]:
    """What the spam gate set aside in the period, as the text report says it: the verdicts by
    kind and the suggested ones (dry runs apart: they tagged nothing), and the tickets tagged,
    for a team that checks the gate's first verdicts. Nothing when it set nothing aside."""
    if spam.empty:
        return []
    real, dry = spam.runs, spam.dry_runs
    kinds = sorted({*real.gated, *dry.gated})
    rows = [(f"gated: {kind}", real.gated.get(kind, 0), dry.gated.get(kind, 0)) for kind in kinds]
    rows.append(("suggested", real.suggested, dry.suggested))
    if real.lifted or dry.lifted:
        rows.append(("lifted", real.lifted, dry.lifted))
    if real.known_customers or dry.known_customers:
        rows.append(("of them, known customers'", real.known_customers, dry.known_customers))
    named = [
        f"<p>{escape(what)}: {escape(ticket_list(ids, SPAM_SHOWN))}</p>"
        for what, ids in (
            ("Gated", spam.gated_tickets),
            ("Suggested", spam.suggested_tickets),
            ("Lifted", spam.lifted_tickets),
        )
        if ids
    ]
    return [
        f"<h2>Spam gate: {fmt_count(real.gated_total)} gated, "
        f"{fmt_count(real.suggested)} suggested"
        + (f", {fmt_count(real.lifted)} lifted" if real.lifted else "")
        + "</h2>",
        _table(
            ("verdict", "runs", "dry runs"),
            [(what, fmt_count(n), fmt_count(d)) for what, n, d in rows],
            {1, 2},
        ),
        *named,
    ]


def render_html(
    report: Report,
    *,
    title: str = "ticketbot report",
    version: str | None = None,
    incidents: IncidentReport | None = None,
    spam: SpamReport | None = None,
    features: Sequence[str] = (),
) -> str:
    """The whole page for ``report``; ``version``, ticketbot's, is shown under the title;
    ``incidents``, the period's incidents and repeats, after the run's problems; ``spam``, what
    the spam gate set aside, after them; ``features``, the features' own sections (the
    ratings': agents' and customers'), after those."""
    made_by = f"ticketbot {version}" if version else "ticketbot"
    period_from = report.since or report.first_event
    period_to = report.until or report.last_event
    period = " → ".join(
        moment.strftime("%Y-%m-%d %H:%M UTC") for moment in (period_from, period_to) if moment
    )
    kpis = _kpis(report)
    sections = [
        "<h2>Tickets over time</h2>",
        timeline_chart(report.timeline, step=report.timeline_step),
        "<h2>Runs</h2>",
        bar_chart(report.run_status, colours=OUTCOME_COLOURS, label="runs by outcome"),
        runs_table(report.run_list),
    ]
    sections += _problem_sections(report)
    if incidents is not None:
        sections += incidents_section(incidents)
    sections += spam_section(spam) if spam is not None else []
    sections += features
    sections.append(_charts_grid(report))
    if report.agreement:
        sections += agreement_section(report)
    if report.shadow_agreement:
        sections += shadow_section(report)
    sections += _usage_sections(report)
    sections += _knowledge_sections(report)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body><main>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="muted">{escape(period)} · {escape(made_by)}</p>'
        f'<div class="kpis">{"".join(kpis)}</div>'
        + "".join(sections)
        + f'<p class="muted">LLM latency p50 {fmt_seconds(report.llm_latency_p50)}, '
        f"p95 {fmt_seconds(report.llm_latency_p95)} · cached answers "
        f"{fmt_pct(report.cached_rate)} · dry runs {fmt_count(report.dry_runs)} "
        f"({fmt_count(report.dry_run_tickets)} tickets, counted nowhere else)</p>"
        "</main></body></html>\n"
    )
