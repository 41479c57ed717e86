"""What a mail asks of its reader (``spam.lures``): the families bulk mail and phishing show,
in the note's languages, and none in a customer's plain request."""

from __future__ import annotations

import pytest

from ticket_processor.spam.lures import lure_families


@pytest.mark.parametrize(
    ("text", "families"),
    [
        (
            "Lowest prices on meds! To be removed from our mailing list click here.",
            {"list", "click", "offer"},
        ),
        (
            "Your account has been suspended. Verify your account within 24 hours.",
            {"credential", "deadline"},
        ),
        ("Bitte bestätigen Sie Ihre Zugangsdaten über den Link.", {"credential"}),
        ("Pour recevoir le remboursement, confirmez votre identité.", {"credential"}),
        ("Confirme su cuenta para evitar el bloqueo.", {"credential"}),
        ("We do white-hat link building and guest posts for your site.", {"marketing"}),
        ("Buscamos blogs para publicar contenido patrocinado.", {"marketing"}),
        ("Please buy gift cards for the client and send me the codes.", {"transfer"}),
        ("The funds will be transferred to the beneficiary you name.", {"transfer"}),
        ("Order your pills at http://meds.example, no prescription.", {"link", "offer"}),
        # A corpus that stores text tokenised still shows its links.
        ("see http : / / www . example . biz / now", {"link"}),
        # What account-takeover phishing threatens, as its senders word it.
        ("We've temporarily limited what you can do with your account.", {"credential"}),
        ("We noticed unusual sign-in activity. Please verify and log in.", {"credential"}),
        ("Your webmail account expires in 24HRS.", {"credential", "deadline"}),
        ("Failure to upgrade with 48 hours leads to suspension.", {"deadline"}),
        ("Ihr Konto wird gesperrt. Klicken Sie auf den Link unten.", {"credential", "click"}),
        ("Some limitations have been placed on your account.", {"credential"}),
        ("Une connexion suspecte a été observée sur votre compte.", {"credential"}),
    ],
)
def test_what_bulk_mail_and_phishing_ask_is_found(text: str, families: set[str]) -> None:
    assert lure_families(text) == families


@pytest.mark.parametrize(
    "text",
    [
        "I cannot log in to my account since this morning, can you help?",
        "Our March invoice charges us for the Business plan, please move us back to Team.",
        "Ich kann mein Passwort nicht zurücksetzen, der Link kommt nicht an.",
        "Mi pedido no ha llegado y el seguimiento no se actualiza.",
        "The export to CSV fails with error 500 for projects with accents.",
    ],
)
def test_a_customer_s_plain_request_shows_none(text: str) -> None:
    assert lure_families(text) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "Small thing: search ignores accents. Not urgent at all, just thought you'd want to know.",
        "No rush on this one.",
        "No hurry, answer whenever you can.",
        "Das ist nicht dringend, keine Eile.",
        "Ce n'est pas urgent.",
        "No es urgente.",
        "Non è urgente.",
        "Het is niet dringend.",
        "Não é urgente.",
        "It is NOT URGENT.",
    ],
)
def test_a_negated_urgency_is_no_deadline(text: str) -> None:
    assert "deadline" not in lure_families(text)


@pytest.mark.parametrize(
    "text",
    [
        "Urgent: reply within 24 hours or your account will be closed.",
        # A negation names one urgency; an urgency the text asserts elsewhere still counts.
        "Not urgent, they said. URGENT: verify now.",
    ],
)
def test_an_asserted_urgency_is_still_a_deadline(text: str) -> None:
    assert "deadline" in lure_families(text)
