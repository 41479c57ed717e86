"""Zendesk's comment redactions as the deletion read finds them: the sandbox's two redaction
endpoints replace the text everywhere it keeps it and record a ``CommentRedactionEvent``; the
read (``helpdesks/zendesk/deletions.py``) names the redacted tickets from the ticket event
export, says so when the token cannot read the export, and reads nothing within the minute the
export leaves out."""

from __future__ import annotations

import pytest
import requests
from support.clock import FakeClock
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.deletions import read_deletions
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.zendesk import ZendeskHelpdesk

pytestmark = [
    pytest.mark.clock(real_pause=0.001),
    pytest.mark.sandbox(clock="clock", stamped=True),
]

CODE = "QF-48213"


def _ticket(sb: RunningSandbox, body: str) -> int:
    spec = {"subject": "Voucher", "comment": {"body": body}}
    spec["requester"] = {"email": "customer@example.com", "name": "Customer"}
    return int(sb.store.create(spec)["id"])


def _helpdesk(sb: RunningSandbox, clock: FakeClock) -> ZendeskHelpdesk:
    client = ZendeskClient(sb.url, email=sb.config.email, api_token=sb.config.token)
    return ZendeskHelpdesk(client, marker="ai_processed", clock=clock, sleep=clock.sleep)


def _redact_string(sb: RunningSandbox, ticket_id: int, text: str) -> requests.Response:
    comment = sb.store.comments(ticket_id)[0]
    return requests.put(
        f"{sb.url}/api/v2/tickets/{ticket_id}/comments/{comment['id']}/redact.json",
        json={"text": text},
        auth=sandbox_auth(sb),
        timeout=5,
    )


def test_a_redacted_comment_leaves_no_trace_in_the_sandbox(sandbox: RunningSandbox) -> None:
    ticket = _ticket(sandbox, f"My voucher {CODE} is refused; {CODE} was a gift.")
    answer = _redact_string(sandbox, ticket, CODE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["comment"]["plain_body"].count("\u2587" * len(CODE)) == 2
    audits = requests.get(
        f"{sandbox.url}/api/v2/tickets/{ticket}/audits.json", auth=sandbox_auth(sandbox), timeout=5
    )
    events = [e for a in audits.json()["audits"] for e in a["events"]]
    assert {"CommentRedactionEvent"} <= {e["type"] for e in events}
    assert CODE not in audits.text
    assert CODE not in str(sandbox.store.get(ticket))
    comment = sandbox.store.comments(ticket)[0]["id"]
    missing = requests.put(
        f"{sandbox.url}/api/v2/tickets/999999/comments/{comment}/redact.json",
        json={"text": "voucher"},
        auth=sandbox_auth(sandbox),
        timeout=5,
    )
    assert missing.status_code == 404


def test_the_read_names_the_tickets_whose_comment_was_redacted(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    since = clock.now - 10
    redacted = _ticket(sandbox, f"My voucher {CODE} is refused.")
    kept = _ticket(sandbox, "My parcel is late.")
    assert _redact_string(sandbox, redacted, CODE).status_code == 200
    clock.advance(120)  # past the minute the export leaves out
    hd = _helpdesk(sandbox, clock)
    read = read_deletions(hd, since=since, max_requests=6)
    assert read.tickets == {redacted}
    assert kept not in read.tickets
    assert read.complete
    assert read.notes == ()
    # A redaction before ``since`` is not read again.
    assert read_deletions(hd, since=clock.now - 30, max_requests=6).tickets == frozenset()
    hd.close()


def test_without_an_admins_token_redactions_are_not_read_and_the_read_says_so(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    since = clock.now - 10
    ticket = _ticket(sandbox, f"My voucher {CODE} is refused.")
    assert _redact_string(sandbox, ticket, CODE).status_code == 200
    clock.advance(120)
    sandbox.config.admin = False
    hd = _helpdesk(sandbox, clock)
    read = read_deletions(hd, since=since, max_requests=6)
    hd.close()
    assert read.tickets == frozenset()
    assert read.complete  # the deletions were read; the redactions cannot be
    assert [n for n in read.notes if "admin" in n]


def test_a_read_within_the_exports_last_minute_finds_nothing_yet(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    ticket = _ticket(sandbox, f"My voucher {CODE} is refused.")
    assert _redact_string(sandbox, ticket, CODE).status_code == 200
    hd = _helpdesk(sandbox, clock)
    read = read_deletions(hd, since=clock.now - 5, max_requests=6)
    hd.close()
    assert read.tickets == frozenset()
    assert read.complete  # the next read starts ten minutes before this one: it finds it
