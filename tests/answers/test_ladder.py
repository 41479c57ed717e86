"""The ``auto`` ladder: a new category drafts, is promoted after N accepted drafts (by hand,
refused below the target), and demoted by re-opens with one alert."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from ticket_processor.answers.answering import RunAnswers
from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.ladder import (
    agent_said_no,
    draft_accepted,
    promotion_refusal,
    should_demote,
    standing,
)
from ticket_processor.answers.policy import AnswersPolicy, CategoryRule, Ladder
from ticket_processor.answers.vocab import AnswerPlan
from ticket_processor.models import Ticket

LADDER = Ladder(drafts=3, target=0.6, reopen_limit=0.3)


def plan(ticket_id: int, category: str = "how_to") -> AnswerPlan:
    return AnswerPlan(
        ticket_id=ticket_id,
        delivery="draft",
        category=category,
        article_id=3,
        article_url="https://help.example.com/hc/en-us/articles/3",
        language="en",
        probability=0.95,
        body="Open Settings, then Appearance, and choose Dark.",
        requester_id=ticket_id + 100,
    )


def test_a_draft_is_accepted_when_the_agent_used_its_article_or_its_words() -> None:
    body = "Open Settings, then Appearance, and choose Dark."
    url = "https://help.example.com/hc/en-us/articles/3"
    assert draft_accepted(body, 3, url, f"Hi! See {url}")
    assert draft_accepted(body, 3, url, "Hi, open Settings then Appearance and choose Dark. Bye")
    assert not draft_accepted(body, 3, url, "We are looking into it and will get back to you.")


def test_a_new_category_drafts_and_is_promoted_only_above_the_target(tmp_path: Path) -> None:
    book = AnswerBook(tmp_path)
    assert book.rung("how_to") == "draft"
    for n in range(3):
        book.drafted(plan(n), 100.0 + n)
    book.judge_draft(0, True)
    book.judge_draft(1, False)
    found = standing("how_to", "draft", book.drafts(), {}, {}, LADDER)
    refusal = promotion_refusal(found, LADDER)
    assert refusal is not None
    assert "2 judged draft(s), the ladder needs 3" in refusal
    book.judge_draft(2, False)
    found = standing("how_to", "draft", book.drafts(), {}, {}, LADDER)
    refusal = promotion_refusal(found, LADDER)
    assert refusal is not None
    assert "not above the target" in refusal
    for n in range(3, 6):
        book.drafted(plan(n), 200.0 + n)
        book.judge_draft(n, True)
    found = standing("how_to", "draft", book.drafts(), {}, {}, LADDER)
    assert found.acceptance == 1.0  # the last three drafts
    assert promotion_refusal(found, LADDER) is None


class Alerts:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def __call__(self, category: str, message: str) -> None:
        self.sent.append((category, message))


class Desk:
    def __init__(self) -> None:
        self.statuses: list[str | None] = []

    def conversation(self, ticket_id: int) -> None:
        return None

    def requester_name(self, user_id: int) -> str | None:
        return None

    def post_answer(self, ticket_id: int, body: str, *, add_tags: object) -> None:
        raise AssertionError("not sending here")

    def set_status(self, ticket_id: int, status: str | None, **kwargs: object) -> None:
        self.statuses.append(status)


class Log:
    def emit(self, event: str, **fields: object) -> dict[str, object]:
        return {}


def test_re_opens_demote_a_sending_category_with_one_alert(tmp_path: Path) -> None:
    policy = AnswersPolicy(
        mode="off",
        ladder=Ladder(drafts=5, target=0.6, reopen_limit=0.3),
        rules={"how_to": CategoryRule(mode="auto")},
    )
    book = AnswerBook(tmp_path)
    book.set_rung("how_to", "send", 0.0, by="promote")
    alerts = Alerts()
    run = RunAnswers(
        policy=policy,
        book=book,
        desk=Desk(),
        article_body=lambda *_: "",
        agents=(),
        prefix="ai_",
        marker="ai_processed",
        log=Log(),
        dry_run=False,
        shadow=False,
        now=lambda: 1000.0,
        alert=alerts,
    )
    assert run.mode("how_to", None) == "send"
    for n in range(6):
        book.sent(plan(n), 500.0 + n)
    book.outcome(0, "resolved", 600.0)
    book.outcome(1, "resolved", 600.0)
    for n in (2, 3, 4, 5):
        ticket = Ticket(id=n, tags=("ai_processed", "ai_answered"))
        run.after_reply(ticket, "actionable")
    assert run.mode("how_to", None) == "draft"
    assert len(alerts.sent) == 1
    assert "how_to moved back to draft" in alerts.sent[0][1]
    found = standing("how_to", "draft", book.drafts(), book.sent_rows(), book.outcomes(), LADDER)
    assert not should_demote(found, LADDER)  # drafting again: nothing more to demote


def test_an_agents_no_by_tag_or_on_the_dashboard_is_one_no() -> None:
    tagged = SimpleNamespace(id=1, tags=["ai_feedback_not_helped"])
    quiet = SimpleNamespace(id=2, tags=["ai_processed"])
    assert agent_said_no(tagged, "ai_", frozenset())
    assert agent_said_no(tagged, "ai_", frozenset({1}))  # both ways: still one "no"
    assert agent_said_no(quiet, "ai_", frozenset({2}))  # on the dashboard only
    assert not agent_said_no(quiet, "ai_", frozenset({1}))
    assert not agent_said_no(SimpleNamespace(id=3, tags=["tb_feedback_not_helped"]), "ai_", ())
