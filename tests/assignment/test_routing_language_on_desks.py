"""The language skill read from the text, end to end on each sandbox (``skills`` mode, no LLM):
a Polish and a Swedish ticket (languages the triage has no stopwords for) take the helpdesk's
Polish and Swedish skills, a Portuguese reply quoting English history its Portuguese one, a
one-line English request English, and a ticket with no word to read the helpdesk's language
(``TICKETBOT_AGENT_LANGUAGE``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import NewTicket, StaffedDesk

pytestmark = pytest.mark.desk(configure=True)

TICKETS = {
    "Polish": NewTicket(
        "Zamowienie", "Gdzie jest moja paczka? Tracking nic nie pokazuje od tygodnia"
    ),
    "Swedish": NewTicket("Inloggning", "Kan inte logga in i appen sedan igår, hjälp"),
    "Portuguese": NewTicket(
        "Re: Your order",
        "Continua sem funcionar, o erro aparece de novo.\n\n"
        "On Tue, 3 May 2026, Support <help@shop.example> wrote:\n"
        "> Hi, please reset your password and log in again. Could you send us a screenshot\n"
        "> of the error if it happens again? Best regards, the support team",
    ),
    "English": NewTicket("refund status", "refund status"),
    "German": NewTicket("#55123", "https://shop.example/orders/55123"),  # no word: the default
}


def test_skills_take_the_language_read_from_the_text(
    desk: StaffedDesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("TICKETBOT_ASSIGNMENT", "skills")
    monkeypatch.setenv("TICKETBOT_AGENT_LANGUAGE", "de")
    desk.define_skills(list(TICKETS), ["Billing"])
    group = desk.group("Support")
    desk.hire("Ana Souza", group, list(TICKETS))
    ids = desk.create(list(TICKETS.values()))
    for ticket_id in ids:
        desk.put_in_group(ticket_id, group)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    # Freshdesk matches a ticket to one skill; the others take every skill: the language's first.
    made = dict(zip(TICKETS, ids, strict=True))
    found = {name: desk.skills_on(ticket_id)[:1] for name, ticket_id in made.items()}
    assert found == {name: [name] for name in TICKETS}
