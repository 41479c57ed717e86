"""``learn --risk --from-helpdesk`` on each sandbox: 300 solved tickets whose outcome depends
on what they are about, not on how they are said (calm billing disputes and cancellations
often end badly: rated bad, reopened, escalated; calm how-to questions seldom do). The rules
see calm, ordinary tickets alike; the head learned from the helpdesk's outcomes tells them
apart, beats the rules' held-out AUC, is written, and the next run's notes say it decided.

The tickets are this test's own writing (templates below), seeded."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.risk.head import load_risk_head
from ticket_processor.sandbox.desks import Desk, NewTicket, SolvedTicket

DISPUTES = [
    ("Charge on my card", "I see a charge of {n} euros on my card that I do not recognise."),
    ("Cancel my subscription", "Please cancel my subscription, I no longer need plan {n}."),
    ("Refund for order {n}", "I returned order {n} two weeks ago and would like the refund."),
    ("Invoice {n} is wrong", "Invoice {n} lists a seat we removed last month."),
    ("Billed twice", "It looks like I was billed twice for March, reference {n}."),
    ("Close my account", "I would like to close account {n} and delete my data."),
]
QUESTIONS = [
    ("How to export reports", "How do I export my reports to a spreadsheet? Account {n}."),
    ("Change my password", "Where can I change the password of user {n}?"),
    ("Add a team member", "How can I add a colleague to workspace {n}?"),
    ("Dark mode", "Is there a dark mode in the app? I use version {n}."),
    ("Keyboard shortcuts", "Is there a list of keyboard shortcuts for the editor {n}?"),
    ("Change the language", "How do I switch the interface language for profile {n}?"),
]


def solved_tickets(count: int, seed: int = 7) -> list[SolvedTicket]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        dispute = rng.random() < 0.5
        subject, body = rng.choice(DISPUTES if dispute else QUESTIONS)
        bad = rng.random() < (0.7 if dispute else 0.1)
        how = rng.choice(("rating", "reopen", "escalation")) if bad else "none"
        found.append(
            SolvedTicket(
                subject.format(n=1000 + n),
                body.format(n=1000 + n),
                satisfaction="bad" if how == "rating" else rng.choice(("good", "offered")),
                reopens=1 if how == "reopen" else 0,
                escalated=how == "escalation",
            )
        )
    return found


def kept_outcome(desk: Desk, row: SolvedTicket) -> SolvedTicket:
    """``row`` with a bad outcome the helpdesk does not keep (``Desk.outcomes``: Zendesk has no
    escalation flag, Freshdesk counts no reopens, ServiceNow keeps only reopens) given as the
    one it keeps first."""
    bad = {
        "rating": row.satisfaction == "bad",
        "reopen": row.reopens > 0,
        "escalation": row.escalated,
    }
    if not any(was and how not in desk.outcomes for how, was in bad.items()):
        return row
    how = desk.outcomes[0]
    return SolvedTicket(
        row.subject,
        row.body,
        "bad" if how == "rating" else "unoffered" if bad["rating"] else row.satisfaction,
        1 if how == "reopen" else 0,
        how == "escalation",
    )


@pytest.mark.desk(configure=True, unlimited=True)
def test_the_learned_head_beats_the_rules(desk: Desk, tmp_path: Path) -> None:
    desk.import_solved([kept_outcome(desk, r) for r in solved_tickets(300)])
    state = tmp_path / "state"
    env = {"TICKETBOT_STATE_DIR": str(state)}
    learned = invoke("learn", "--risk", "--from-helpdesk", "--since", "30d", env=env)
    assert learned.exit_code == 0, learned.output
    assert "risk head written to" in learned.output, learned.output
    head = load_risk_head(state / "learned-model.risk.json")
    assert head is not None
    assert head.figures["auc"] > head.figures["rules_auc"] + 0.1, head.figures
    assert head.figures["ece"] <= 0.2, head.figures  # 60 to 80 held-out tickets: coarse

    dispute, question = desk.create(
        [
            NewTicket("Refund for order 9001", "I returned order 9001 and would like a refund."),
            NewTicket("Export question", "How do I export my reports to a spreadsheet?"),
        ]
    )
    ran = invoke("run", "--engine", "rules", env=env)
    assert ran.exit_code == 0, ran.output
    dispute_note = desk.snapshot(dispute).notes[-1]
    assert "learned from this helpdesk's outcomes" in dispute_note
    levels = {"ai_risk_low": 0, "ai_risk_medium": 1, "ai_risk_high": 2}

    def level(ticket_id: int) -> int:
        return max(levels.get(t, -1) for t in desk.snapshot(ticket_id).tags)

    assert level(dispute) > level(question)
    print(json.dumps(head.figures))  # what the README's figure is read from


@pytest.mark.desk(configure=True, unlimited=True)
def test_every_learn_from_helpdesk_learns_the_risk_head(desk: Desk, tmp_path: Path) -> None:
    """``learn --from-helpdesk`` learns the risk head whatever became of the label model: with
    no labelled tickets (the label model fails, said, and so does the command, once the risk
    head is learned) and with ``--promote`` (the weekly learning loop's command), whose label
    model is refused here and fails the command the same way."""
    rows = solved_tickets(200, seed=11)
    ids = desk.import_solved(rows)
    state = tmp_path / "state"
    env = {"TICKETBOT_STATE_DIR": str(state)}
    head_file = state / "learned-model.risk.json"

    unlabelled = invoke("learn", "--from-helpdesk", "--since", "30d", "--folds", "0", env=env)
    assert unlabelled.exit_code != 0, unlabelled.output
    assert "label model not learned" in unlabelled.output, unlabelled.output
    assert "risk head written to" in unlabelled.output, unlabelled.output
    assert load_risk_head(head_file) is not None
    head_file.unlink()

    openings = tuple(subject.split("{")[0] for subject, _ in DISPUTES)
    for ticket_id, row in zip(ids, rows, strict=True):
        dispute = row.subject.startswith(openings)
        category = "billing" if dispute else "how_to"
        desk.agent_edit(ticket_id, f"ai_category_{category}", "low")
    promoted = invoke(
        "learn", "--from-helpdesk", "--promote", "--since", "30d", "--folds", "0", env=env
    )
    # Two categories of labels: the candidate cannot name the others, so it is refused (exit
    # 2, as a plain learn's refusal), and the risk head is learned all the same.
    assert promoted.exit_code == 2, promoted.output
    said = " ".join(promoted.output.split())
    assert "not promoted: the candidate cannot name category" in said  # the verdict, then
    assert "held-out AUC: head" in promoted.output, promoted.output  # the risk head's
    assert "risk head written to" in promoted.output, promoted.output
    assert load_risk_head(head_file) is not None


@pytest.mark.desk(configure=True, unlimited=True)
def test_learn_from_helpdesk_promote_refuses_a_head_no_better_than_the_rules_unless_forced(
    desk: Desk, tmp_path: Path
) -> None:
    """Angry outage reports that all ended badly and calm questions that all ended well: the
    rules order them perfectly, so no head can beat their held-out AUC and ``--promote`` writes
    none (said); ``--force`` writes it all the same."""
    angry = (
        "URGENT: production is down for account {n}, this is unacceptable, we are losing money!",
        "Our whole team is blocked since this morning (account {n}). Nothing works. Fix it NOW.",
    )
    calm = (
        "How do I change the interface language for profile {n}? Thanks!",
        "Where can I find the keyboard shortcuts of editor {n}? Thank you.",
    )
    rows = [SolvedTicket("Outage", angry[n % 2].format(n=n), "bad") for n in range(40)]
    rows += [SolvedTicket("Question", calm[n % 2].format(n=n), "good") for n in range(40)]
    desk.import_solved([kept_outcome(desk, r) for r in rows])
    state = tmp_path / "state"
    env = {"TICKETBOT_STATE_DIR": str(state)}
    learn = ("learn", "--from-helpdesk", "--promote", "--since", "30d", "--folds", "0")

    refused = invoke(*learn, env=env)
    assert "risk head not written: its held-out AUC" in refused.output, refused.output
    assert "does not beat the rules' 1.000" in refused.output, refused.output
    assert load_risk_head(state / "learned-model.risk.json") is None

    forced = invoke(*learn, "--force", env=env)
    assert "risk head written to" in forced.output, forced.output
    assert load_risk_head(state / "learned-model.risk.json") is not None
