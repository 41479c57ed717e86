"""Where a team sees what the spam gate did, on each sandbox through the CLI: a dry run, then a
run, over mail no customer wrote beside customers' tickets; ``ticketbot report`` (text,
``--json``'s ``spam`` key, ``--html``'s section) then counts the verdicts as the run's line
said them, names the tickets the helpdesk now carries a verdict's tag on, and counts the dry
run apart; the run's line names them too; ``ticketbot dashboard``'s overview counts and links
the same tickets. Before, the
report and the dashboard said nothing of the gate."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from support.answers_desk import rows
from support.cli import invoke
from support.dashboard import start_dashboard

from ticket_processor.models import SPAM_KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.spam.run_pass import verdicts_line

pytestmark = pytest.mark.desk(configure=True)

CUSTOMERS = [
    NewTicket("Refund not received", "I was charged twice for my order, please refund me."),
    NewTicket("Cannot log in", "The password reset email never arrives. Can you help?"),
]


def _dry_run_then_run(desk: Desk) -> tuple[dict[str, list[int]], list[int], list[int], str]:
    """The gated tickets by kind and the suggested ones, as the helpdesk's tags now say, the
    customers' tickets, and the run's output."""
    machines = rows("spam_tickets.jsonl")
    spam_ids = desk.create(
        [NewTicket(m["subject"], m["description"], sender=m["sender"]) for m in machines]
    )
    customer_ids = desk.create(CUSTOMERS)
    dry = invoke("run", "--engine", "rules", "--dry-run")
    assert dry.exit_code == 0, dry.output
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output

    # What the helpdesk now carries: each verdict's tag.
    gated: dict[str, list[int]] = {}
    suggested = []
    for ticket_id in [*spam_ids, *customer_ids]:
        tags = desk.snapshot(ticket_id).tags
        for kind in SPAM_KINDS:
            if f"ai_{kind}" in tags:
                gated.setdefault(kind, []).append(ticket_id)
        if "ai_suggested_spam" in tags:
            suggested.append(ticket_id)
    assert gated, "the phishing mail is gated"
    return gated, suggested, customer_ids, result.output


def test_the_report_counts_and_names_what_the_gate_set_aside(desk: Desk, tmp_path: Path) -> None:
    gated, suggested, _, output = _dry_run_then_run(desk)
    counts = {kind: len(ids) for kind, ids in gated.items()}
    named = verdicts_line(
        counts, len(suggested), dry_run=False, tickets={**gated, "suggested": suggested}
    )
    assert named in output.splitlines(), output  # the run's line names its tickets
    line = verdicts_line(counts, len(suggested), dry_run=False)

    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    spam = orjson.loads(report.output)["spam"]
    assert spam["gated"] == counts
    assert spam["gated_total"] == sum(counts.values())
    assert spam["suggested"] == len(suggested)
    assert sorted(spam["gated_tickets"]) == sorted(t for ids in gated.values() for t in ids)
    assert sorted(spam["suggested_tickets"]) == sorted(suggested)
    # The dry run judged the same mail and tagged nothing: counted apart, in full.
    assert spam["dry_runs"]["gated"] == counts
    assert spam["dry_runs"]["suggested"] == len(suggested)

    text = invoke("report")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert line in lines, text.output
    first = min(t for ids in gated.values() for t in ids)
    assert any(x.startswith("  gated: ") and f"#{first}" in x for x in lines), text.output
    assert f"dry runs (nothing tagged): {verdicts_line(counts, len(suggested), dry_run=True)}" in (
        lines
    )

    page = tmp_path / "report.html"
    assert invoke("report", "--html", str(page)).exit_code == 0
    html = page.read_text("utf-8")
    assert f"<h2>Spam gate: {sum(counts.values())} gated, {len(suggested)} suggested</h2>" in html
    assert f"#{first}" in html


def test_the_dashboards_overview_counts_and_links_them(desk: Desk) -> None:
    _overview_shows_the_gates_work(desk)


@pytest.mark.postgres
@pytest.mark.desk(configure=True, kinds=("zendesk",))
def test_the_overview_finds_the_tags_on_postgresql(
    desk: Desk, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The verdicts are found by their tags' text in a JSON column: on PostgreSQL too."""
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", postgres_url)
    _overview_shows_the_gates_work(desk)


def _overview_shows_the_gates_work(desk: Desk) -> None:
    gated, _, customer_ids, _ = _dry_run_then_run(desk)
    with start_dashboard() as url:
        overview = httpx.get(url + "/", headers={"accept": "text/html"}, timeout=30).text
    assert 'id="spam"' in overview
    for kind, ids in gated.items():
        row = overview.split(f'<tr data-spam="{kind}">')[1].split("</tr>")[0]
        assert f'<td class="n">{len(ids)}</td>' in row
        for ticket_id in ids:
            assert f'<a href="/tickets/{ticket_id}">#{ticket_id}</a>' in row
    section = overview.split('id="spam"')[1].split("</section>")[0]
    for ticket_id in customer_ids:
        assert f'href="/tickets/{ticket_id}"' not in section
