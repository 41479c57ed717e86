"""``scripts/figures.py spam_email_figures`` reads only the owners it names: the dev (GP) and
held-out (BG) spam of Enron-Spam and the held-out pairs' ham, never the SpamAssassin spam the
same corpus carries (``SA_and_HP``), which the project keeps for an outside check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _mail(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="latin-1")


def test_only_the_named_owners_are_read(tmp_path: Path) -> None:
    offer = "Subject: cheap meds\nlowest prices on meds ! click here to be removed .\n"
    _mail(tmp_path / "enron1" / "spam", "0001.2004-01-01.GP.spam.txt", offer)
    _mail(tmp_path / "enron6" / "spam", "0002.2005-01-01.BG.spam.txt", offer)
    _mail(tmp_path / "enron6" / "spam", "0003.2005-01-02.BG.spam.txt", offer)
    _mail(tmp_path / "enron2" / "spam", "0004.2001-01-01.SA_and_HP.spam.txt", offer)
    _mail(tmp_path / "enron3" / "ham", "0005.2001-01-01.kitchen.ham.txt", "Subject: gas\nsee you")
    done = subprocess.run(
        [sys.executable, "-m", "scripts.figures", "spam_email_figures", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = {line.split(":")[0]: line for line in done.stdout.splitlines()}
    assert "/1 (" in lines["Enron-Spam GP spam (dev)"]
    assert "/2 (" in lines["Enron-Spam BG spam (held out)"]
    assert "/1 (" in lines["Enron-Spam kitchen-l ham (held-out pair, genuine mail)"]
    assert "no *.lokay.ham.txt files" in done.stdout
    assert "SA_and_HP" not in done.stdout
