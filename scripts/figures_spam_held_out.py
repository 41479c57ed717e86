"""What the spam gate marks or suggests of public spam and phishing no rule, threshold or row of
it was chosen or fitted on, judged as a fresh helpdesk judges a stranger's mail.

    python -m scripts.figures spam_held_out_figures LING_SPAM_DIR [--phishing NAZARIO_CSV]

LING_SPAM_DIR holds the Ling-Spam corpus (Androutsopoulos, Koutsias, Chandrinos, Paliouras and
Spyropoulos, "An Evaluation of Naive Bayesian Anti-Spam Filtering", ECML 2000 workshop; Athens
University of Economics and Business): 481 spam mails sent to the Linguist list and 2,412 of
the list's own messages, one mail a file whose first line is ``Subject: ...``, lower-cased and
tokenised. Only its ``bare`` version is read (lemmatiser and stop-list off): files under a
folder named ``bare``, ``spmsg*.txt`` spam and the others the list's messages. Its readme asks
whoever uses it to acknowledge it and to tell its author, and grants no redistribution: it is
not shipped. A public copy is in the GitHub repository ``erachelson/MLclass``
(``data/lingspam_public``); ``git archive HEAD data/lingspam_public/bare | tar -x`` from a clone
of it gives the folder.

NAZARIO_CSV is ``Nazario.csv`` of Champa, Rabbi and Zibran's curated phishing sets ("Curated
Datasets and Feature Analysis for Phishing Email Detection with Machine Learning", ICMI 2024;
Zenodo record 8339691, CC BY 4.0 for the curation): 1,563 phishing mails of 2015-2022 from José
Nazario's phishing corpus (monkey.org/~jose/phishing), one a row (``sender``, ``subject``,
``body``, ...). Nazario's corpus states no licence of its own: not shipped. A public copy is in
the GitHub repository ``emiliopm1997/Zero_Day_Phishing_Project`` (``data/Nazario.csv``).

Every mail is judged as a run on a fresh helpdesk judges a requester it has never seen: Ling-Spam
from its text alone (it keeps no sender), a phishing mail from its text and its sender's
address; no LLM. The spam is the held-out figure (marked or
suggested); the list's messages are genuine mail that is not a customer's ticket (linguists'
calls for papers and conference notices, with their fees), shown for what the gate does to
mail it was not written on. Only the counts are printed: no mail the gate misses is shown.
"""

from __future__ import annotations

import csv
import re
import sys
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path

from scripts import command_parser
from scripts.figures_spam_risk import _fates
from ticket_processor.spam.gate import SpamGate
from ticket_processor.spam.labelled import SpamRow, score_rows

CORPUS = "Ling-Spam"
# Nazario's mails from this year on are held out; the earlier ones are the dev part the
# phishing lure phrases were written on, reading the mails the gate missed.
HELD_OUT_FROM = 2019
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
SPAM_MAILS = 481  # the corpus's own count: fewer found means a partial copy


def ling_spam_rows(root: Path) -> tuple[list[SpamRow], list[SpamRow]]:
    """The corpus's spam and its list messages under ``root`` (only the ``bare`` version)."""
    spam: list[SpamRow] = []
    genuine: list[SpamRow] = []
    for path in sorted(root.rglob("*.txt")):
        if "bare" not in path.parent.parts:
            continue
        first, _, body = path.read_text(encoding="latin-1").partition("\n")
        if not first.startswith("Subject:"):
            continue  # the corpus's readme, or a file that is no mail of it
        is_spam = path.name.startswith("spmsg")
        row = SpamRow(first.removeprefix("Subject:").strip(), body.strip(), None,
                      "spam" if is_spam else "none")  # fmt: skip
        (spam if is_spam else genuine).append(row)
    return spam, genuine


def nazario_rows(path: Path) -> dict[bool, list[SpamRow]]:
    """The phishing mails of a ``Nazario.csv`` (its ``label`` 1), by whether they are held out:
    sent from ``HELD_OUT_FROM`` on (a mail whose date names no year is left out)."""
    csv.field_size_limit(sys.maxsize)  # a mail's body is one field, some of them long
    found: dict[bool, list[SpamRow]] = {False: [], True: []}
    with path.open(encoding="utf-8", errors="replace", newline="") as rows:
        for row in csv.DictReader(rows):
            year = _YEAR.search(row.get("date") or "")
            if row.get("label", "1").strip() != "1" or year is None:
                continue
            subject, body = _decoded(row["subject"]), row["body"] or ""
            mail = SpamRow(subject, body, _address(row["sender"]), "phishing")
            found[int(year.group(0)) >= HELD_OUT_FROM].append(mail)
    return found


def _decoded(subject: str | None) -> str:
    """A subject as a helpdesk shows it: its RFC 2047 words (``=?UTF-8?Q?...?=``) decoded, as
    the corpus keeps them raw."""
    try:
        return str(make_header(decode_header(subject or "")))
    except (LookupError, UnicodeDecodeError, HeaderParseError):
        return subject or ""


def _address(sender: str | None) -> str | None:
    """The address of a ``From:`` value ("cPanel <service@cpanel.com>"), or None."""
    address = parseaddr(sender or "")[1]
    return address if "@" in address else None


def spam_held_out_figures(argv: list[str] | None = None) -> None:
    parser = command_parser("spam_held_out_figures")
    parser.add_argument("root", type=Path, help="a folder holding Ling-Spam's bare/part*/ files")
    parser.add_argument("--phishing", type=Path, help="Nazario.csv of the curated phishing sets")
    args = parser.parse_args(argv)
    if args.phishing is not None and not args.phishing.is_file():
        parser.exit(2, f"{args.phishing} is not a file: give the path of a copy of Nazario.csv\n")
    if not args.root.is_dir():
        parser.exit(2, f"{args.root} is not a folder: give the path of a copy of {CORPUS} "
                       "(this command's --help says where one is)\n")  # fmt: skip
    spam, genuine = ling_spam_rows(args.root)
    if not spam:
        parser.exit(2, f"no {CORPUS} mails (bare/part*/spmsg*.txt) under {args.root}\n")
    if len(spam) != SPAM_MAILS:
        print(f"note: {len(spam)} spam mails found, where the corpus has {SPAM_MAILS}")
    gate = SpamGate()
    print(f"head: apply at {gate.head.apply_at:.4f}, suggest at {gate.head.suggest_at:.4f}")
    print(f"{CORPUS} spam (held out), as strangers: {_fates(score_rows(spam, gate))}", flush=True)
    genuine_fates = _fates(score_rows(genuine, gate))
    print(f"{CORPUS} list messages (genuine mail, not tickets): {genuine_fates}", flush=True)
    if args.phishing is not None:
        for held_out, rows in sorted(nazario_rows(args.phishing).items(), reverse=True):
            name = (
                f"from {HELD_OUT_FROM} (held out)" if held_out else f"before {HELD_OUT_FROM} (dev)"
            )
            print(f"Nazario phishing {name}, as strangers: {_fates(score_rows(rows, gate))}")


if __name__ == "__main__":
    spam_held_out_figures()
