"""The list of shared-suite files not yet run on a kind (``support/kinds.py``) names only
files that exist and kinds the registry lists: a renamed file or a removed kind cannot leave
an entry behind that deselects nothing, or hides a file that was meant to run. A file a kind
does not apply to says why."""

from __future__ import annotations

from support.kinds import DOES_NOT_APPLY, NOT_YET, TESTS

from ticket_processor.helpdesks.registry import DEFAULT_KIND, KINDS


def test_the_waiting_list_names_registered_kinds_and_existing_files() -> None:
    assert set(NOT_YET) <= set(KINDS) - {DEFAULT_KIND}
    missing = sorted(f for files in NOT_YET.values() for f in files if not (TESTS / f).is_file())
    assert missing == []


def test_each_file_a_kind_does_not_apply_to_exists_and_says_why() -> None:
    assert set(DOES_NOT_APPLY) <= set(KINDS) - {DEFAULT_KIND}
    listed = [(kind, f, why) for kind, files in DOES_NOT_APPLY.items() for f, why in files.items()]
    assert [f for _, f, _ in listed if not (TESTS / f).is_file()] == []
    assert [(kind, f) for kind, f, why in listed if not why.strip()] == []
    # Never in both lists: a file either waits for the kind or does not apply to it.
    assert [(k, f) for k, f, _ in listed if f in NOT_YET.get(k, frozenset())] == []
