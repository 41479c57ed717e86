"""A macro's public text as the grounded source of an answer, on both helpdesks.

Macros are made through the helpdesk's own API (Zendesk's macros, Freshdesk's canned
responses), read by ``ticketbot macros sync`` into the help-centre index, and a first run in
send mode answers from them under the answers' own gate and guards, without an LLM. The help
centre is the answers' set (tests/data/answers_articles.jsonl), which says nothing of single
sign-on, calendars or label printers: only the macros do.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, public_comments, publish_help_centre
from support.cli import invoke
from support.e2e import events
from support.macros_desk import NOTE_MACROS, post_macro

from ticket_processor.kb.documents import is_document
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.macros.answers import entry_id, entry_of, is_macro_entry, refusal, rendered
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.sandbox.desks import Desk

SSO_TEXT = (
    "Hi {{ticket.requester.first_name}},\n\n"
    "To turn on single sign-on with Okta, open Settings, then Security, then Single sign-on, "
    "and choose Okta as your identity provider. Paste the Okta metadata from your Okta admin "
    "console and press Save. Your teammates then sign in with Okta from their next sign-in.\n\n"
    "Best,\n{{current_user.name}}"
)
# Unrenderable: the ticket's own fields, which the answer has no way to fill in.
CALENDAR_TEXT = (
    "Hello {{ticket.requester.name}},\n\nThe Outlook calendar sync for ticket {{ticket.id}} "
    "runs every hour for the workspace {{ticket.organization.name}}. Open Integrations and "
    "choose Outlook calendar to connect it."
)
# Public and renderable, but asking for a secret.
PRINTER_TEXT = (
    "To connect the label printer we need to check your account: please reply with your "
    "password and the card number on file, and we will pair the label printer for you."
)
# A Zendesk macro writing an internal note: never a customer's (Freshdesk has none such).
PRIVATE_TEXT = (
    "Bulk imports from Salesforce go through the Quarry import queue: log it on account QX-5531 "
    "and tell the customer the Salesforce bulk import takes two days."
)

SSO = [
    ("Single sign-on with Okta", "How do I turn on single sign-on with Okta for my teammates?"),
    ("Okta SSO", "We use Okta. Where do I set up single sign-on and the Okta metadata?"),
]
CALENDAR = [("Outlook calendar", "How do I connect the Outlook calendar sync to my workspace?")]
PRINTER = [("Label printer", "How do I connect the label printer to my account?")]
PRIVATE = [("Salesforce import", "How long does a bulk import from Salesforce take?")]


def test_a_name_placeholder_is_removed_with_its_greeting() -> None:
    text = rendered(SSO_TEXT)
    assert "{{" not in text
    assert not text.startswith("Hi")  # the answer's own template greets the customer
    assert "single sign-on with Okta" in text
    assert (
        rendered("Thanks, {{ticket.requester.name}}. It is done now.") == "Thanks. It is done now."
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (CALENDAR_TEXT, "cannot be rendered without its ticket: the placeholder {{ticket.id}}"),
        ("{% if ticket.status == 'open' %}We are on it.{% endif %}", "a liquid tag"),
        ("Your code is {{dc.welcome_text}} for now, see you.", "{{dc.welcome_text}}"),
        ("Unclosed {{ticket.requester.name here, sorry.", "an unclosed placeholder"),
        (PRINTER_TEXT, "asks for a secret"),
        ("Hi {{ticket.requester.first_name}},", "writes no reply"),
    ],
)
def test_a_macro_that_cannot_be_sent_safely_is_refused(text: str, reason: str) -> None:
    macro = ReadyReply(7, "Some macro", text, True)
    said = refusal(macro)
    assert said is not None
    assert reason in said
    assert entry_of(macro) is None


def test_an_internal_note_is_refused_and_entries_keep_out_of_the_documents_range() -> None:
    assert refusal(ReadyReply(7, "Escalate", "Billing, please check the invoice today.", False))
    for macro_id in (1, 5, 360012345678, 99999999999999):
        assert is_macro_entry(entry_id(macro_id))
        assert not is_document(entry_id(macro_id))
        assert len(f"ai_answer_article_{entry_id(macro_id)}") <= 32  # Freshdesk's tag cap


def _post(desk: Desk, title: str, text: str, *, public: bool = True) -> int:
    return post_macro(desk.kind, desk, title, text, public=public)


@pytest.mark.desk(configure=True)
def test_a_public_macro_answers_and_an_unsafe_one_never_reaches_the_customer(
    desk: Desk,
) -> None:
    publish_help_centre(desk)
    sso = _post(desk, "Single sign-on with Okta", SSO_TEXT)
    _post(desk, "Outlook calendar sync", CALENDAR_TEXT)
    _post(desk, "Label printer pairing", PRINTER_TEXT)
    if desk.kind in NOTE_MACROS:
        _post(desk, "Salesforce bulk import (internal)", PRIVATE_TEXT, public=False)
    cases = SSO + CALENDAR + PRINTER + PRIVATE + [SSO[0]]
    ids = create_tickets(
        desk,
        [{"subject": s, "description": d, "kind": "answerable"} for s, d in cases[:-1]]
        + [{"subject": cases[-1][0], "description": cases[-1][1], "kind": "assigned"}],
    )
    asked_sso, others, assigned = ids[: len(SSO)], ids[len(SSO) : -1], ids[-1]

    synced = invoke("macros", "sync")
    assert synced.exit_code == 0, synced.output
    assert "macros in the help-centre index: 1 may answer customers" in synced.output
    assert "placeholder {{ticket.id}}" in synced.output
    assert "asks for a secret" in synced.output
    # A full listing of the help centre starts a new index: the macros are put back in it.
    full = invoke("kb", "sync", "--full")
    assert full.exit_code == 0, full.output
    assert "1 may answer customers" in full.output

    env = {"TICKETBOT_ANSWER_MODE": "send"}
    for _ in range(2):  # the second run finds the answer given: a ticket is answered once
        ran = invoke("run", "--engine", "rules", env=env)
        assert ran.exit_code == 0, ran.output

    answered = [i for i in asked_sso if public_comments(desk, i)]
    assert answered, "the public macro answers a question only it answers"
    for ticket_id in answered:
        (reply,) = public_comments(desk, ticket_id)
        assert "Okta" in reply
        assert "single sign-on" in reply.lower()
        assert "{{" not in reply
        assert f"macro {sso}" not in reply
        tags = desk.snapshot(ticket_id).tags
        assert f"ai_answer_macro_{sso}" in tags  # the macro's own id, not the index's hash
        assert not [t for t in tags if t.startswith("ai_answer_article_")], tags
    for ticket_id in [*others, assigned]:
        assert public_comments(desk, ticket_id) == []
    every_public = [c for i in ids for c in public_comments(desk, i)] + [
        str(m["body"]) for m in outbox(desk)
    ]
    for words in ("Outlook calendar sync", "card number", "QX-5531", "Quarry"):
        assert not [c for c in every_public if words in c], words
    sent = [e for e in events(Path(os.environ["TICKETBOT_LOG_DIR"])) if e["event"] == "answer_sent"]
    assert {e["ticket_id"] for e in sent} == set(answered)


def test_the_index_holds_only_what_may_answer(tmp_path: Path) -> None:
    from ticket_processor.macros.answers import sync_entries

    index = ArticleIndex(tmp_path / INDEX_FILE)
    try:
        macros = [
            ReadyReply(1, "Single sign-on with Okta", SSO_TEXT, True),
            ReadyReply(2, "Outlook calendar sync", CALENDAR_TEXT, True),
            ReadyReply(3, "Salesforce bulk import", PRIVATE_TEXT, False),
        ]
        first = sync_entries(index, macros)
        assert (first.indexed, len(first.refused)) == (1, 2)
        assert [key[0] for key in index.stamps()] == [entry_id(1)]
        again = sync_entries(index, macros[1:])  # the Okta macro was deleted or deactivated
        assert again.removed == 1
        assert index.count() == 0
    finally:
        index.close()


def test_the_documents_sync_leaves_the_macros_entries_alone(tmp_path: Path) -> None:
    from ticket_processor.kb.documents import sync_documents
    from ticket_processor.macros.answers import sync_entries

    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "returns.md").write_text("# Returns\n\nReturned scanners go to the desk.\n")
    index = ArticleIndex(tmp_path / INDEX_FILE)
    try:
        sync_entries(index, [ReadyReply(1, "Single sign-on with Okta", SSO_TEXT, True)])
        synced = sync_documents(index, folder)
        assert (synced.indexed, synced.removed) == (1, 0)
        assert entry_id(1) in {key[0] for key in index.stamps()}
    finally:
        index.close()
