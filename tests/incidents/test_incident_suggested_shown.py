"""A suggested incident (a fresh helpdesk: too little history to link) can be seen after the
run, on each sandbox: the run's output names it (its title and its tickets), the incident book
keeps it marked suggested (no group ticket, and never one later reports join), ``report``
lists it with its tickets and why it is only suggested, and the dashboard's overview shows it.
A second run over the same hour opens no group ticket and keeps one record; ``revert --run``
takes the suggestion back from the book with the tags.

The quick test runs the real pass against the sandbox with the stand-in encoder
(``support.word_encoder``); the slow one runs ``ticketbot run`` with the learned engine on the
first-day outage hour (``scripts/incident_heldout.py first_day``) and reads ``ticketbot report``.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.events import Events
from support.first_day import ticket_state
from support.incident_scenario import LOADERS, Spec, scenario
from support.word_encoder import encode

from ticket_processor.dashboard.signals import read_signals
from ticket_processor.incidents.book import load_book
from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.revert import links_of_run, revert_links
from ticket_processor.incidents.run_pass import STATE_SUBDIR, IncidentPass
from ticket_processor.incidents.sightings import link_ops
from ticket_processor.report.incidents import incident_lines, incident_report
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)
POLICY = IncidentPolicy(similarity=0.3, repeat_similarity=0.3)  # the stand-in encoder's scale
TITLE = "Checkout fails with error 502"


def _reports(subject: str, count: int, *, first: int, order: int, who: str) -> list[Spec]:
    """``count`` reports of the checkout's 502 (one fault to the stand-in encoder), a minute
    apart from ``first``, each from its own requester."""
    return [
        Spec(
            subject,
            f"checkout fails with error 502 bad gateway when I pay for order {order + i}",
            f"{who}{i}@customer.example",
            first + 60 * i,
            "open",
            "outage",
        )
        for i in range(count)
    ]


def _loaded(desk: Desk, specs: list[Spec], requester: int) -> list[Sighting]:
    """``specs`` made in the sandbox, as the run's sightings of them."""
    ids = LOADERS[desk.kind](desk.sandbox, specs)
    return [
        Sighting(t, s.subject, f"{s.subject}\n{s.body}", requester + i, s.created_at, "other", True)
        for i, (t, s) in enumerate(zip(ids, specs, strict=True))
    ]


def _outage_hour(desk: Desk) -> list[Sighting]:
    """Fifteen reports of one fault in nearly the same words (one fault to the stand-in
    encoder) beside two of the hour's ordinary tickets, on a helpdesk with no past."""
    now = int(time.time())
    ordinary = [
        s for s in scenario(150, now=now) if s.created_at >= now - 3600 and s.label == "ordinary"
    ][:2]
    specs = _reports(TITLE, 15, first=now - 3000, order=0, who="payer") + ordinary
    return _loaded(desk, specs, 1000)


def _pass(helpdesk: Any, run_id: str, log: Events) -> IncidentPass:
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    return IncidentPass(POLICY, helpdesk, state, log, run_id, False, None, encode=encode)


