"""The chat rule: what makes a text a short chat-like message, a sum of money as its own lure
family, and that on such a message the head alone decides nothing."""

from __future__ import annotations

import numpy as np
import pytest

from ticket_processor.spam.chat import chat_like, judged_lures, with_price
from ticket_processor.spam.cues import SenderCues
from ticket_processor.spam.gate import guess
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore
from ticket_processor.spam.lures import lure_families

NO_CUE = SenderCues(False, None, None)


def _judged(text: str) -> tuple[frozenset[str], bool]:
    return judged_lures(text, lure_families(text))


@pytest.mark.parametrize(
    "text",
    [
        "\nHI! R U OPEN 2NITE? WANNA PICK UP MY ORDER AFTER WORK. LUV JEN XXX",
        "order\nhi its kate, did my parcel go out 2day? u can call me now",
        "Cancel it NOW\nCancel order 339044 immediately, I will not accept the parcel.",
        "Damaged\nMy phone case arrived with a broken part. Photos attached. Order 465064.",
        "\nAre you free now? I won't be home till 6.",
    ],
)
def test_a_short_message_that_asks_nothing_of_bulk_mail_is_chat_like(text: str) -> None:
    assert _judged(text)[1], text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("\nGreat deal, see www.cheap-stuff.example now", "a link"),
        ("\nsee cheap-stuff.com for more", "a bare web address"),
        ("\nCall 0906 170 1461 now to hear who fancies u", "a phone number"),
        ("\nCall [PHONE] now to hear who fancies u", "a redacted phone number"),
        ("\nringtone club: txt TONE to 87066", "a short code to text"),
        ("\nU have won a £900 prize!", "money and a prize"),
        ("\nits only $700 for the studio", "a sum"),
        ("\nHot chat 4 just 60p/min", "a premium rate"),
        ("\nYour crypto wallet will be frozen. Enter your recovery phrase.", "a secret asked"),
        ("\nSign in with your e-mail password to open the file", "a password asked"),
        ("Dear customer\nYour parcel is waiting.", "a mail's greeting"),
        ("hi\none\ntwo\nthree", "a mail's layout"),
        ("\nVerify your account details today", "a lure people's messages do not show"),
        ("\nhot chat tonight, send STOP to end", "an opt-out"),
        ("\n" + "word " * 41, "too long for a text message"),
        ("Out of office\nI am out of the office until Monday.", "an automatic reply's own words"),
    ],
)
def test_what_text_spam_shows_makes_a_message_not_chat_like(text: str, why: str) -> None:
    assert not _judged(text)[1], why


def test_a_sum_is_a_price_and_an_offer_only_beside_an_offer_s_words() -> None:
    text = "My plan went from $29 to $39 without notice."
    assert lure_families(text) == {"offer"}  # the lure families read a sum as an offer
    assert with_price(text, lure_families(text)) == {"price"}
    pills = "Viagra from $1.20 a dose."
    assert with_price(pills, lure_families(pills)) == {"price", "offer"}
    assert with_price("no money here", frozenset({"click"})) == {"click"}
    assert not chat_like("\nonly $2", frozenset({"price"}))


def _head() -> SpamHead:
    zeros = np.zeros((len(CLASSES), 512), np.float32)
    return SpamHead(zeros, np.zeros(len(CLASSES), np.float32), apply_at=0.9, suggest_at=0.5)


@pytest.mark.parametrize(
    ("p", "kind", "cues", "llm", "automatic", "lures", "expected"),
    [
        # The head alone, however sure, with a kiss or "urgent": nothing.
        (0.99, "spam", NO_CUE, None, False, {"adult"}, None),
        (0.99, "spam", NO_CUE, None, False, {"deadline"}, None),
        (0.7, "spam", NO_CUE, None, False, set(), None),
        # A machine's address or the LLM agreeing: judged as any other mail.
        (0.99, "spam", SenderCues(False, "noreply", None), None, False, set(), "apply"),
        (0.99, "spam", NO_CUE, "spam", False, {"adult"}, "apply"),
        # An out-of-office reply as short as a chat message: only suggested.
        (0.99, "auto_sender", NO_CUE, None, True, set(), "suggest"),
        # Two lures people's messages show, the head past the lure floor: a suggestion.
        (0.5, "spam", NO_CUE, None, False, {"adult", "click"}, "suggest"),
        # The helpdesk's own spam flag decides whatever the text.
        (0.1, "spam", SenderCues(True, None, None), None, False, set(), "apply"),
    ],
)
def test_on_a_chat_like_message_the_head_alone_decides_nothing(
    p: float,
    kind: str,
    cues: SenderCues,
    llm: str | None,
    automatic: bool,
    lures: set[str],
    expected: str | None,
) -> None:
    score = SpamScore(kind, p, p)  # type: ignore[arg-type]
    found = guess(score, cues, llm, _head(), automatic=automatic, lures=frozenset(lures), chat=True)
    assert (None if found is None else found.decision) == expected
    if found is not None and not cues.helpdesk_spam and cues.machine is None and llm is None:
        assert "a short chat-like message: the learned model alone decides nothing" in (
            found.reasons
        )


def test_the_same_verdict_without_the_chat_rule_gates_on_the_head_and_a_kiss() -> None:
    """What the rule takes away: the head sure of it and "xxx" (an adult word) gate a stranger."""
    found = guess(SpamScore("spam", 0.99, 0.99), NO_CUE, None, _head(), lures=frozenset({"adult"}))
    assert found is not None
    assert found.decision == "apply"
