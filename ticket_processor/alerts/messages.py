"""What the escalation channels say: the text of a page's summary (``plain``), the mail per
escalated ticket and the daily summary mail. Every text from a ticket is made safe for where it
goes: one line without control characters for PagerDuty and a mail's subject, HTML-escaped in
a mail's HTML part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape as html_escape
from typing import TYPE_CHECKING, Any

from .outbox import Recorded

if TYPE_CHECKING:
    # Only the mails need it, built when mail is configured: ``.mail`` brings smtplib and the
    # e-mail package, which a run without a mail channel never uses.
    from .mail import Mail

SUBJECT_MAX = 300  # characters of a subject in a card line or a mail's subject


def plain(text: str) -> str:
    """``text`` on one line without control characters: PagerDuty shows its summary as plain
    text, so there is nothing to escape but what would break the line."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def escalation_mail(ticket: Recorded, *, source: str, message_id: str | None = None) -> Mail:
    subject = plain(ticket.subject)[:SUBJECT_MAX] or "(no subject)"
    routes = ", ".join(ticket.routes) or "?"
    text = (
        f"Ticket #{ticket.ticket_id} was escalated by ticketbot@{source}.\n\n"
        f"Subject: {subject}\nRoute: {routes}\nOpen it: {ticket.url}\n"
    )
    html = (
        f'<p>Ticket <a href="{html_escape(ticket.url)}">#{ticket.ticket_id}</a> was escalated '
        f"by ticketbot@{html_escape(source)}.</p>"
        f"<p><b>Subject:</b> {html_escape(subject)}<br><b>Route:</b> {html_escape(routes)}</p>"
    )
    from .mail import Mail

    return Mail(
        f"[ticketbot] Ticket #{ticket.ticket_id} escalated: {subject}", text, html, message_id
    )


def summary_mail(
    recent: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    since: float,
    source: str,
    ticket_url: Callable[[int], str],
) -> Mail:
    count = len(recent)
    start = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"{count} ticket{'s' if count != 1 else ''} escalated since {start}"
    text_lines = [f"{head} (ticketbot@{source}):", ""]
    html_items = []
    for ticket_id, entry in recent:
        routes = ", ".join(str(r) for r in entry.get("routes", [])) or "?"
        paged = "paged" if entry.get("paged") else ""
        state = "page resolved" if entry.get("resolved") else paged
        text_lines.append(f"- #{ticket_id} ({routes}) {ticket_url(ticket_id)} {state}".rstrip())
        html_items.append(
            f'<li><a href="{html_escape(ticket_url(ticket_id))}">#{ticket_id}</a> '
            f"{html_escape(routes)} {html_escape(state)}</li>"
        )
    html = f"<p>{html_escape(head)} (ticketbot@{html_escape(source)}).</p>"
    if html_items:
        html += "<ul>" + "".join(html_items) + "</ul>"
    from .mail import Mail

    return Mail(f"[ticketbot] Daily summary: {head}", "\n".join(text_lines) + "\n", html)
