"""Write ``tests/data/incident_hour_heldout7.jsonl`` and ``incident_hour_heldout7_refund.jsonl``:
a seventh incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout7.py                    # writes both files (deterministic)
    python scripts/write_incident_heldout7.py --out /tmp/h.jsonl # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the grouping, the fault head and every earlier hour's fault, by an author who did
not read them:

- 25 customers report ONE new fault: the order history in the customer account shows nothing
  ("My orders" empty, "you have not placed any orders yet", past purchases and their invoices
  gone; the account service's order list failing while sign-in and the shop work), in their
  own words: 15 in English (several never say "order" or "history", a few with typos, some as
  questions), 5 short (2-4 words), 5 not in English (de, fr, es, it, pt); ``group``: ``outage``;
- 20 customers ask how to cancel an order or their subscription (``request``: ``cancel``), in
  other words each, some impatient, 3 not in English; in the twin, 20 customers asking about the
  refund of an item they returned instead (``request``: ``refund``, 4 not in English);
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice, the second message 5 to 40 minutes after the first (``group``:
  ``repeat-<the first message's id>`` on both): 2 plain repeats, 2 adding a detail;
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.

Both files are the same hour but for the request burst (its rows draw from their own random
stream, so every other row is the same). Deterministic for the seeds.
"""

from __future__ import annotations

import calendar
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from write_incident_heldout import ShopHour, write_twins

SEED = 7707
WEEK_SEED = 77
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2026, 12, 17, 11, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout7.jsonl"

