"""A misspelt ``TICKETBOT_SCOPE`` on each helpdesk: a channel its tickets never carry
(``channel=emial``) put every ticket silently out of scope, and a misspelt key
(``chanel=email``) was called "not key=value"."""

from __future__ import annotations

import pytest
from support.cli import invoke
from typer.testing import Result

from ticket_processor.helpdesks.freshdesk.kind import SOURCE_CHANNEL, FreshdeskSettings
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)


def dry_run(scope: str) -> Result:
    return invoke("run", "--dry-run", "--engine", "rules", env={"TICKETBOT_SCOPE": scope})


def test_a_channel_the_helpdesk_does_not_have_is_warned_of_naming_the_valid_ones(
    desk: Desk,
) -> None:
    desk.create([NewTicket("Refund", "Where is my refund?")])
    typo = dry_run("channel=emial")
    assert typo.exit_code == 0, typo.output
    assert "TICKETBOT_SCOPE: channel 'emial' is not a channel of" in typo.stderr
    assert "email" in typo.stderr.partition("the channels are")[2]

    right = invoke(
        "run", "--dry-run", "--engine", "rules", env={"TICKETBOT_SCOPE": "channel=email"}
    )
    assert right.exit_code == 0, right.output
    assert "TICKETBOT_SCOPE" not in right.stderr


def test_a_misspelt_key_is_named(desk: Desk) -> None:
    result = invoke(
        "run", "--dry-run", "--engine", "rules", env={"TICKETBOT_SCOPE": "chanel=email"}
    )
    assert result.exit_code == 2, result.output
    assert "unknown key 'chanel'" in result.output
    assert "keys are brand, group, form, channel" in result.output
    assert "not key=value" not in result.output


def test_freshdesks_channels_are_the_ones_its_tickets_are_given() -> None:
    assert set(FreshdeskSettings.CHANNELS) == set(SOURCE_CHANNEL.values())
