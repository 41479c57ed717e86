"""A customer's billing complaint that names the sum they were charged is not suggested as spam
on a fresh helpdesk's first run, on each sandbox, in any language the gate reads.

"Ihr habt mir zweimal 49,90 € abgebucht … Rückerstattung": the head scores such a German or
Dutch complaint between its thresholds (0.68 and 0.89), and a sum was the one lure family
beside it, so every first run suggested it as spam. A sum alone, like a deadline alone, is a
customer's word (``gate.SUGGESTS_ONLY_BESIDE``). A bulk mail's offer with its prices beside a
way to order is still suggested in the same run, so the gate did judge.
"""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

# Written for this test: two customers charged twice, writing from addresses the helpdesk has
# never seen.
COMPLAINTS = (
    NewTicket(
        "Doppelte Abbuchung",
        "Guten Tag,\n\nIhr habt mir diesen Monat zweimal 49,90 € abgebucht, am 3. und am 4. "
        "März. Ich habe nur ein Abo. Bitte um Rückerstattung des doppelten Betrags.\n\nViele "
        "Grüße\nAnna Schmidt",
        sender="anna.schmidt@posteo.example",
    ),
    NewTicket(
        "Dubbele afschrijving",
        "Goedendag, er is deze maand twee keer € 49,90 van mijn rekening afgeschreven voor "
        "hetzelfde abonnement. Graag het dubbele bedrag terugstorten.\n\nMet vriendelijke "
        "groet,\nSanne de Vries",
        sender="sanne.devries@ziggo.example",
    ),
)
BULK = NewTicket(
    "Watches",
    "Watches of every famous brand at the lowest prices. Order today, we ship worldwide.",
    sender="sales@timepieces-outlet.example",
)
SPAM_TAGS = ("ai_suggested_spam", "ai_spam", "ai_phishing", "ai_auto_sender")


@pytest.mark.desk(configure=True)
def test_a_complaint_naming_the_sum_charged_twice_is_not_suggested_as_spam(desk: Desk) -> None:
    *complaint_ids, bulk_id = desk.create([*COMPLAINTS, BULK])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert set(desk.snapshot(bulk_id).tags) & set(SPAM_TAGS)
    for ticket_id in complaint_ids:
        tags = desk.snapshot(ticket_id).tags
        assert not [t for t in tags if t in SPAM_TAGS], tags
