"""Write ``tests/data/incident_hour_heldout3.jsonl`` and its twin ``..._refund.jsonl``: a fifth
incident hour nobody tuned on, once with a burst of cancellation requests and once with a
burst of refund questions in their place.

    python scripts/write_incident_heldout3.py                  # writes both files (deterministic)
    python scripts/write_incident_heldout3.py --out /tmp/h.jsonl   # the twin beside it: h_refund

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed); its last hour is replaced by one written
by an author who did not see the gate, the guards, the grouping or the fault head:

- 25 customers report ONE new fault, the shop's emails not arriving (order confirmations,
  password-reset links, sign-up codes), in their own words: 15 in English (several never say
  "email": "still nothing in my inbox", "the code never comes"; some asked as questions, a few
  misspelt), 5 short, 5 not in English (de, fr, es, it, pt); ``group``: ``outage``;
- 20 customers asking how to cancel an order or a subscription (``request``: ``cancel``), some
  impatient, 5 not in English (de, fr, es, it, nl); in the twin file 20 customers asking about
  the refund of an item they returned instead (``request``: ``refund``; de, fr, es, pt, nl);
  both bursts draw from their own generator, so every other row of the two files is the same;
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice about one matter of their own, the second message 5 to 40 minutes
  after the first (``group``: ``repeat-<the first message's id>`` on both): 2 plain repeats
  ("any news??"), 2 follow-ups adding a detail;
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.

The files' shape is the other hours' (``id, subject, body, requester, created_at, status,
group, request``), for ``ticketbot eval --grouping``. Deterministic for the seeds.
"""

from __future__ import annotations

import calendar
import random
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from support.incident_hours import hour
from support.incident_scenario import (
    _ORDINARY,
    _PAYMENT,
    HOUR,
    Spec,
    _customer,
    _fill,
)
from write_incident_heldout import CLOTHES, labelled_lines, write_twins, wrote_twice

SEED = 8128
BURST_SEED = 8129
WEEK_SEED = 97
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2026, 11, 26, 14, 0, 0, 0, 0, 0))
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "incident_hour_heldout3.jsonl"

