"""A ticket's words are redacted once a run: preparing them for the LLM and then reading them for
the spam gate gives the second the first's redaction, byte for byte what redacting again gives,
and what is held for that stays bounded."""

from __future__ import annotations

import pytest

from ticket_processor.spam.reading import read_ticket
from ticket_processor.triage import redact as redact_module
from ticket_processor.triage.prepare import _RecentRedactions, prepare_ticket
from ticket_processor.triage.redact import redact

SUBJECT = "Card charged twice #12"
BODY = (
    "Hi, my card 4111 1111 1111 1111 was charged twice. Call me on +44 20 7946 0958 or write "
    "to jane.doe@example.com.\n\nThanks"
)


@pytest.fixture
def redacted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts redaction worked on, in order."""
    seen: list[str] = []

    def counted(text: str) -> tuple[str, dict[str, int]]:
        seen.append(text)
        return redact(text)

    monkeypatch.setattr(redact_module, "redact", counted)
    return seen


def test_the_spam_reading_of_a_prepared_ticket_redacts_nothing_again(
    redacted: list[str],
) -> None:
    # Texts of this test's own, so no earlier test's preparation is what is found.
    subject, body = f"{SUBJECT} {id(redacted)}", f"{BODY} {id(redacted)}"
    prepared = prepare_ticket(subject, body)
    assert len(redacted) == 2
    reading = read_ticket(subject, body)
    assert len(redacted) == 2
    assert "[CARD]" in prepared.body
    assert "[PHONE]" in reading.text.upper()


def test_a_text_found_is_what_redacting_it_again_gives() -> None:
    recent = _RecentRedactions(10_000)
    first, counts = recent.redact(BODY)
    counts["card"] = 99  # the caller's copy: what is held does not change with it
    again, again_counts = recent.redact(BODY)
    assert (first, again_counts) == redact(BODY)
    assert again == first
    # Given back once: a third time is redacted anew, the same.
    assert recent.redact(BODY) == redact(BODY)


def test_what_is_held_stays_within_its_characters() -> None:
    recent = _RecentRedactions(4_000)
    for n in range(200):
        recent.redact(f"order {n}: call +1 415 555 0132 {'x' * 40}")
    assert 0 < recent._chars <= 4_000
    assert sum(len(k) + len(v[0]) for k, v in recent._held.items()) == recent._chars
    # A text too long to be worth holding is redacted and not kept.
    recent.redact("y" * 1_000)
    assert "y" * 1_000 not in recent._held
