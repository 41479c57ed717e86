"""With answers on, a ticket a delivery names is answered by ``serve`` as a run answers it, on
each helpdesk: one public reply whoever sends it (serve, a repeated delivery, the scheduled run
after), none where an agent answered first, none with answers off.

Before, ``serve`` triaged the ticket and never answered it, and the next run skipped it as
already processed: the customer was never answered, and nothing said so."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.answers_desk import (
    create_tickets,
    linked_articles,
    outbox,
    publish_help_centre,
    rows,
)
from support.cli import invoke
from support.e2e import events
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(seed=None, unlimited=True, configure=True)

TICKETBOTS_OWN_USER = 1  # the API user ticketbot signs in as, on both sandboxes
AGENT_REPLY = "Hi, I have just sent you the steps by e-mail: try them and tell me."


def _answerable(n: int) -> dict[str, Any]:
    # Plain questions the shipped calibration answers (``test_answers_modes_e2e``'s).
    return [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"][n]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    mine = {k: v for k, v in os.environ.items() if k.startswith(("ZEN", "FRESH", "TICKETBOT"))}
    return serve_env(mine, tmp_path, **extra)


def _ours(desk: Desk) -> list[dict[str, Any]]:
    return [m for m in outbox(desk) if m["author_id"] == TICKETBOTS_OWN_USER]


def test_a_delivered_ticket_gets_one_reply_and_an_agents_ticket_none(
    desk: Desk, tmp_path: Path
) -> None:
    published = set().union(*publish_help_centre(desk).values())
    answered, agents = create_tickets(desk, [_answerable(0), _answerable(3)])
    desk.agent_replies(agents, AGENT_REPLY)
    synced = invoke("kb", "sync")  # serve reads the help-centre index a sync keeps
    assert synced.exit_code == 0, synced.output

    with serving(_env(tmp_path, TICKETBOT_ANSWER_MODE="send")) as server:
        for ticket in (answered, agents):
            sent = server.deliver(desk.kind, *delivery_for(desk.kind, ticket))
            assert sent.status_code == 200, sent.text
        server.drained()
        # A second delivery the queue takes, not a retry (another invocation id, where the
        # kind sends one: a retry carries the same and is not stored twice).
        again = delivery_for(desk.kind, answered, invocation="inv-2")
        assert server.deliver(desk.kind, *again).status_code == 200
        server.drained()
    mails = _ours(desk)
    assert [m["ticket_id"] for m in mails] == [answered], mails
    assert linked_articles(mails[0]["body"]) & published, mails[0]["body"]
    assert "ai_answered" in desk.snapshot(answered).tags
    assert "ai_answered" not in desk.snapshot(agents).tags
    logged = events(tmp_path / "logs")
    [sent_event] = [e for e in logged if e["event"] == "answer_sent"]
    assert sent_event["source"] == "serve"
    assert sent_event["ticket_id"] == answered

    # The scheduled run afterwards finds both done: nothing more is sent.
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    assert _ours(desk) == mails
    assert len(desk.snapshot(answered).notes) == 1


def test_a_reply_serve_planned_but_did_not_send_is_sent_once_by_the_next_run(
    desk: Desk, tmp_path: Path
) -> None:
    """A server stopped before its batch's reply went out (killed between the note and the
    send) leaves it in the answers' book: the next scheduled run sends it, once."""
    publish_help_centre(desk)
    [ticket] = create_tickets(desk, [_answerable(0)])
    assert invoke("kb", "sync").exit_code == 0
    with serving(_env(tmp_path, TICKETBOT_ANSWER_MODE="send")) as server:
        served = server.server.state.served
        assert served is not None
        served._after_writes = lambda: None  # type: ignore[method-assign]  # as if killed
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
    assert _ours(desk) == []
    assert "ai_processed" in desk.snapshot(ticket).tags

    for _ in range(2):
        ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
        assert ran.exit_code == 0, ran.output
    assert [m["ticket_id"] for m in _ours(desk)] == [ticket]


def test_with_answers_off_serve_writes_no_reply(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    [ticket] = create_tickets(desk, [_answerable(0)])
    assert invoke("kb", "sync").exit_code == 0
    with serving(_env(tmp_path)) as server:
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
    assert outbox(desk) == []
    snap = desk.snapshot(ticket)
    assert len(snap.notes) == 1
    assert "ai_answered" not in snap.tags


def test_with_the_llm_serve_words_only_the_answer_it_sends(
    desk: Desk, tmp_path: Path, make_standin: Callable[..., RunningStandin]
) -> None:
    """The LLM triages every ticket; it is asked to word an answer (its second call) only for
    the ticket the chooser answers, never for one a guard stops, and is shown the article,
    never the ticket."""
    llm = make_standin()
    publish_help_centre(desk)
    person = next(c for c in rows("answers_tickets.jsonl") if c["kind"] == "person")
    answered, refused = create_tickets(desk, [_answerable(0), person])
    assert invoke("kb", "sync").exit_code == 0
    env = _env(
        tmp_path,
        TICKETBOT_ANSWER_MODE="send",
        OPENAI_BASE_URL=llm.url,
        OPENAI_API_KEY="sk-test-not-a-real-key",
        TICKETBOT_MODEL="stand-in",
    )
    with serving(env, engine="llm") as server:
        for ticket in (answered, refused):
            assert server.deliver(desk.kind, *delivery_for(desk.kind, ticket)).status_code == 200
        server.drained()
    assert [m["ticket_id"] for m in _ours(desk)] == [answered]
    asked = [json.dumps(r) for r in llm.received]
    worded = [r for r in asked if "ISO code" in r]  # the answer writer's request
    assert len(worded) == 1, worded
    assert _answerable(0)["description"][:40] not in worded[0]
    assert not any(person["description"][:40] in r for r in worded)
    assert len(asked) >= 3  # each ticket triaged by the LLM, and the one answer worded