HISTORY = (
    (
        "My orders page is empty",
        "I logged in to check on order {o} and the 'My orders' page says I have never placed an "
        "order. I have bought from you for three years!",
    ),
    (
        "Is something wrong on your side today?",
        "My account looks like a brand new one: no past purchases, nothing. Did you delete my "
        "data?",
    ),
    (
        "Where did my purchase history go?",
        "I wanted to reorder the {p} I bought in the spring but the list of what I bought "
        "before is completely blank.",
    ),
    (
        "order history gone",
        "order history shows 0 orders since this morning, but i ordered a {p} last week",
    ),
    (
        "Can't download my invoice",
        "I need the invoice for my last purchase for my tax return but there's nothing listed "
        "in my account any more, so there's nothing to click on. Can you email it?",
    ),
    (
        "Account says 'You haven't placed any orders yet'",
        "That is simply not true, I placed one on {d}. Same message in the app and on the website.",
    ),
    (
        "Return form",
        "I want to return the {p} but to start a return I have to pick the item from my "
        "account, and the page is empty. How am I supposed to send it back?",
    ),
    (
        "nothing in my acount",
        "Logged in fine but my acount page has no purchases at all, the list just says no "
        "results. Everything else seems ok.",
    ),
    (
        "Did you wipe customer accounts?",
        "Both my husband and I see an empty account when we sign in, all our previous "
        "purchases have disappeared. What happened?",
    ),
    (
        "Problem with my account",
        "Good afternoon, when I open the section with my purchases it loads for a few seconds "
        "and then shows an empty page. I tried two browsers and logged out and in again. Kind "
        "regards",
    ),
    (
        "Can't see order {o}",
        "The confirmation email came, the money has gone from my card, but order {o} isn't in "
        "my account. In fact none of them are. Has it gone through?",
    ),
    (
        "Past orders not showing",
        "Past ordres are not showing up, the tab is blank. Is this a known problem?",
    ),
    (
        "Tracking link from my account",
        "I usually follow my parcel from my account but today there is nothing there to "
        "click, the whole list is gone. Where do I find the {p} I bought?",
    ),
    (
        "are you updating the website?",
        "my previous purchases vanished from my profile, is that because of maintenance? "
        "will they come back?",
    ),
    (
        "Empty account after login",
        "Every customer account I try (mine, my daughter's) shows no purchases. I need the "
        "receipt for the {p} for a warranty claim, please fix this quickly.",
    ),
)
HISTORY_SHORT = (
    ("order history empty", ""),
    ("My orders blank??", ""),
    ("purchases disappeared", "from account"),
    ("no orders showing", ""),
    ("account history gone", "?"),
)
HISTORY_OTHER = (
    (
        "Bestellübersicht leer",
        "In meinem Kundenkonto werden seit heute keine Bestellungen mehr angezeigt, die Liste "
        "ist leer.",
    ),
    (
        "Historique des commandes vide",
        "Bonjour, mon compte indique que je n'ai jamais passé de commande, alors que j'ai "
        "acheté un {p} la semaine dernière. Que se passe-t-il ?",
    ),
    (
        "¿Dónde están mis pedidos?",
        "En mi cuenta ya no aparece ningún pedido anterior, la página sale vacía.",
    ),
    (
        "Storico ordini sparito",
        "Nel mio account non vedo più nessun acquisto, né dal sito né dall'app.",
    ),
    (
        "Histórico de encomendas vazio",
        "A minha conta diz que ainda não fiz nenhuma encomenda, mas fiz várias. Está tudo bem "
        "do vosso lado?",
    ),
)
CANCEL = (
    (
        "Please cancel order {o}",
        "Hello, please cancel order {o}, I found the {p} cheaper elsewhere.",
    ),
    ("cancel?", "can i still cancel what i ordered an hour ago"),
    (
        "How do I stop my subscription",
        "I'd like to end my monthly tea subscription after this delivery. Where do I do that?",
    ),
    (
        "CANCEL IT",
        "I asked yesterday already. Cancel order {o}. I do not want the {p} any more. Today, "
        "please.",
    ),
    (
        "Ordered by mistake",
        "My son ordered a {p} on my account without asking. Can you cancel it? Order {o}.",
    ),
    ("Cancel subscription", "Please stop my subscription from next month on. Thanks."),
    ("cancellation", "{o} cancel pls"),
    (
        "Remove one item from my order",
        "Could you cancel just the {p} from order {o}? The rest is fine.",
    ),
    (
        "Two orders by accident",
        "The page froze and I clicked again, now I have two orders. Please cancel {o}.",
    ),
    (
        "Where is the cancel button?",
        "Your help page says I can cancel from my account but I don't see any button for order "
        "{o}. How do I cancel?",
    ),
    (
        "Stop the auto-renewal",
        "I don't want my yearly plan to renew. How do I cancel it before the renewal date?",
    ),
    (
        "Cancel before shipping",
        "Order {o} still says 'processing'. Can you cancel it before it leaves the warehouse?",
    ),
    ("Don't need it any more", "I no longer need the {p}. How can I cancel my order?"),
    (
        "Still waiting - cancel my order",
        "I've written twice now and nobody answers. CANCEL order {o}, I mean it.",
    ),
    (
        "Cancelling mid-month",
        "If I cancel my subscription in the middle of the month, do I pay for the whole month?",
    ),
    ("Request to cancel", "Dear customer service, I kindly ask you to cancel order {o}. Regards"),
    (
        "wrong colour, cancel",
        "I picked the wrong colour for the {p}. Easier to cancel the order and start again, how "
        "do I do that?",
    ),
    ("Auftrag stornieren bitte", "Bitte stornieren Sie meine Bestellung {o}, danke."),
    (
        "Annuler mon abonnement",
        "Comment est-ce que j'annule mon abonnement ? Je ne trouve rien dans l'appli.",
    ),
    ("Cancelar pedido", "Quiero cancelar el pedido {o}, todavía no ha salido. ¿Cómo lo hago?"),
)
REFUND = (
    ("Refund for the {p}", "I returned the {p} on {d}. When do I get the money back?"),
    ("refund", "sent back order {o} ages ago, where's my money"),
    (
        "Return arrived, refund didn't",
        "The courier says you received my return {n} days ago. The refund for order {o} still "
        "hasn't come.",
    ),
    (
        "How long does a refund take?",
        "I posted my return this morning. How many days until the money is back on my card?",
    ),
    (
        "This is taking far too long",
        "{n} days since I sent the {p} back and still no refund. I'm getting really annoyed.",
    ),
    (
        "Refund to my gift card or card?",
        "I paid order {o} partly with a gift card. Where will the refund for the return go?",
    ),
    (
        "Refund is missing one item",
        "I sent back three items from order {o} but the refund covers only two.",
    ),
    ("where is my refund", "returned the {p}, refund status please"),
    (
        "Has my return arrived?",
        "Could you check whether you have my return for order {o} and when the refund will be "
        "paid?",
    ),
    (
        "Returned with your label",
        "The {p} went back with your prepaid label on {d}. Refund please.",
    ),
    (
        "Refund confirmed but not received",
        "Your email says the refund was made last week, my bank shows nothing.",
    ),
    (
        "Returned a gift",
        "Someone gave me the {p} and I sent it back. Can the refund go to me instead of them?",
    ),
    (
        "Refund amount wrong",
        "You refunded less than I paid for the returned {p}. Was a fee taken off?",
    ),
    (
        "Third time asking about my refund",
        "Order {o} was returned a month ago. I want my refund this week.",
    ),
    (
        "Shipping costs on a return",
        "Will I also get the delivery charge back for the item I returned?",
    ),
    (
        "I don't want store credit",
        "I returned the {p} and you gave me store credit. Please refund it to my card instead.",
    ),
    (
        "Erstattung für Rücksendung",
        "Meine Rücksendung zu Bestellung {o} ist angekommen, wann bekomme ich das Geld zurück?",
    ),
    ("Remboursement en attente", "J'ai renvoyé le {p} il y a {n} jours, toujours rien."),
    ("¿Y mi reembolso?", "Devolví el pedido {o} y todavía no me han devuelto el dinero."),
    (
        "Reembolso em falta",
        "Enviei a devolução há {n} dias e ainda não recebi o reembolso.",
    ),
)
NOISE = (
    ("Arrived broken", "The {p} arrived with a cracked corner. Order {o}. What can you do?"),
    (
        "Unknown charge",
        "My bank shows a payment of 27.50 to you that I don't recognise, I have no order for it.",
    ),
    (
        "Password rules",
        "Why does my new password need a special character? It keeps rejecting the one I choose.",
    ),
    (
        "Delivery late",
        "Order {o} should have come on {d} and the courier still shows it at the depot.",
    ),
    ("Wrong item", "I ordered the {p} but the box had a completely different product in it."),
    (
        "Courier left it outside",
        "My parcel was left on the doorstep in the rain, the box is soaked.",
    ),
    ("Missing charger", "The {p} came without its charging cable. Order {o}."),
    ("VAT on invoice", "Can you add my company VAT number to the invoice for order {o}?"),
    ("Sale question", "Does the student discount stack with the Christmas sale?"),
    ("Faulty after a month", "The {p} stopped turning on after a month. What do I do?"),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail.
TWICE = (
    (
        (
            "When will order {o} arrive?",
            "Order {o} shows as shipped but there is no delivery date. When can I expect it?",
        ),
        ("any news??", "any news??"),
    ),
    (
        (
            "Gift wrapping",
            "Can you still gift-wrap order {o}? It's a present.",
        ),
        ("Re: Gift wrapping", "Hello? Still waiting for an answer about the gift wrap."),
    ),
    (
        (
            "Deliver to my office",
            "Can order {o} go to my office instead of home? I'm never in during the day.",
        ),
        (
            "Re: Deliver to my office",
            "The office address is 4 Station Road, Bristol BS1 6QF, reception on the ground floor.",
        ),
    ),
    (
        (
            "Manual missing",
            "The {p} from order {o} came without instructions. Is there a manual online?",
        ),
        ("manual", "It's the grey model, the label on the bottom says version 2."),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*HISTORY, *HISTORY_SHORT, *HISTORY_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=9000,
    burst_customers=11000,
    twice_customers=8900,
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
