"""Sending one planned reply: read again right before, sent once, never over an agent.

``FakeAnswerDesk`` is the one fake of the ``AnswerDesk`` protocol: a conversation in memory
that records what was posted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from ticket_processor.answers.answering import RunAnswers
from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.deliver import deliver
from ticket_processor.answers.plan import TicketCues
from ticket_processor.answers.vocab import AnswerPlan
from ticket_processor.models import (
    Analysis,
    Conversation,
    Message,
    Suggestion,
    Ticket,
    Triage,
    WriteBack,
)

PLAN = AnswerPlan(
    ticket_id=7,
    delivery="send",
    category="how_to",
    article_id=3,
    article_url="https://help.example.com/hc/en-us/articles/3",
    language="en",
    probability=0.95,
    body="Hello,\n\nthe answer",
    requester_id=40,
)


@dataclass
class FakeAnswerDesk:
    ticket: Ticket
    messages: list[Message] = field(default_factory=list)
    posted: list[str] = field(default_factory=list)
    statuses: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    def requester_name(self, user_id: int) -> str | None:
        return None

    def conversation(self, ticket_id: int) -> Conversation | None:
        if ticket_id != self.ticket.id:
            return None
        return Conversation(self.ticket, tuple(self.messages))

    def post_answer(self, ticket_id: int, body: str, *, add_tags: Sequence[str]) -> None:
        self.posted.append(body)
        self.messages.append(Message(100 + len(self.messages), body, None, True, False, True))
        self.set_status(ticket_id, "pending", add_tags=add_tags)

    def set_status(
        self,
        ticket_id: int,
        status: str | None,
        *,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        note: str | None = None,
    ) -> None:
        status = status or self.ticket.status
        self.statuses.append((status, tuple(add_tags), tuple(remove_tags)))
        tags = [t for t in dict.fromkeys([*self.ticket.tags, *add_tags]) if t not in remove_tags]
        self.ticket = self.ticket.model_copy(update={"status": status, "tags": tuple(tags)})


def desk(**change: object) -> FakeAnswerDesk:
    ticket = Ticket(id=7, status="open", tags=("ai_processed",), requester_id=40)
    return FakeAnswerDesk(ticket.model_copy(update=change))


def send(fake: FakeAnswerDesk) -> str:
    return deliver(fake, PLAN, prefix="ai_", marker="ai_processed")[0]


def test_a_planned_reply_is_sent_once_with_its_tags_and_pending() -> None:
    fake = desk()
    assert send(fake) == "sent"
    assert send(fake) == "finished"  # read again: ours is there, never a second one
    assert fake.posted == [PLAN.body]
    assert fake.ticket.status == "pending"
    assert {"ai_answered", "ai_answer_article_3"} <= set(fake.ticket.tags)


def test_a_reply_sent_by_a_killed_run_is_finished_not_sent_again() -> None:
    fake = desk()
    fake.messages.append(Message(9, PLAN.body, None, True, False, True))  # mailed, untagged
    assert send(fake) == "finished"
    assert fake.posted == []
    assert "ai_answered" in fake.ticket.tags


@pytest.mark.parametrize(
    ("fake", "outcome"),
    [
        (desk(tags=()), "waiting"),  # the triage write has not landed
        (desk(assignee_id=5), "assigned"),
        (desk(status="solved"), "closed"),
        (desk(tags=("ai_processed", "ai_answer_reopened")), "answered_before"),
    ],
)
def test_the_ticket_as_it_is_now_can_cancel_the_reply(fake: FakeAnswerDesk, outcome: str) -> None:
    assert send(fake) == outcome
    assert fake.posted == []


def test_an_agents_reply_in_between_cancels_the_send() -> None:
    fake = desk()
    fake.messages.append(Message(8, "Hi, here is how", None, True, False, False))
    assert send(fake) == "agent_answered"
    assert fake.posted == []


def test_a_requesters_own_message_does_not_cancel() -> None:
    fake = desk()
    fake.messages.append(Message(8, "any news?", None, True, True, False))
    assert send(fake) == "sent"


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, object]]] = []

    def emit(self, event: str, **fields: object) -> dict[str, object]:
        self.events.append((event, fields))
        return {}


def answers(fake: FakeAnswerDesk, tmp_path: Path, now: float = 1000.0) -> RunAnswers:
    from ticket_processor.answers.policy import AnswersPolicy

    return RunAnswers(
        policy=AnswersPolicy(mode="send"),
        book=AnswerBook(tmp_path),
        desk=fake,
        article_body=lambda *_: "",
        agents=(),
        prefix="ai_",
        marker="ai_processed",
        log=Log(),
        dry_run=False,
        shadow=False,
        now=lambda: now,
    )


def test_the_book_keeps_a_plan_across_runs_until_it_is_sent(tmp_path: Path) -> None:
    fake = desk(tags=())
    first = answers(fake, tmp_path)
    first.book.plan(PLAN, 1000.0)
    first.send_pending(lambda: None)
    assert fake.posted == []  # waiting for the triage write
    fake.ticket = fake.ticket.model_copy(update={"tags": ("ai_processed",)})
    second = answers(fake, tmp_path)  # a new run reads the book from disk
    assert [p.ticket_id for p, _, _ in second.book.planned()] == [7]
    second.send_pending(lambda: None)
    assert fake.posted == [PLAN.body]
    assert second.book.planned() == []
    assert second.book.was_sent(7)
    answers(fake, tmp_path).send_pending(lambda: None)
    assert fake.posted == [PLAN.body]


def test_the_loop_guard_sees_the_same_requester_on_another_ticket(tmp_path: Path) -> None:
    book = AnswerBook(tmp_path)
    book.plan(PLAN, 1000.0)
    assert book.requester_answered_at(40, ticket_id=8) == 1000.0
    assert book.requester_answered_at(40, ticket_id=7) is None  # its own plan is no loop
    assert book.requester_answered_at(41, ticket_id=8) is None


def test_after_a_reply_thanks_resolve_and_anything_else_reopens_for_good(
    tmp_path: Path,
) -> None:
    fake = desk(tags=("ai_processed", "ai_answered"), status="open")
    run = answers(fake, tmp_path)
    run.book.sent(PLAN, 1000.0)
    run.after_reply(fake.ticket, "thanks")
    assert fake.statuses[-1] == ("solved", ("ai_answer_resolved",), ())
    other = desk(id=7, tags=("ai_processed", "ai_answered"), status="open")
    run2 = answers(other, tmp_path)
    run2.after_reply(other.ticket, "actionable")
    assert other.statuses[-1] == ("open", ("ai_answer_reopened",), ())
    run2.after_reply(other.ticket, "actionable")  # re-opened already: nothing more
    assert len(other.statuses) == 1
    auto = desk(tags=("ai_processed", "ai_answered"))
    answers(auto, tmp_path).after_reply(auto.ticket, "auto_reply")
    assert auto.statuses == []


def test_an_answer_solved_without_a_reply_from_the_customer_is_resolved(tmp_path: Path) -> None:
    fake = desk(tags=("ai_processed",))
    run = answers(fake, tmp_path)
    run.book.plan(PLAN, 1000.0)
    run.send_pending(lambda: None)
    run.settle_sent()
    assert run.book.outcomes() == {}  # pending still: nothing to say yet
    fake.ticket = fake.ticket.model_copy(update={"status": "solved"})
    run.settle_sent()
    assert run.book.outcomes() == {7: "resolved"}
    replied = desk(id=8, status="solved")
    replied.messages += [
        Message(1, "answer", None, True, False, True),
        Message(2, "still broken", None, True, True, False),
    ]
    other = answers(replied, tmp_path / "other")
    other.book.sent(replace(PLAN, ticket_id=8), 1000.0)
    other.settle_sent()
    assert other.book.outcomes() == {}  # the customer answered: the reply pass decides


def test_a_reply_refused_on_the_fresh_read_before_the_write_is_not_kept(tmp_path: Path) -> None:
    run = answers(desk(), tmp_path)
    ticket, triage, said = _dark_mode(run)
    written = run.attach(ticket, triage, WriteBack(ticket_id=7, additional_tags=()), said)
    assert written.note is not None
    assert [p.ticket_id for p, _, _ in run.book.planned()] == [7]
    assigned = ticket.model_copy(update={"assignee_id": 5})  # an agent took it meanwhile
    again = run.attach(
        assigned, triage, WriteBack(ticket_id=7, additional_tags=()), said, replanned=True
    )
    assert again.note is None
    assert run.book.planned() == []


def _dark_mode(run: RunAnswers) -> tuple[Ticket, Triage, TicketCues]:
    """A ticket the calibration answers (the dark-mode article at 0.95)."""
    from ticket_processor.answers.plan import cues
    from ticket_processor.triage.confidence import Calibration

    run.calibration = Calibration(starts=(0.0,), values=(0.95,))
    run._article_body = lambda *_: "<p>Open Settings, then Appearance, and choose Dark.</p>"
    analysis = Analysis(
        category="how_to",
        urgency="low",
        sentiment="neutral",
        language="en",
        summary="",
        confidence=0.9,
    )
    found = Suggestion(
        article_id=3,
        title="Dark",
        url="https://h/3",
        locale="en-us",
        visibility="everyone",
        score=0.5,
    )
    ticket = Ticket(id=7, subject="Dark", description="How do I switch to dark mode?")
    triage = Triage(analysis=analysis, engine="rules", suggestions=(found,))
    return ticket, triage, cues(ticket.subject, ticket.description)


def test_agents_that_cannot_be_read_mean_no_answer(tmp_path: Path) -> None:
    """``serve``'s agents, read again as they age: while unreadable, no ticket is answered
    (as a run whose agents cannot be read answers none)."""
    from ticket_processor.answers.agents import ReadAgents
    from ticket_processor.errors import HelpdeskError

    readable = [False]

    def read() -> set[int]:
        if not readable[0]:
            raise HelpdeskError("the helpdesk answered 503", status_code=503)
        return {99}

    run = answers(desk(), tmp_path)
    run._agents = ReadAgents(read, retry=0.0)
    ticket, triage, said = _dark_mode(run)
    written = run.attach(ticket, triage, WriteBack(ticket_id=7, additional_tags=()), said)
    assert written.note is None
    assert run.counts.refused == {"agents_unknown": 1}
    assert run.book.planned() == []
    readable[0] = True
    written = run.attach(ticket, triage, WriteBack(ticket_id=7, additional_tags=()), said)
    assert written.note is not None
    assert [p.ticket_id for p, _, _ in run.book.planned()] == [7]


def test_serve_sends_the_replies_it_planned_and_leaves_the_rest_to_the_run(
    tmp_path: Path,
) -> None:
    fake = desk(tags=("ai_processed",))
    served = answers(fake, tmp_path)
    served.served = True
    ticket, triage, said = _dark_mode(served)
    served.attach(ticket, triage, WriteBack(ticket_id=7, additional_tags=()), said)
    other = replace(PLAN, ticket_id=8, requester_id=41)
    served.book.plan(other, 1000.0)  # a run's plan, its note not written yet
    served.send_pending(lambda: None)
    assert len(fake.posted) == 1  # its own; the run's is not read nor sent
    assert [p.ticket_id for p, _, _ in served.book.planned()] == [8]
    assert served.plan_of(7) is None  # settled: a server's long life keeps no plan sent
