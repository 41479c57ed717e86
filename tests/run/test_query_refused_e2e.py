"""A search the helpdesk cannot read (``run --query`` with a typo) is the query's fault, not a
helpdesk that is down: the run says the helpdesk refused the query. Freshdesk's query language
refuses what it cannot parse (400); Zendesk's search reads any words as a full-text search."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(kinds=("freshdesk",), configure=True)


def test_a_query_the_helpdesk_refuses_is_named_as_such(desk: Desk) -> None:
    ran = invoke("run", "--dry-run", "--query", "garbage query ((", "--limit", "2")
    assert ran.exit_code == 1, ran.output
    assert "refused the query" in ran.output
    assert "--query" in ran.output
    assert "unreachable" not in ran.output