def test_a_suggested_incident_is_named_kept_reported_and_shown(desk_kind: str, desk: Any) -> None:
    sightings = _outage_hour(desk)
    count = len(desk.ids())
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    log = Events()
    helpdesk = connect(load_settings(os.environ))
    try:
        done = _pass(helpdesk, "run1", log).run(sightings)
        suggested = [s.ticket_id for s in sightings if ticket_state(desk, s.ticket_id)[1]]
        assert done.linked == 0, done
        assert done.suggested == len(suggested) >= POLICY.min_reports, done

        # The run's output names it: its title and its tickets.
        [line] = [x for x in done.lines if x.startswith("incident suggested")]
        assert TITLE in line
        assert all(f"#{t}" in line for t in suggested), line
        assert "not linked" in line
        assert "of tickets; ticketbot links an incident" in line

        # The book keeps it, marked suggested, and never as an incident later reports join.
        book, _ = load_book(state / STATE_SUBDIR)
        [kept] = book.suggested_incidents()
        assert kept.suggested
        assert kept.title == TITLE
        assert sorted(kept.members) == sorted(suggested)
        assert "of tickets; ticketbot links an incident" in kept.why
        assert book.open_incidents() == []

        # ``report`` lists it from the run's event, with its tickets and why.
        report = incident_report(log.items, set(), {i.key for i in book.suggested_incidents()})
        [row] = report.incidents
        assert row.suggested
        assert row.state == "suggested"
        assert row.title == TITLE
        assert sorted(row.tickets) == sorted(suggested)
        said = "\n".join(incident_lines(report))
        assert f"suggested “{TITLE}”" in said
        assert "suggest-only, not linked:" in said
        assert f"#{suggested[0]}" in said

        # The dashboard's overview shows it.
        signals = read_signals(state, datetime.now(UTC).date(), helpdesk.ticket_url)
        [shown] = signals.incidents
        assert shown.suggested
        assert shown.title == TITLE
        assert shown.reports == len(suggested)
        assert f"#{suggested[0]}" in shown.tickets
        assert "of tickets; ticketbot links an incident" in shown.why

        # Found again by the next run: nothing written, no group ticket, still one record.
        again = _pass(helpdesk, "run2", log).run(sightings)
        assert (again.suggested, again.linked) == (0, 0), again
        assert len(desk.ids()) == count
        assert not any(ticket_state(desk, t)[0] for t in suggested)
        book, _ = load_book(state / STATE_SUBDIR)
        assert len(book.suggested_incidents()) == 1
        assert book.open_incidents() == []

        # ``revert --run`` takes the suggestion back: the tags, and the book's record.
        ops = link_ops(helpdesk)
        assert ops is not None
        undone = revert_links(
            ops, links_of_run(log.items, "run1"), state_dir=state, dry_run=False, echo=print
        )
        assert undone.failed == []
        assert not any(ticket_state(desk, t)[1] for t in suggested)
        book, _ = load_book(state / STATE_SUBDIR)
        assert book.suggested_incidents() == []
    finally:
        helpdesk.close()


@pytest.mark.slow
def test_ticketbot_run_and_report_name_a_first_day_suggestion(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first-day outage hour of the bike-sharing scheme (25 reports among 35 ordinary
    tickets, no history), ``ticketbot run`` with the learned engine and incidents on: the run's
    output names the suggested incident and its tickets, ``ticketbot report`` lists it."""

    from scripts.incident_heldout import first_day

    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    specs = first_day("outage", now=int(time.time()), history=False)
    ids = LOADERS[desk_kind](desk.sandbox, specs)
    count = len(desk.ids())
    ran = invoke("run", "--since", "2h", "--engine", "learned")
    assert ran.exit_code == 0, ran.output
    suggested = [t for t in ids if ticket_state(desk, t)[1]]
    assert len(suggested) >= POLICY.min_reports, ran.output
    assert len(desk.ids()) == count  # no problem or tracker ticket
    [line] = [x for x in ran.output.splitlines() if "incident suggested:" in x]
    assert f"#{min(suggested)}" in line, ran.output
    assert "not linked" in line, ran.output

    report = invoke("report")
    assert report.exit_code == 0, report.output
    assert "Incidents: 1" in report.output, report.output
    assert "suggest-only, not linked:" in report.output
    assert f"#{min(suggested)}" in report.output


def test_a_suggestion_found_again_keeps_its_title_and_a_dry_run_adds_nothing(
    desk_kind: str, desk: Any
) -> None:
    """A user's first day: after the run that suggested the outage, a dry run said a new
    incident “#1” that the real run then did not make, and the reports that came later got a
    note naming the outage by their own subject. A dry run now says what a real run would
    write (nothing new here), and a late report's note names the suggestion's title."""
    sightings = _outage_hour(desk)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    log = Events()
    helpdesk = connect(load_settings(os.environ))
    try:
        first = _pass(helpdesk, "run1", log).run(sightings)
        assert first.suggested >= POLICY.min_reports, first

        dry = IncidentPass(POLICY, helpdesk, state, log, "dry", True, None, encode=encode)
        shown = dry.run([])
        assert shown.incidents == 0, shown.lines
        assert not [x for x in shown.lines if x.startswith("incident suggested")], shown.lines

        late = _reports("Payment error", 3, first=int(time.time()) - 300, order=100, who="late")
        fresh = _loaded(desk, late, 2000)
        ids = [s.ticket_id for s in fresh]
        again = _pass(helpdesk, "run2", log).run(fresh)
        assert again.suggested == len(ids), again
        [line] = [x for x in again.lines if x.startswith("incident suggested")]
        assert TITLE in line
        for ticket_id in ids:
            said = "\n".join(desk.linked(ticket_id).notes)
            assert f"“{TITLE}”" in said, said
            assert "“Payment error”" not in said, said
        book, _ = load_book(state / STATE_SUBDIR)
        [kept] = book.suggested_incidents()
        assert kept.title == TITLE
        assert set(ids) <= set(kept.members)
    finally:
        helpdesk.close()
