"""Write ``tests/data/incident_hour_heldout10.jsonl`` and ``incident_hour_heldout10_refund.jsonl``:
a tenth incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout10.py                   # writes both files (deterministic)
    python scripts/write_incident_heldout10.py --out /tmp/h.jsonl  # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the grouping, the fault head and every earlier hour's fault, by an author who did
not read them:

- 25 customers report ONE new fault: the invoice and receipt download failing (the "Download
  invoice" link in the account giving an error, a blank page or an empty or broken PDF, for
  every order, old and new; ordering and everything else working), in their own words: 15 in
  English (several never say "invoice", a few with typos, some as questions, some angry, some
  naming what they bought, two saying what they already tried), 5 short (2-4 words), 5 not in
  English (de, fr, es, it, pl); ``group``: ``outage``;
- 20 customers ask how to cancel an order or their subscription (``request``: ``cancel``), in
  other words each, some impatient, 3 not in English; in the twin, 20 customers asking about the
  refund of an item they returned instead (``request``: ``refund``, 4 not in English);
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice, the second message 5 to 40 minutes after the first (``group``:
  ``repeat-<the first message's id>`` on both): 2 plain repeats (one of them about the failing
  download), 2 adding a detail (one of them about the failing download);
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

SEED = 10110
WEEK_SEED = 1010
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2027, 3, 3, 15, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout10.jsonl"

INVOICES = (
    (
        "Can't download my invoice",
        "I need the invoice for the {p} I bought on {d} for my expenses claim. When I click "
        "'Download invoice' in my account I just get an error page. Can you send it?",
    ),
    (
        "Receipt link broken?",
        "Is the receipt download broken on your side? I get a page saying 'Document not "
        "available' for every single order in my history.",
    ),
    (
        "PDF is empty",
        "The PDF I get for order {o} opens as a blank white page. Tried two different PDF "
        "readers and my phone, all the same.",
    ),
    (
        "need a copy of my bill",
        "hi, trying to get the bill for my last order but the download button just spins and "
        "then nothing. need it for my tax return, thanks",
    ),
    (
        "Accounts department needs invoices TODAY",
        "I have to hand in the invoices for our company purchases by end of day and your "
        "site won't let me download a single one. This is unacceptable for a business "
        "customer.",
    ),
    (
        "Invoice download error 500",
        "Every invoice I try to download from 'My orders' gives 'HTTP 500 Internal Server "
        "Error'. Already tried Edge and Chrome and logged out and in again.",
    ),
    (
        "Proof of purchase for warranty",
        "The {p} I bought from you broke and the manufacturer wants a proof of purchase. The "
        "receipt in my account won't open, it says the file is damaged. What can I do?",
    ),
    (
        "Is something wrong with the documents section?",
        "Nothing in the documents part of my account works today. Click on any order, choose "
        "'receipt', and it fails. Is it just me?",
    ),
    (
        "invoce not downloding",
        "the invoce for order {o} wont downlod, says try again later. tried again later. "
        "still nothing",
    ),
    (
        "Where can I get my VAT invoice?",
        "I need an invoice showing the VAT for the {p}. The link in the order confirmation "
        "email leads to an error page and the one in the account does too.",
    ),
    (
        "Why can't I get my receipts??",
        "I've been trying for an hour to get three receipts from my account. Every time: "
        "'Sorry, something went wrong'. Seriously, how is this so hard?",
    ),
    (
        "Document not found",
        "Good afternoon, when I try to save the invoice for order {o} I get 'Document not "
        "found'. The order itself shows fine. Could you please email it to me instead?",
    ),
    (
        "Broken file",
        "The file I download for my purchase on {d} is 0 KB and won't open. Same for an older "
        "order I checked.",
    ),
    (
        "Invoice for my return paperwork",
        "I want to return the {p} and the form asks for the invoice number, but I can't "
        "open the invoice to see it. The download just times out.",
    ),
    (
        "Are you aware invoices are down?",
        "My colleague and I both can't download any invoices from your site since lunchtime. "
        "Is there an ETA for a fix?",
    ),
)
INVOICES_SHORT = (
    ("invoice won't download", ""),
    ("receipt download broken", ""),
    ("cant get invoice", ""),
    ("Invoice PDF error?", ""),
    ("no receipts", "download fails"),
)
INVOICES_OTHER = (
    (
        "Rechnung lässt sich nicht herunterladen",
        "Wenn ich in meinem Konto auf 'Rechnung herunterladen' klicke, kommt nur eine "
        "Fehlerseite. Das betrifft alle meine Bestellungen.",
    ),
    (
        "Facture introuvable",
        "Bonjour, je n'arrive pas à télécharger la facture de ma commande {o}, le PDF est "
        "vide. Pouvez-vous me l'envoyer par e-mail ?",
    ),
    (
        "No puedo descargar la factura",
        "¿Pasa algo con las facturas? Intento descargar la del {p} y me da error.",
    ),
    (
        "Fattura non scaricabile",
        "Il link per scaricare la ricevuta non funziona, la pagina resta bianca.",
    ),
    (
        "Nie mogę pobrać faktury",
        "Dzień dobry, przy próbie pobrania faktury za zamówienie {o} pojawia się błąd.",
    ),
)
CANCEL = (
    ("Please cancel {o}", "I need to cancel order {o}, ordered the {p} in the wrong size."),
    ("cancel my order", "how can i cancel my order please"),
    (
        "Stop my subscription",
        "Hi there, I'd like to cancel my wine club subscription. What are the steps?",
    ),
    (
        "Cancel it NOW",
        "I already asked yesterday. Cancel order {o} immediately, I will not accept the parcel.",
    ),
    (
        "Too late to cancel?",
        "I ordered the {p} this morning. Can order {o} still be cancelled or has it gone?",
    ),
    (
        "Ordered by mistake",
        "My son clicked 'buy' on the {p} without asking. Please cancel order {o}.",
    ),
    ("cancel pls", "order {o}, cancel"),
    (
        "Remove an item from my order",
        "Could you cancel the {p} in order {o} and leave the rest of the order as it is?",
    ),
    (
        "Cancel my plan",
        "I'd like to stop my premium delivery plan before the next payment. How?",
    ),
    (
        "No way to cancel in the app",
        "The app doesn't show any cancel option for order {o}. How am I supposed to cancel?",
    ),
    (
        "Don't need it any more",
        "Please cancel order {o}. I got the {p} as a present in the meantime.",
    ),
    (
        "Waiting for a reply on my cancellation",
        "Two emails and no answer. Cancel order {o} before you send it, please!",
    ),
    (
        "Request to cancel",
        "Dear customer service, I hereby ask you to cancel my order {o}. Best regards",
    ),
    (
        "Pause or cancel subscription?",
        "Can I pause my subscription for a few months, or do I have to cancel it completely?",
    ),
    (
        "Cancellation costs",
        "Is there any charge if I cancel my subscription in the middle of the month?",
    ),
    ("Two identical orders", "I seem to have ordered twice. Please cancel order {o}."),
    (
        "Cancel before it ships",
        "The {p} in order {o} isn't needed anymore, please stop it before dispatch.",
    ),
    ("Bestellung widerrufen", "Ich möchte die Bestellung {o} stornieren. Geht das noch?"),
    ("Annulation abonnement", "Je souhaite arrêter mon abonnement, que dois-je faire ?"),
    ("Cancelar pedido", "Quiero cancelar el pedido {o}, gracias."),
)
REFUND = (
    ("Refund after return", "I returned the {p} on {d}. When do I get the refund?"),
    ("no refund yet", "sent order {o} back ages ago, no refund"),
    (
        "Return delivered, refund missing",
        "The courier confirms you got my return {n} days ago. Still no refund for order {o}.",
    ),
    (
        "Refund timing",
        "How many working days does a refund take after you've received the returned item?",
    ),
    (
        "I want my money back",
        "It has been {n} days since I sent back the {p}. Enough waiting, refund me today.",
    ),
    (
        "Refund to which card?",
        "My card for order {o} has expired since. Where will the refund for my return go?",
    ),
    (
        "Refund incomplete",
        "I sent back both items of order {o} but the refund only covers one of them.",
    ),
    ("refund status please", "returned the {p}, any update on my refund?"),
    (
        "Did you get my parcel back?",
        "Please confirm you've received my return for order {o} and when I'll be refunded.",
    ),
    (
        "Return dropped at the parcel shop",
        "I left the {p} at the parcel shop on {d} with the return label. Refund please.",
    ),
    (
        "Refund says completed",
        "Your email says the refund is complete, but the money is not on my account.",
    ),
    (
        "Postage for my return",
        "I paid the postage to send the {p} back. Is that refunded as well?",
    ),
    (
        "Refund lower than expected",
        "I got back less than I paid for the returned {p}. Was something deducted?",
    ),
    (
        "Refund for {o} still missing",
        "Sent back over a month ago. If I don't get my refund I'll go to my bank.",
    ),
    (
        "Gift card instead of money?",
        "I received a gift card for my returned {p}, but I want a refund to my card.",
    ),
    (
        "Refund for a returned present",
        "I returned a {p} someone gave me. Can the refund go to me?",
    ),
    ("Geld zurück?", "Ich habe den {p} vor {n} Tagen zurückgesendet. Wo bleibt mein Geld?"),
    ("Remboursement", "Quand vais-je être remboursé pour la commande {o} retournée ?"),
    ("Reembolso", "Devolví el {p} el {d}, ¿cuándo me devuelven el dinero?"),
    ("Rimborso in ritardo", "Ho reso l'ordine {o} settimane fa e nessun rimborso."),
)
NOISE = (
    ("Damaged in transit", "The {p} from order {o} arrived with a cracked case."),
    (
        "Unknown charge",
        "There's a charge of 31.50 from you on my card on {d} that I don't recognise.",
    ),
    (
        "Change my password",
        "How do I change my password? I can't find the option in the settings.",
    ),
    ("Parcel hasn't arrived", "Order {o} was due on {d}, still nothing and no tracking."),
    ("Wrong colour", "I ordered the {p} in grey and got it in pink."),
    ("Item missing", "Order {o} came without the {p}, the rest was there."),
    (
        "Courier was rude",
        "The delivery driver threw my parcel over the gate this morning.",
    ),
    ("Gift wrapping", "Do you offer gift wrapping for the {p}?"),
    ("Doesn't turn on", "The {p} doesn't turn on, even after charging overnight."),
    ("Too many emails", "Please stop sending me your newsletter every day."),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail; the first and the third are about the invoice
# download.
TWICE = (
    (
        (
            "Invoice download not working",
            "I can't download the invoice for order {o}, it keeps showing an error. Please "
            "fix or send it.",
        ),
        ("Re: Invoice download not working", "any news?? I still need that invoice"),
    ),
    (
        (
            "Where is my parcel?",
            "Order {o} left your warehouse four days ago and hasn't arrived. Any idea when?",
        ),
        ("Re: Where is my parcel?", "Hello?? Still no answer and no parcel."),
    ),
    (
        (
            "receipt page blank",
            "When I open the receipt for the {p} the page is completely blank.",
        ),
        (
            "Re: receipt page blank",
            "Forgot to say: it's the same for all my orders, also on my tablet.",
        ),
    ),
    (
        (
            "Swap for another model",
            "Can I exchange the {p} from order {o} for the newer model?",
        ),
        (
            "Re: Swap for another model",
            "I'm happy to pay the difference, and I'd like it delivered to my work address.",
        ),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*INVOICES, *INVOICES_SHORT, *INVOICES_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=31000,
    burst_customers=33000,
    twice_customers=30900,
    twice_reporting=(0, 2),  # the first and the third pair are about the invoice download
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
