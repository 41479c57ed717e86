"""Inline SVG charts for the HTML report: bars per key, stacked columns over time, a cost line.

Formatting only, no script: each shape carries a ``<title>`` (a tooltip in every browser) and
every text that comes from the logs is escaped. Charts scale with their ``viewBox``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from .aggregate import fmt_count, fmt_usd
from .series import Bucket

LLM_COLOUR = "#2f6fde"
LEARNED_COLOUR = "#2a9d8f"
OTHER_COLOUR = "#e5a50a"
FAILED_COLOUR = "#d0342c"
BAR_COLOUR = "#2f6fde"
INPUT_COLOUR = "#5b8def"
OUTPUT_COLOUR = "#9bb8f5"
COST_COLOUR = "#c64600"
_SVG = 'xmlns="http://www.w3.org/2000/svg"'


def legend(items: Sequence[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in items)
    return f'<p class="legend">{spans}</p>'


def bar_chart(
    counts: Mapping[str, int],
    *,
    colour: str = BAR_COLOUR,
    colours: Mapping[str, str] | None = None,
    label: str = "",
) -> str:
    """Horizontal bars, one row per key, in the input's order; ``colours`` per key if given."""
    if not counts:
        return '<p class="muted">nothing recorded</p>'
    total = sum(counts.values()) or 1
    top = max(counts.values()) or 1
    row, label_w, bar_w = 24, 130, 150
    height = row * len(counts) + 4
    parts = [f'<svg viewBox="0 0 360 {height}" role="img" aria-label="{escape(label)}" {_SVG}>']
    for i, (name, count) in enumerate(counts.items()):
        y = i * row + 2
        width = max(1.0, bar_w * count / top)
        shown = name if len(name) <= 18 else name[:17] + "…"
        fill = (colours or {}).get(name, colour)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="16" rx="3" '
            f'fill="{fill}"><title>{escape(name)}: {count}</title></rect>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}">'
            f"{fmt_count(count)} ({count / total:.0%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _columns(
    buckets: Sequence[Bucket],
    stacks: Sequence[Sequence[tuple[float, str, str]]],
    *,
    label: str,
    top_text: str,
) -> list[str]:
    """The frame and stacked columns; each stack is (value, colour, tooltip) from the bottom."""
    width, height, base = 640, 170, 146
    top = max((sum(v for v, _, _ in stack) for stack in stacks), default=0) or 1
    slot = width / len(buckets)
    column = max(1.5, min(28.0, slot * 0.7))
    parts = [
        f'<svg class="wide" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" {_SVG}>',
        f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="currentColor" '
        'stroke-opacity=".3"/>',
        f'<text x="0" y="10">{escape(top_text)}</text>',
    ]
    for i, stack in enumerate(stacks):
        x = i * slot + (slot - column) / 2
        y = float(base)
        for value, colour, tip in stack:
            if value <= 0:
                continue
            h = (base - 16) * value / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{column:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(buckets[i].label)}: {escape(tip)}</title></rect>'
            )
    parts.append(f'<text x="0" y="{height - 4}">{escape(buckets[0].label)}</text>')
    if len(buckets) > 1:
        end = escape(buckets[-1].label)
        parts.append(f'<text x="{width}" y="{height - 4}" text-anchor="end">{end}</text>')
    return parts


def timeline_chart(buckets: Sequence[Bucket], *, step: str) -> str:
    """Tickets per bucket, stacked: by the LLM, the learned model, the keyword rules; failed."""
    if not buckets:
        return '<p class="muted">no tickets in this period</p>'
    stacks = [
        [
            (b.llm, LLM_COLOUR, f"{b.llm} by the LLM"),
            (b.learned, LEARNED_COLOUR, f"{b.learned} by the learned model"),
            (b.rules, OTHER_COLOUR, f"{b.rules} by the keyword rules"),
            (b.failed, FAILED_COLOUR, f"{b.failed} failed"),
        ]
        for b in buckets
    ]
    top = max(b.llm + b.learned + b.rules + b.failed for b in buckets)
    parts = _columns(buckets, stacks, label="tickets over time", top_text=f"{fmt_count(top)}")
    parts.append("</svg>")
    return (
        "".join(parts)
        + legend(
            (
                ("LLM", LLM_COLOUR),
                ("learned model", LEARNED_COLOUR),
                ("keyword rules", OTHER_COLOUR),
                ("failed", FAILED_COLOUR),
            )
        )
        + f'<p class="muted">one column per {"10 minutes" if step == "10min" else step}</p>'
    )


def usage_chart(buckets: Sequence[Bucket]) -> str:
    """Tokens per bucket as stacked columns (input, output) and the cost as a line."""
    if not any(b.prompt_tokens or b.completion_tokens for b in buckets):
        return '<p class="muted">no LLM tokens in this period</p>'
    stacks = [
        [
            (b.prompt_tokens, INPUT_COLOUR, f"{fmt_count(b.prompt_tokens)} input tokens"),
            (b.completion_tokens, OUTPUT_COLOUR, f"{fmt_count(b.completion_tokens)} output"),
        ]
        for b in buckets
    ]
    top_tokens = max(b.prompt_tokens + b.completion_tokens for b in buckets)
    parts = _columns(
        buckets, stacks, label="tokens and cost over time", top_text=f"{fmt_count(top_tokens)} tok"
    )
    top_cost = max(b.cost_usd for b in buckets)
    if top_cost > 0:
        slot = 640 / len(buckets)
        points = " ".join(
            f"{i * slot + slot / 2:.1f},{146 - 130 * b.cost_usd / top_cost:.1f}"
            for i, b in enumerate(buckets)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{COST_COLOUR}" stroke-width="2">'
            f"<title>cost per bucket, at most {fmt_usd(top_cost)}</title></polyline>"
            f'<text x="640" y="10" text-anchor="end" fill="{COST_COLOUR}">'
            f"{fmt_usd(top_cost)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts) + legend(
        (("input tokens", INPUT_COLOUR), ("output tokens", OUTPUT_COLOUR), ("cost", COST_COLOUR))
    )
