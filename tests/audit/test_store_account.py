"""Which account's rows a reader of the store sees when no helpdesk is configured beside it
(the dashboard or ``report`` over a state directory a run filled): the one account of the
helpdesk's kind the store holds, not an empty view; the configured one otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ticket_processor.audit.store import AuditStore
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings


def _decision(state: Path, account: str, ticket: int) -> None:
    with AuditStore.open(None, state_dir=state, account=account) as store:
        row = {"run_id": "r1", "at": datetime.now(UTC), "helpdesk": "zendesk"}
        store.upsert_decisions([{**row, "status": "written", "ticket_id": ticket}])


def test_without_a_configured_helpdesk_the_stores_one_account_is_read(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _decision(state, "zendesk:acme.zendesk.com", 7)
    bare = load_settings({"TICKETBOT_STATE_DIR": str(state)}, env_file=None)
    with open_store(bare) as store:
        assert store.account == "zendesk:acme.zendesk.com"
        assert store.accounts() == ["zendesk:acme.zendesk.com"]

    # Two accounts of that kind: no guess, the configured view (empty) stays.
    _decision(state, "zendesk:other.zendesk.com", 8)
    with open_store(bare) as store:
        assert store.account == "zendesk"

    # A configured helpdesk is always its own account.
    configured = load_settings(
        {"TICKETBOT_STATE_DIR": str(state), "ZENDESK_SUBDOMAIN": "acme"}, env_file=None
    )
    with open_store(configured) as store:
        assert store.account == "zendesk:acme.zendesk.com"
