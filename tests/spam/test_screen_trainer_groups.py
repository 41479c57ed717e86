"""The screen's trainer fits each threshold on the texts a run's gate asks it for: a deadline
alone is a plain text's threshold (``SUGGESTS_ONLY_BESIDE``), a sum the one with lures, and a
text the gate decides without the screen is in neither (``scripts/train.py`` ``screen_group``
asks ``gate.head_needed`` itself; it used to restate the rule, and put a deadline alone with
the lures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LETTER = (
    "Dear customer,\n\nWe have reviewed your account and the attached statement for the last "
    "quarter. Our records show the following items that need your attention. Regards,\nThe "
    "accounts team"
)


@pytest.fixture(scope="module")
def screen_group() -> object:
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from train import screen_group

        return screen_group
    finally:
        sys.path.remove(str(REPO / "scripts"))


@pytest.mark.parametrize(
    ("extra", "group"),
    [
        ("", False),
        ("\nPlease reply within 24 hours, this is urgent.", False),
        ("\nThe total due is $1,249.00 USD.", True),
        ("\nThe total due is $1,249.00 USD. Please reply within 24 hours.", True),
    ],
    ids=["plain", "deadline alone", "a sum", "a sum and a deadline"],
)
def test_the_trainer_groups_a_text_as_the_gate_asks(
    screen_group: object, extra: str, group: bool
) -> None:
    assert callable(screen_group)
    assert screen_group(LETTER + extra) is group


def test_a_text_the_gate_decides_alone_is_in_no_group(screen_group: object) -> None:
    assert callable(screen_group)
    automatic = "This is an automatically generated message. Do not reply to this email."
    assert screen_group(automatic) is None
