"""A ticket about one customer's own case is told from a general question, in the templates'
languages. The cases are written here, apart from the labelled help centres' tickets; the
general questions must hold none of the cues, since an article answers them (several name
what the cues look for: an order number, a price, a duration, "delete my account")."""

from __future__ import annotations

import pytest

from ticket_processor.answers.own_case import CUES, own_case


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        # an identifier of the customer's own
        ("My parcel for order KB-77310 never came with the charger.", "identifier"),
        ("Booking 4471-QZ shows the wrong room, can it be fixed?", "identifier"),
        ("Die Sendung TRK-90215 hängt seit Montag im Lager.", "identifier"),
        ("La commande n° WX-3391 est arrivée incomplète.", "identifier"),
        # an amount charged
        ("You billed me 18.40 EUR for a month I never used.", "amount"),
        ("I was charged $12 twice for one delivery.", "amount"),
        ("Sie haben mir 7,90 € abgebucht, obwohl ich gekündigt habe.", "amount"),
        ("Me cobraron 25 euros por un envío que no llegó.", "amount"),
        # a date of their own event
        ("The delivery on 14 February came without the lid.", "date"),
        ("Seit dem 3. März funktioniert die Karte nicht.", "date"),
        ("Le colis du 21 janvier n'est jamais arrivé.", "date"),
        ("Mi pedido del 9 de octubre sigue sin llegar.", "date"),
        ("Mijn bestelling van 5 mei is nog niet binnen.", "date"),
        # how long their problem has lasted
        ("The camera has been offline for two days and nothing helps.", "duration"),
        ("It has been pending for a week now.", "duration"),
        ("Das Gerät blinkt seit drei Tagen rot.", "duration"),
        ("L'appareil ne se connecte plus depuis deux semaines.", "duration"),
        ("O pedido está parado há cinco dias.", "duration"),
        # what they already tried
        ("I already restarted the router and it still drops out.", "tried"),
        ("I typed the voucher in four times, it is always refused.", "tried"),
        ("Ich habe es schon zweimal neu gestartet, gleiches Ergebnis.", "tried"),
        ("J'ai déjà réinstallé l'application, même chose.", "tried"),
        ("Ya he reiniciado el equipo y sigue igual, mismo error.", "tried"),
        # an action asked of the company
        ("Please cancel my last delivery and refund it.", "request"),
        ("Could you waive the late fee this once?", "request"),
        ("I want this subscription fee refunded.", "request"),
        ("Bitte stornieren Sie meine letzte Bestellung.", "request"),
        ("Pouvez-vous annuler mon abonnement ?", "request"),
        ("¿Pueden devolverme el dinero del último mes?", "request"),
        ("Kunnen jullie mijn abonnement annuleren?", "request"),
        ("Podem cancelar a minha assinatura, por favor?", "request"),
        # their own unit or copy, judged faulty
        ("The charger gets hot and stops after a minute. I think mine is defective.", "faulty"),
        ("The doorbell rings twice for every visitor; I'm sure this unit is broken.", "faulty"),
        ("Ich glaube, die Waage ist defekt, sie zeigt immer 0 kg.", "faulty"),
        ("Je pense que la batterie est défectueuse.", "faulty"),
        ("Creo que el mando está roto, no responde.", "faulty"),
        # what the company already did to their case
        ("You cancelled my subscription although I had paid for the year.", "company_action"),
        ("You've closed our workspace and the invoices are gone.", "company_action"),
        ("Sie haben mein Abo gekündigt, obwohl ich bezahlt habe.", "company_action"),
        ("Vous avez supprimé mon compte sans prévenir.", "company_action"),
        ("Me han bloqueado la cuenta sin motivo.", "company_action"),
    ],
)
def test_a_customers_own_case_is_found(text: str, cue: str) -> None:
    assert cue in own_case(text)


@pytest.mark.parametrize(
    "text",
    [
        "How do I find my order number?",
        "Where do I see the reference of a booking?",
        "How do I delete my account?",
        "Can I cancel my plan and get a refund?",
        "How long does a refund take?",
        "Is the monthly pass 29 EUR or less for students?",
        "How much does a delivery cost, 4.99?",
        "Can I change the heating several times a day?",
        "Can I pause my subscription for two months?",
        "Does the app work with iPhone 12 and iOS 17?",
        "What does E2 on the display mean?",
        "Is the charger 230 V or 110 V?",
        "May 2 people share one account?",
        "I forgot my password yesterday, how do I reset it?",
        "Can you tell me how to export my invoices?",
        "Wie finde ich meine Bestellnummer?",
        "Wie kann ich mein Konto löschen?",
        "Comment annuler ma commande ?",
        "¿Cómo puedo cancelar mi pedido?",
        "Hoe kan ik mijn abonnement opzeggen?",
        "Como posso cancelar a minha assinatura?",
        "Quiero cambiar la temperatura varias veces al día.",
        "What do I do if the charger is faulty?",
        "Is a blinking red light a sign the unit is broken?",
        "Where is the tracking number for the card you sent me?",
        "What happens to my data if you close my account?",
        "Wie erkenne ich, ob das Gerät defekt ist?",
    ],
)
def test_a_general_question_holds_no_cue(text: str) -> None:
    assert own_case(text) == ()


def test_the_cues_come_in_one_order() -> None:
    found = own_case("Please refund the 9 EUR you charged me on 2 June for order QX-1180.")
    assert found == ("identifier", "amount", "date", "request", "company_action")
    assert set(found) <= set(CUES)
