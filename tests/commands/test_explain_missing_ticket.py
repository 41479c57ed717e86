"""``answers explain`` on a ticket the helpdesk does not have, on each helpdesk: it said
"configuration error: no ticket 99999" (exit 2), though nothing in the configuration is wrong;
it is the helpdesk's 404 as other commands say it ("error: …", exit 1)."""

from __future__ import annotations

import pytest
from support.answers_desk import publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk


@pytest.mark.desk(configure=True)
def test_explain_on_a_missing_ticket_is_not_a_configuration_error(desk: Desk) -> None:
    publish_help_centre(desk)
    assert invoke("kb", "sync").exit_code == 0
    result = invoke("answers", "explain", "99999")
    assert result.exit_code == 1, result.output
    assert "no ticket 99999 in the helpdesk" in result.output
    assert "configuration error" not in result.output
