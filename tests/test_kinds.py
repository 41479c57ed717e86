"""The list of shared-suite files not yet run on a kind (``support/kinds.py``) names only
files that exist and kinds the registry lists: a renamed file or a removed kind cannot leave
an entry behind that deselects nothing, or hides a file that was meant to run."""

from __future__ import annotations

from support.kinds import NOT_YET, TESTS

from ticket_processor.helpdesks.registry import DEFAULT_KIND, KINDS


def test_the_waiting_list_names_registered_kinds_and_existing_files() -> None:
    assert set(NOT_YET) <= set(KINDS) - {DEFAULT_KIND}
    missing = sorted(f for files in NOT_YET.values() for f in files if not (TESTS / f).is_file())
    assert missing == []
