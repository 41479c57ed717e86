"""What a first day's mistakes are told, on each sandbox: a helpdesk's settings without
``TICKETBOT_HELPDESK`` were told "ZENDESK_SUBDOMAIN is not set" (now: which helpdesk's settings
are all there, and the variable that chooses it), and ``kb sync --solved 2030-01-01`` was told
"saved export position (422)" (now: the date is in the future)."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk


@pytest.mark.desk(configure=True)
def test_a_helpdesks_settings_without_choosing_it_name_the_choice(desk: Desk) -> None:
    unchosen = invoke("run", "--engine", "rules", env={"TICKETBOT_HELPDESK": None})
    if desk.kind == "zendesk":  # the default: its settings alone choose it
        assert unchosen.exit_code == 0, unchosen.output
        return
    assert unchosen.exit_code == 2, unchosen.output
    assert "ZENDESK_SUBDOMAIN is not set" in unchosen.output
    assert f"choose it with TICKETBOT_HELPDESK={desk.kind}" in unchosen.output


@pytest.mark.desk(configure=True)
def test_a_future_solved_date_is_said_to_be_in_the_future(desk: Desk) -> None:
    synced = invoke("kb", "sync", "--solved", "2030-01-01")
    assert synced.exit_code == 2, synced.output
    assert "--solved: '2030-01-01' is in the future" in synced.output
    assert "422" not in synced.output
