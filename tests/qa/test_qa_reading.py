"""The QA reading of a solved conversation, on plain data: each point's verdict and the
messages it rests on (places, ids, redacted quotes); none while the ticket is open; internal
notes never read."""

from __future__ import annotations

from ticket_processor.models import Ticket
from ticket_processor.models.helpdesk import Conversation, Message
from ticket_processor.qa.reading import QaPoint, qa_reading

FIRST = "Where is my parcel? It was due on Monday. Write to me at jane.doe@example.com"


def customer(id_: int, body: str) -> Message:
    return Message(id_, body, None, public=True, from_requester=True)


def agent(id_: int, body: str) -> Message:
    return Message(id_, body, None, public=True, from_requester=False)


def note(id_: int, body: str) -> Message:
    return Message(id_, body, None, public=False, from_requester=False)


def read(*messages: Message, status: str = "solved") -> dict[str, QaPoint]:
    ticket = Ticket(id=7, subject="Parcel", description=FIRST, status=status)
    points = qa_reading(Conversation(ticket, messages))
    assert points is not None
    return {p.name: p for p in points}


def test_an_open_ticket_has_no_reading() -> None:
    ticket = Ticket(id=7, description=FIRST, status="open")
    assert qa_reading(Conversation(ticket, (agent(11, "Thanks, on its way."),))) is None


def test_a_warm_answer_after_the_question_and_an_item_asked_twice() -> None:
    points = read(
        agent(11, "Thank you for writing. Could you send us your order number, please?"),
        customer(12, "I sent it already."),
        note(13, "customer is annoyed; check the warehouse"),
        agent(14, "Sorry, I cannot find it. Please share the order number again."),
        customer(15, "It is 123-456. When will it arrive?"),
        agent(16, "Thanks! It arrives tomorrow, happy to help."),
    )
    answered = points["answered"]
    assert answered.verdict == "yes"
    assert [(c.position, c.message_id, c.who) for c in answered.cited] == [
        (6, 15, "customer"),
        (7, 16, "agent"),
    ]
    twice = points["asked_twice"]
    assert twice.verdict == "yes"
    assert "an order number was asked for in 2 replies" in twice.why
    assert [c.message_id for c in twice.cited] == [11, 14]
    assert "order number" in twice.cited[0].quote
    assert points["tone"].verdict == "warm"
    cited = [c.message_id for p in points.values() for c in p.cited]
    assert 13 not in cited  # the internal note is not the conversation


def test_the_customer_saying_it_did_not_help_is_not_answered() -> None:
    points = read(
        agent(11, "Please restart the router, that should fix it."),
        customer(12, "That did not help, the parcel tracker is still stuck."),
    )
    answered = points["answered"]
    assert answered.verdict == "no"
    assert [c.position for c in answered.cited] == [2, 3]
    assert "did not help" in answered.why


def test_no_reply_after_the_question_is_not_answered() -> None:
    answered = read()["answered"]
    assert answered.verdict == "no"
    assert [(c.position, c.message_id) for c in answered.cited] == [(1, None)]


def test_quotes_are_redacted() -> None:
    answered = read(agent(11, "Thanks, it ships today."))["answered"]
    first = answered.cited[0].quote
    assert "jane.doe@example.com" not in first
    assert "Where is my parcel?" in first


def test_a_curt_reply_is_named_and_one_ask_is_not_twice() -> None:
    points = read(
        agent(11, "Can you send a screenshot of the tracking page?"),
        customer(12, "Here it is. Why is it late?"),
        agent(13, "As I said, read the FAQ."),
    )
    tone = points["tone"]
    assert tone.verdict == "curt"
    assert [c.message_id for c in tone.cited] == [13]
    twice = points["asked_twice"]
    assert twice.verdict == "no"
    assert "asked once: a screenshot" in twice.why
    assert [c.message_id for c in twice.cited] == [11]


def test_a_mention_without_a_request_is_not_an_ask() -> None:
    twice = read(
        agent(11, "Your order number is on the invoice."),
        agent(12, "The order number 5 shipped today."),
    )["asked_twice"]
    assert twice.verdict == "no"
    assert twice.cited == ()


def test_plain_replies_read_neutral_and_a_closed_ticket_is_read() -> None:
    tone = read(
        agent(11, "The parcel left the warehouse this morning and will arrive on Friday."),
        status="closed",
    )["tone"]
    assert tone.verdict == "neutral"
    assert [c.message_id for c in tone.cited] == [11]