MAIL = (
    (
        "No order confirmation",
        "I ordered a {p} about 20 minutes ago and the money has already left my account, but I "
        "never got the confirmation email. Order {o} - is it actually placed?",
    ),
    (
        "Password reset email not arriving",
        "I've asked for the password reset link four times now and nothing arrives. Not in spam "
        "either.",
    ),
    (
        "still waiting for the code",
        "Your site says it has sent me a verification code to finish signing up, but it never "
        "comes. I've waited a quarter of an hour.",
    ),
    (
        "Is something wrong with your emails today?",
        "Neither the order confirmation nor the payment receipt for order {o} has reached me. My "
        "mailbox works fine for everything else.",
    ),
    (
        "Didn't get my receipt",
        "Bought the {p} this afternoon and there's no receipt in my inbox. I need it for my "
        "expenses at work.",
    ),
    (
        "Nothing in my inbox",
        "Clicked 'send me a link' on the sign-in page three times. Nothing in my inbox, nothing in "
        "junk. Is it me or you?",
    ),
    (
        "Sign-up code never shows up",
        "Trying to create an account so I can order the {p}. The 6-digit code you say you sent "
        "never shows up on my Gmail.",
    ),
    (
        "Did my order go through?",
        "Order {o}: I was charged but nothing was sent to me afterwards. Normally I get a message "
        "from you straight away.",
    ),
    (
        "Reset link not coming",
        "Hi, I forgot my password and the reset link never turns up. Tried my Outlook and my work "
        "address, same thing.",
    ),
    (
        "No mail from you since lunchtime",
        "Your confirmations usually come within a minute. I placed order {o} an hour ago and "
        "still nothing. Did the order fail?",
    ),
    (
        "Can't finish registering",
        "Your registration page tells me to click the link you sent me, but there is no message "
        "from you anywhere. Checked spam, promotions, everything.",
    ),
    ("order mail missing", "i bought a {p} and havent recieved any confirmation. is my order ok?"),
    (
        "Gift card not received",
        "I bought a gift card for my niece an hour ago. It was supposed to be sent to her "
        "straight away, but she hasn't got it and I didn't get my copy either.",
    ),
    (
        "How long does the link take?",
        "I asked to change my password twice and I'm still waiting for the message with the "
        "link. How long does it normally take? It's been half an hour.",
    ),
    (
        "Where is the security code??",
        "I need the security code to sign in on my new phone. It's meant to come by mail but it "
        "doesn't. Pressed resend 5 times.",
    ),
)
MAIL_SHORT = (
    ("still nothing in my inbox??", ""),
    ("no confirmation email", ""),
    ("reset link never arrives", ""),
    ("code not sent", "pls help"),
    ("emails not comming through?", ""),
)
MAIL_OTHER = (
    (
        "Keine Bestellbestätigung",
        "Ich habe vor einer halben Stunde bestellt (Bestellung {o}), aber keine "
        "Bestätigungs-E-Mail bekommen. Auch nicht im Spam.",
    ),
    (
        "Je ne reçois pas le code",
        "Le code de vérification pour créer mon compte n'arrive jamais dans ma boîte mail.",
    ),
    (
        "No me llega el correo",
        "He pedido restablecer la contraseña varias veces y no me llega ningún correo.",
    ),
    (
        "Nessuna conferma",
        "Ho fatto un ordine mezz'ora fa ma non ho ricevuto nessuna email di conferma. È tutto a "
        "posto?",
    ),
    (
        "Não recebi a confirmação",
        "Fiz a encomenda {o} e o pagamento foi feito, mas não recebi nenhum email de confirmação.",
    ),
)
CANCEL = (
    (
        "Cancel my order please",
        "I ordered the {p} an hour ago and have since found it cheaper elsewhere. How do I "
        "cancel before it's sent?",
    ),
    ("cancel", "cancel order {o}"),
    ("Changed my mind", "Hi, I don't need the {p} any more. Can order {o} still be cancelled?"),
    (
        "How do I cancel?",
        "There's no cancel button next to my order in my account. How am I meant to cancel it?",
    ),
    (
        "Ordered twice by mistake",
        "My order went in twice, {o} and another one a minute later. Please cancel one of them.",
    ),
    ("Stop my subscription", "How do I cancel my monthly subscription? I don't want the next box."),
    (
        "End Plus membership",
        "I'd like to cancel my Plus membership before it renews next week. Where do I do that?",
    ),
    ("Too late to cancel?", "Is it too late to cancel order {o}? It still says processing."),
    (
        "Please cancel ASAP",
        "Cancel order {o} right away please, I picked the wrong size. It must not ship.",
    ),
    (
        "wrong product ordered",
        "picked the wrong {p} by accident, can you cancel the order so i can order the right one",
    ),
    ("Remove the {p}", "I'd like to cancel just the {p} from order {o} and keep the rest."),
    (
        "How long do I have?",
        "I placed an order this morning. Until when can I still call it off?",
    ),
    (
        "Monthly box",
        "We're not using the monthly box any more. How do I stop it for good?",
    ),
    (
        "Nobody answers about my cancellation",
        "I asked in the chat to cancel order {o} and nobody replied. How do I cancel it myself??",
    ),
    ("Cancel order now", "Why is there no simple way to cancel?? Order {o}, I don't want it."),
    (
        "Bestellung stornieren",
        "Wie kann ich die Bestellung {o} stornieren? Ich brauche den Artikel nicht mehr.",
    ),
    ("Annuler ma commande", "Bonjour, comment puis-je annuler la commande passée ce matin ?"),
    ("Cancelar suscripción", "¿Cómo cancelo mi suscripción mensual? No encuentro la opción."),
    ("Annullare ordine", "Vorrei annullare l'ordine {o}, ho sbagliato prodotto."),
    ("Bestelling annuleren", "Hoe kan ik mijn bestelling annuleren? Hij is nog niet verzonden."),
)
REFUND = (
    (
        "Money back for my return?",
        "I dropped the {p} off at the post office last Tuesday. When do I get the money back?",
    ),
    ("refund", "sent order {o} back, when is the refund coming"),
    (
        "Returned item, no refund",
        "The courier says you received my return {n} days ago, but no money has come back yet.",
    ),
    (
        "How long does it take?",
        "I returned the {p} last week. How many days until the refund reaches my bank?",
    ),
    (
        "Refund to which card?",
        "I've returned order {o}, but I have since cancelled the card I paid with. Where will "
        "the refund go?",
    ),
    (
        "Did the {p} arrive back?",
        "Can you confirm you received the {p} I sent back, and when the refund will be issued?",
    ),
    (
        "Still waiting on my money",
        "Sent back the {p} two weeks ago with your label. Still no refund. What's going on?",
    ),
    (
        "Partial refund?",
        "I kept one item from order {o} and returned the {p}. Will I be refunded for the {p} only?",
    ),
    (
        "Refund not showing",
        "Your message says my return was processed, but the refund isn't on my statement.",
    ),
    (
        "When will I be reimbursed",
        "Hi, the {p} went back to you on Friday. Just wondering when I'll see the money. Thanks.",
    ),
    ("return refund??", "returned it ages ago. where is my money"),
    (
        "Refund for the returned {p}",
        "Could you tell me how the refund for my returned {p} is going? Order {o}.",
    ),
    (
        "Postage refunded too?",
        "I sent back the {p} because it was faulty. Will I get the postage back with the refund?",
    ),
    ("Cash or voucher?", "I returned order {o}. Do I get my money back or a voucher?"),
    (
        "I returned the parcel",
        "The parcel with the {p} has been back with you for {n} days. Please refund me soon, I "
        "need the money.",
    ),
    (
        "Erstattung meiner Rücksendung",
        "Ich habe den Artikel vor {n} Tagen zurückgeschickt. Wann bekomme ich mein Geld?",
    ),
    ("Remboursement pas reçu", "J'ai renvoyé la commande {o}, quand serai-je remboursé ?"),
    (
        "Devolución sin reembolso",
        "Devolví el artículo hace {n} días y todavía no me habéis devuelto el dinero.",
    ),
    ("Reembolso da devolução", "Devolvi a encomenda {o}. Quando recebo o reembolso?"),
    (
        "Geld terug voor retour",
        "Mijn retour is volgens de koerier aangekomen. Wanneer krijg ik mijn geld terug?",
    ),
)
NOISE = (
    ("Broken on arrival", "The {p} arrived with a cracked base. Order {o}. Can I get a new one?"),
    (
        "Charged the wrong amount",
        "I paid 64.90 for order {o} but the price on the product page was 54.90.",
    ),
    (
        "Changing my password",
        "I know my current password but want a stronger one. Where do I change it in my account?",
    ),
    ("Order late", "Order {o} was due yesterday and still hasn't come. The {p} is a present."),
    ("Wrong colour", "I ordered the {p} in grey and received a beige one."),
    ("Parts missing", "The {p} came without the screws needed to put it together."),
    (
        "Suddenly backordered",
        "Your site said the {p} was in stock, now my order {o} says backordered for 3 weeks.",
    ),
    ("Driver hit my fence", "Your delivery van reversed into my garden fence this morning."),
    ("Stopped working", "The {p} stopped working after two days, it won't switch on at all."),
    (
        "Delivered to the wrong house",
        "The courier's photo shows my parcel at a house number that isn't mine. Order {o}.",
    ),
)
# Each pair: the first message and the second, about the same product and order (a garment
# for the exchange of sizes). The first and the third add a detail, the others only ask again.
TWICE = (
    (
        ("Swap for a bigger size", "The {p} is too small, can I exchange it for one size up?"),
        ("Re: Swap for a bigger size", "Sorry, forgot to say: it's order {o}, and I'd like an L."),
    ),
    (
        ("Parcel locker", "Can order {o} go to a parcel locker instead of my home address?"),
        ("any news??", "Still waiting to hear about the parcel locker for order {o}."),
    ),
    (
        ("Assembly instructions", "The {p} came without its instructions. Can you send them?"),
        (
            "Re: Assembly instructions",
            "It's the {p} from order {o}, the model with two drawers. A PDF would be fine.",
        ),
    ),
    (
        ("Gift wrap", "Could you gift wrap the {p} in order {o}? It's a present."),
        ("gift wrap?", "Any update? I'd like to know before it ships."),
    ),
)


