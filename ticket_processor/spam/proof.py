"""What a mail shows of itself that no customer's ticket shows: the proof the spam gate needs
to gate a requester it has never seen (``gate.verdict``; ``proof_of``). Pure.

The head's score, a sender's no-reply address and the lure families are guesses about a
stranger: customers write from booking systems' no-reply addresses, complain about prices in
an offer's words, and forward the phishing mail sent in a company's name. What proves a mail
is no customer's is its structure:

- a **bounce's headers**: the fields of a delivery status notification (RFC 3464:
  ``Final-Recipient``, ``Diagnostic-Code``, ``Reporting-MTA``, ``Status: 5.1.1``, ...), two
  or more of them in a text that asks nothing (a mail administrator pasting one under a
  question is a person), or the words of an automatic message from a mail system's own
  address (``mailer-daemon@``, ``mail-delivery-subsystem@``);
- a **lure with a link to a look-alike domain**: a link whose host wears a brand it does not
  belong to (``paypa1-secure.example``, ``apple.id-verify.example``), a raw IP address or an
  internationalised (``xn--``) host, beside a lure (a password or card to confirm, a link to
  click, a deadline);
- a **known campaign's structure**: bulk mail's three parts together, what it sells (an offer,
  search rankings, adult words), a link or a call to click, and how to leave the list it was
  sent to. A customer quoting one of them is a report (``reading``), not the mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import SpamKind

# The fields of a delivery status notification, as a bounce carries them (RFC 3464), and the
# headers mail systems add to one.
_DSN_FIELD = re.compile(
    r"""(?imx)
    ^[ \t>]*(final-recipient|original-recipient|diagnostic-code|reporting-mta|remote-mta
    |x-failed-recipients|arrival-date|last-attempt-date|x-postfix-queue-id)[ \t]*:
    | ^[ \t>]*(action)[ \t]*:[ \t]*(?:failed|delayed)\b
    | ^[ \t>]*(status)[ \t]*:[ \t]*[45]\.\d{1,3}\.\d{1,3}\b
    """
)
_DSN_FIELDS = 2
# A mail system's own address (``cues.sender_cues`` gives its local part): what it sends is a
# delivery report, and with an automatic message's words it is one.
_MAIL_SYSTEM = re.compile(
    r"(?i)^(?:mailer[-_.]?daemon|mail[-_.]?delivery[-_.]?subsystem|bounces?)$"
)
# Brands phishing wears most (the Anti-Phishing Working Group's and the vendors' yearly
# reports name these again and again), as a host spells them once look-alike digits are undone.
_BRANDS = (
    "paypal", "apple", "icloud", "microsoft", "office365", "outlook", "onedrive", "amazon",
    "netflix", "google", "gmail", "facebook", "instagram", "whatsapp", "linkedin", "dropbox",
    "docusign", "adobe", "dhl", "fedex", "usps", "chase", "wellsfargo", "bankofamerica",
    "citibank", "hsbc", "barclays", "santander", "ebay", "coinbase", "binance", "spotify",
)  # fmt: skip
_HOST = re.compile(
    r"(?i)(?:\bhttps?://|\bwww\.)(\d{1,3}(?:\.\d{1,3}){3}\b|\[IP\]"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63})"
)
# A raw IP address, or the placeholder the text's preparation puts where one stood.
_IPV4 = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|\[ip\])$")
_LOOKALIKE_DIGITS = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t"})
# Second-level labels under which a country's registrable names sit (``paypal.co.uk``).
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu"})
LURES_BESIDE_A_LINK = frozenset({"credential", "click", "deadline"})
# Bulk mail's three parts: what it sells, where to buy it, how to leave its list.
_SELLS = frozenset({"offer", "marketing", "adult"})
_GO = frozenset({"link", "click"})


@dataclass(frozen=True)
class Proof:
    """What a mail proves itself: its ``kind``, and what showed it (for the verdict's reasons)."""

    kind: SpamKind
    shown: str


def proof_of(
    text: str, lures: frozenset[str], machine: str | None, automatic: bool
) -> Proof | None:
    """What proves ``text`` no customer's, or None. ``lures``: its lure families (``lures``);
    ``machine``: the local part of a machine's sender address (``cues``); ``automatic``: the
    text says it is an automatic message."""
    fields = {next(g for g in m.groups() if g).lower() for m in _DSN_FIELD.finditer(text)}
    system = machine is not None and _MAIL_SYSTEM.match(machine) is not None
    # A bounce asks nothing: a mail administrator who pastes one under a question is a person.
    if (len(fields) >= _DSN_FIELDS and "?" not in text) or (automatic and system):
        return Proof("auto_sender", "a bounce's delivery-status fields")
    if lures & LURES_BESIDE_A_LINK:
        host = next((h for h in hosts(text) if lookalike(h)), None)
        if host is not None:
            return Proof("phishing", f"a lure with a link to a look-alike host ({host})")
    if "list" in lures and lures & _SELLS and lures & _GO:
        return Proof("spam", "bulk mail's structure (an offer, a link, a way off its list)")
    return None


def hosts(text: str) -> list[str]:
    """The hosts of the links in ``text``, lower-cased, in order."""
    return [found.group(1).lower() for found in _HOST.finditer(text)]


def lookalike(host: str) -> bool:
    """Whether ``host`` wears a brand it does not belong to, or hides its name (a raw IP
    address, an internationalised ``xn--`` label)."""
    if _IPV4.match(host) or any(label.startswith("xn--") for label in host.split(".")):
        return True
    labels = host.split(".")
    cut = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL else 2
    registered = labels[-cut]  # the name the host was registered as (``paypal`` of paypal.com)
    # A label that is the brand or opens with it (``paypal``, ``appleid``, ``paypa1secure``):
    # not one that holds it inside another word (``purchase``, ``pineapple``).
    spelled = re.split(r"[.-]", host.translate(_LOOKALIKE_DIGITS))
    return any(
        label.startswith(brand) and registered != brand for label in spelled for brand in _BRANDS
    )
