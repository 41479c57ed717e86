"""``serve`` assigns too: a delivered ticket, triaged by the server, goes to the available agent
with its skills once its batch is written, on each sandbox (serve has no after-run pass: the
assignment's step does its work after each batch's writes)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.serving import delivery_for, serve_env, serving

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk()

PORTUGUESE = NewTicket(
    "Cobrança em dobro",
    "Olá, fui cobrado duas vezes pela minha assinatura deste mês. Por favor reembolsem a "
    "segunda cobrança do cartão. Obrigado",
)


def test_a_delivered_ticket_is_assigned_after_its_batch_is_written(
    desk: StaffedDesk, desk_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    desk.define_skills(["Portuguese", "English"], [])
    group = desk.group("Billing")
    ana = desk.hire("Ana Souza", group, ["Portuguese"])
    desk.hire("Carl Reed", group, ["English"])
    env = serve_env(desk.env(), tmp_path, TICKETBOT_ASSIGNMENT="agents")
    with serving(env) as running:
        [ticket] = desk.create([PORTUGUESE])
        desk.put_in_group(ticket, group)
        body, headers = delivery_for(desk_kind, ticket)
        assert running.deliver(desk_kind, body, headers).status_code in (200, 202)
        running.drained()
        deadline = time.monotonic() + 30
        while desk.assignee_of(ticket) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert desk.assignee_of(ticket) == ana


def test_a_reply_note_delivered_to_serve_goes_out_once(
    desk: StaffedDesk,
    desk_kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    standin: RunningStandin,
) -> None:
    agent = desk.hire("Carl Reed", desk.group("Billing"), [])
    env = serve_env(
        desk.env(),
        tmp_path,
        TICKETBOT_TWO_WAY_REPLY="true",
        OPENAI_BASE_URL=standin.url,
        OPENAI_API_KEY="sk-test-not-a-real-key",
        TICKETBOT_MODEL="stand-in",
    )
    with serving(env, engine="llm") as running:
        [ticket] = desk.create([PORTUGUESE])
        body, headers = delivery_for(desk_kind, ticket, invocation="first")
        assert running.deliver(desk_kind, body, headers).status_code in (200, 202)
        running.drained()
        desk.note_by(ticket, agent, "/reply We refunded the second charge today.")
        body, headers = delivery_for(desk_kind, ticket, "updated", invocation="second")
        assert running.deliver(desk_kind, body, headers).status_code in (200, 202)
        running.drained()
        deadline = time.monotonic() + 30
        while not desk.public_replies(ticket) and time.monotonic() < deadline:
            time.sleep(0.05)
    replies = [text for _, text in desk.public_replies(ticket)]
    assert replies == ["[pt] We refunded the second charge today."]