def week() -> list[Spec]:
    """``incident_hours.hour``'s background week alone (its own hour and its repeat customers'
    first messages dropped)."""
    return [
        spec
        for spec in hour(1000, now=NOW, seed=WEEK_SEED)
        if spec.created_at <= NOW - 2 * HOUR and spec.label != "repeat_first"
    ]


def heldout_hour(burst: str) -> list[tuple[Spec, str | None]]:
    """The last hour's tickets, each with its ``group`` (``repeat-?`` until ids are known);
    ``burst`` (``cancel`` or ``refund``) names the request burst, drawn apart from the rest."""
    rng = random.Random(SEED)
    start, end = NOW - HOUR + 60, NOW - 60
    customers = iter(range(3000, 10**6))
    rows: list[tuple[Spec, str | None]] = []

    def one(draw: random.Random, template: tuple[str, str], label: str, group: str | None) -> None:
        subject, body = _fill(draw, template)
        at = draw.randint(start, end)
        rows.append(
            (Spec(subject, body, _customer(draw, next(customers)), at, "open", label), group)
        )

    for template in (*MAIL, *MAIL_SHORT, *MAIL_OTHER):
        one(rng, template, "outage", "outage")
    for template in NOISE:
        one(rng, template, "noise", None)
    for _ in range(8):
        one(rng, rng.choice(_PAYMENT), "payment", None)
    for _ in range(30):
        one(rng, rng.choice(_ORDINARY), "ordinary", None)
    rows += wrote_twice(rng, TWICE, (start, end), 2900, 40 * 60, CLOTHES)
    requests = random.Random(BURST_SEED)
    customers = iter(range(5000, 10**6))
    for template in CANCEL if burst == "cancel" else REFUND:
        one(requests, template, burst, None)
    return rows


def lines(burst: str) -> list[str]:
    rows: list[tuple[Spec, str | None]] = [(spec, None) for spec in week()]
    rows.extend(heldout_hour(burst))
    return labelled_lines(rows, burst)


def main(argv: list[str] | None = None) -> int:
    return write_twins(lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
