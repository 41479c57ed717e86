"""What the spam gate marks or suggests of a public spam corpus no rule, threshold or row of it
was chosen or fitted on, judged as a fresh helpdesk judges a stranger's mail.

    python -m scripts.figures spam_held_out_figures LING_SPAM_DIR

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

Every mail is judged from its text alone, as a run on a fresh helpdesk judges a requester it
has never seen: no sender's address, no LLM. The spam is the held-out figure (marked or
suggested); the list's messages are genuine mail that is not a customer's ticket (linguists'
calls for papers and conference notices, with their fees), shown for what the gate does to
mail it was not written on. Only the counts are printed: no mail the gate misses is shown.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts.figures_spam_risk import _fates
from ticket_processor.spam.gate import SpamGate
from ticket_processor.spam.labelled import SpamRow, score_rows

CORPUS = "Ling-Spam"
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


def spam_held_out_figures(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="a folder holding Ling-Spam's bare/part*/ files")
    args = parser.parse_args(argv)
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
    print(f"{CORPUS} list messages (genuine mail, not tickets): {genuine_fates}")


if __name__ == "__main__":
    spam_held_out_figures()
