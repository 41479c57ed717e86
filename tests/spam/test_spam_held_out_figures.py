"""``python -m scripts.figures spam_held_out_figures`` reads Ling-Spam's ``bare`` version only,
splits Nazario's phishing by year into its dev and held-out parts, decodes a subject as a
helpdesk shows it, and says clearly when a corpus is not where it was told to look."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OFFER = "Subject: great part-time job !\nwe pay $ 10 for every box . to be removed reply .\n"


def _figures(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.figures", "spam_held_out_figures", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )


def _mail(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="latin-1")


def test_the_corpora_are_read_as_their_parts(tmp_path: Path) -> None:
    ling = tmp_path / "lingspam_public"
    _mail(ling / "bare" / "part1" / "spmsga1.txt", OFFER)
    _mail(ling / "bare" / "part2" / "spmsga2.txt", OFFER)
    _mail(ling / "bare" / "part1" / "3-1msg1.txt", "Subject: cfp\ncall for papers on syntax .\n")
    _mail(ling / "lemm" / "part1" / "spmsga1.txt", OFFER)  # another version of the same mail
    _mail(ling / "readme.txt", "This directory contains the Ling-Spam corpus.\n")
    nazario = tmp_path / "Nazario.csv"
    with nazario.open("w", encoding="utf-8", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["sender", "receiver", "date", "subject", "body", "urls", "label"])
        mail = "Your access has been temporarily restricted. Verify your account."
        for date in ("Fri, 30 Oct 2015 00:00:48 -0500", "Wed, 21 Dec 2022 01:33:32 +0000"):
            subject = "=?UTF-8?Q?Account_limited?="
            rows.writerow(["PayPal <service@paypa1.example>", "x", date, subject, mail, 0, 1])
        rows.writerow(["x", "x", "no date", "no year", mail, 0, 1])
    done = _figures(str(ling), "--phishing", str(nazario))
    assert done.returncode == 0, done.stderr
    lines = {line.split(",")[0]: line for line in done.stdout.splitlines()}
    assert "/2 (" in lines["Ling-Spam spam (held out)"]
    assert "/1 (" in lines["Ling-Spam list messages (genuine mail"]
    assert "/1 (" in lines["Nazario phishing from 2019 (held out)"]
    assert "/1 (" in lines["Nazario phishing before 2019 (dev)"]
    assert "note: 2 spam mails found, where the corpus has 481" in done.stdout


def test_a_missing_corpus_is_named_without_a_traceback(tmp_path: Path) -> None:
    done = _figures(str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "is not a folder" in done.stderr
    assert "Traceback" not in done.stderr
    empty = _figures(str(tmp_path))
    assert empty.returncode == 2
    assert "no Ling-Spam mails" in empty.stderr
    _mail(tmp_path / "bare" / "part1" / "spmsga1.txt", OFFER)
    no_csv = _figures(str(tmp_path), "--phishing", str(tmp_path / "Nazario.csv"))
    assert no_csv.returncode == 2
    assert "Nazario.csv" in no_csv.stderr
    assert "Traceback" not in no_csv.stderr


def test_a_subject_is_decoded_as_a_helpdesk_shows_it() -> None:
    from scripts.figures_spam_held_out import _decoded

    assert _decoded("=?iso-8859-1?Q?=DCberpr=FCfen_Sie?=") == "Überprüfen Sie"
    assert _decoded("=?UTF-8?Q?HELPDESK=3a_OFFICE?=") == "HELPDESK: OFFICE"
    assert _decoded("plain =?bad") == "plain =?bad"
    assert _decoded(None) == ""
