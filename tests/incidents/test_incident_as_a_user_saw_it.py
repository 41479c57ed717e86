"""A new user's afternoon on each sandbox, through real runs (the real encoder and fault head):
18 ordinary tickets and 12 customers reporting that login fails with error 503. One run makes
the incident; then other faults arrive, one of them sharing the outage's generic words ("error",
a status code), beside two more reports of the outage: only the outage's own reports join it.
``slow``: the encoder loads in about 4 s."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.incident_scenario import (
    LOADERS,
    Spec,
    history_ticket,
    solved_before,
)

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = [pytest.mark.slow, pytest.mark.desk(configure=True)]

ORDINARY = [
    ("How do I reset my password?", "I forgot my password and the reset email never arrives."),
    ("Can I export my invoices as PDF?", "Where can I download my past invoices as PDF files?"),
    ("How to add a second admin", "How can I give my colleague admin rights on our workspace?"),
    ("Question about API rate limits", "What is the rate limit of your REST API per minute?"),
    ("Change billing email", "How do I change the email address our invoices are sent to?"),
    ("Charged twice this month", "You charged my card twice for the April subscription."),
    ("Refund still not received", "I cancelled on 3 March, the refund never arrived."),
    ("Your new UI is awful", "The redesign made everything slower to find."),
    ("Feature request: dark mode", "Would love a dark mode in the web app. Any plans?"),
    ("Integration with Slack?", "Do you integrate with Slack so we get notified of orders?"),
]
OUTAGE = [
    ("Login fails with error 503", "None of us can log in, the page shows 'Error 503'."),
    ("Can't log in - 503", "Getting 503 Service Unavailable on the login page. Is it down?"),
    ("Site down? 503 on login", "Your login page returns error 503 for our whole team."),
    ("Error 503 when signing in", "I get 'Service Unavailable 503' every time I sign in."),
    ("login broken", "login page broken, error 503 service unavailable, please fix asap"),
    ("503 Service Unavailable at login", "We cannot access the dashboard, login gives 503."),
    ("Is there an outage? Login 503", "Nobody in my company can log in, 503 error."),
    ("Cannot sign in: 503 error", "Sign in fails with HTTP 503 Service Unavailable."),
    ("Login not working (503)", "The login returns 503. We have a demo in an hour!"),
    ("URGENT: can't log in, error 503", "All our agents are locked out, login shows 503."),
    ("Login error 503 service unavailable", "From Chrome and Firefox, both give 503."),
    ("503 on login page", "Login page gives a 503 error. Started around 9:00."),
]
OTHER_FAULTS = [
    (
        "Payment page shows error 500",
        "When I try to pay my invoice the payment page shows 'Internal Server Error 500'.",
    ),
    ("App crashes on start", "The mobile app crashes as soon as I open it."),
    ("Search shows no results", "Search shows no results for anything I type."),
]
LATER_OUTAGE = [
    ("Anmeldung geht nicht", "Beim Login kommt seit einer Stunde Fehler 503."),
    ("Login down, 503", "I cannot log in, I get error 503 Service Unavailable."),
]


def _specs(texts: list[tuple[str, str]], who: str, now: int, before: int = 600) -> list[Spec]:
    """Tickets from one customer each, made ``before`` seconds ago on (a later batch: the
    seconds just gone, after the last run's cursor)."""
    return [
        Spec(subject, body, f"{who}{i}@customer-{who}{i}.example", now - before + i, "open", who)
        for i, (subject, body) in enumerate(texts)
    ]


def _later(texts: list[tuple[str, str]], who: str) -> list[Spec]:
    return _specs(texts, who, int(time.time()), len(texts))


def _load(desk: Desk, specs: list[Spec]) -> list[int]:
    return LOADERS[desk.kind](desk.sandbox, specs)


def _linked_to(desk: Desk, ticket_id: int) -> int | None:
    """The group ticket (Zendesk's problem, Freshdesk's tracker, ServiceNow's parent incident)
    a ticket is linked to, if any."""
    return desk.linked(ticket_id).group


def _first_run(
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    llm_url: str | None = None,
    came_with: dict[int, Any] | None = None,
) -> tuple[list[int], int]:
    """The ordinary tickets and the outage, one run (``llm_url``: the LLM triages, else the
    learned engine): the outage's ids and its group ticket; ``came_with`` is given each
    report's priority before the run."""
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    if llm_url is None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", llm_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    now = int(time.time())
    _load(desk, [history_ticket(now)])  # the helpdesk's own week, which linking needs
    _load(desk, _specs(ORDINARY, "asks", now))
    reports = _specs(OUTAGE, "login", now)
    _load(desk, solved_before([s.email for s in reports], now))  # customers it knows
    outage = _load(desk, reports)
    if came_with is not None:
        came_with.update({t: desk.linked(t).priority for t in outage})
    ran = invoke("run", "--since", "1h")
    assert ran.exit_code == 0, ran.output
    groups = {_linked_to(desk, t) for t in outage} - {None}
    assert len(groups) == 1, groups
    [group] = groups
    assert group is not None
    return outage, group


def test_a_different_fault_sharing_error_words_does_not_join_the_open_outage(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, group = _first_run(desk, monkeypatch)
    others = _load(desk, _later(OTHER_FAULTS, "other"))
    later = _load(desk, _later(LATER_OUTAGE, "later"))
    planned = invoke("run", "--since", "1h", "--dry-run")
    assert planned.exit_code == 0, planned.output
    for ticket_id in others:
        assert f"ticket {ticket_id}: member" not in planned.output, planned.output
    ran = invoke("run", "--since", "1h")
    assert ran.exit_code == 0, ran.output
    assert {t: _linked_to(desk, t) for t in others} == dict.fromkeys(others)
    assert {t: _linked_to(desk, t) for t in later} == dict.fromkeys(later, group)


CRASH = [
    ("App crashes on start", "The mobile app crashes as soon as I open it."),
    ("app keeps crashing", "Since the update the app closes right after the splash screen."),
    ("Crash at launch", "Your app crashes every time I launch it on my phone."),
    ("App won't open", "The app opens and immediately crashes, reinstalling did not help."),
    ("Crashing on startup", "App crashes on startup since this morning's update."),
    ("App dies at start", "The app shuts down instantly when I start it."),
]


def _group_note(desk: Desk, group: int) -> str:
    """What ticketbot wrote on the group ticket: Zendesk's problem note, Freshdesk's tracker
    description, ServiceNow's parent incident's description and work note."""
    seen = desk.linked(group)
    return " ".join([seen.description, *seen.notes])


def test_what_ticketbot_opened_is_never_triaged_nor_flagged_as_a_repeat(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two incidents, two runs apart: on Freshdesk each is a tracker ticketbot opens, asked by
    its own agent; neither is triaged nor flagged as the other's repeat, and the runs' counts
    hold only the customers' tickets. On Zendesk the problem is a customer's first report.
    Each group ticket's note is in its helpdesk's words."""
    # The crash's customers are known to the helpdesk, as the login outage's are; their solved
    # tickets are imported before the first run, so the second triages the crash alone.
    customers = [s.email for s in _later(CRASH, "crash")]
    _load(desk, solved_before(customers, int(time.time())))
    _, login = _first_run(desk, monkeypatch)
    crash = _load(desk, _later(CRASH, "crash"))
    ran = invoke("run", "--since", "1h")
    assert ran.exit_code == 0, ran.output
    assert f"triaged={len(CRASH)} " in ran.output, ran.output
    groups = {_linked_to(desk, t) for t in crash} - {None}
    assert len(groups) == 1, groups
    [crashes] = groups
    assert crashes is not None
    assert crashes != login
    again = invoke("run", "--since", "1h")
    assert again.exit_code == 0, again.output
    assert "triaged=0 " in again.output, again.output
    for group in (login, crashes):
        tags = set(desk.linked(group).tags)
        assert "ai_possible_duplicate" not in tags, (group, tags)
        said = _group_note(desk, group)
        assert "ticketbot: " in said
        linking = KINDS[desk_kind].linking
        assert linking is not None
        if not linking.problem_type:  # a group ticket ticketbot opened, in its helpdesk's words
            assert linking.group_noun in said
            assert "problem ticket" not in said  # Zendesk's words
            assert "ai_incident_tracker" in tags
            assert not {t for t in tags if t.startswith("ai_") and t != "ai_incident_tracker"}


def test_the_group_ticket_and_every_report_share_the_incidents_priority(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch, standin: RunningStandin
) -> None:
    """Triaged by an LLM (the stand-in), the outage's reports get mixed priorities ("URGENT"
    is high); linked, the problem (Zendesk) or tracker (Freshdesk) and every report share the
    reports' highest. ``revert --run`` gives each report the priority it came with: the
    incident's write after the triage's is the run's own, not someone's change since; a second
    revert finds nothing left to do."""
    came_with: dict[int, Any] = {}
    outage, group = _first_run(desk, monkeypatch, standin.url, came_with)
    priorities = {t: desk.linked(t).priority for t in [group, *outage]}
    assert len(set(priorities.values())) == 1, priorities
    assert None not in priorities.values()
    log_dir = Path(os.environ["TICKETBOT_LOG_DIR"])
    [run] = {e["run_id"] for e in events(log_dir) if e["event"] == "incident_write"}
    preview = invoke("revert", "--run", run, "--dry-run")
    assert preview.exit_code == 0, preview.output
    undone = invoke("revert", "--run", run)
    assert undone.exit_code == 0, undone.output
    back = {t: desk.linked(t).priority for t in outage}
    assert back == came_with, undone.output
    # The preview says what the revert then did, each priority by its name.
    assert {t: _previewed(preview.output, t, priorities[t]) for t in outage} == {
        t: _named(v) for t, v in came_with.items()
    }, preview.output
    again = invoke("revert", "--run", run, "--dry-run")
    assert again.exit_code == 0, again.output
    assert "priority" not in again.output.replace("priority kept", ""), again.output


def _named(priority: Any) -> str:
    """A priority as the preview names it: Freshdesk's numbers by their names, none "cleared"."""
    names = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
    return "cleared" if priority is None else str(names.get(priority, priority))


def _previewed(output: str, ticket_id: int, now: Any) -> str:
    """The priority ``revert --dry-run``'s lines leave ``ticket_id`` with, in the order the
    revert writes them (the incident's link first, the triage after); ``now``: its priority."""
    left = _named(now)
    for line in output.splitlines():
        if not line.startswith(f"ticket {ticket_id}: "):
            continue
        for part in line.split("; "):
            if part.startswith("priority back to "):
                left = part.removeprefix("priority back to ")
            elif part.startswith("priority ") and " → " in part:
                before, after = part.removeprefix("priority ").split(" → ")
                assert before == left, line  # the change starts from where the link left it
                left = after
            elif part == "priority cleared":
                left = "cleared"
    return left
