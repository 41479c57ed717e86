"""A key file mistyped where a user gives one: the error names what they typed it in
(``privacy rotate --to`` or ``TICKETBOT_ENCRYPTION_KEY_FILE``), exits with the key's exit code,
and leaves the state directory as it was; a conversion while ``serve`` runs on the directory is
refused. No helpdesk is read: these refusals come first."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.common.sealed import Keyring, read_key_file
from ticket_processor.exitcodes import ExitCode
from ticket_processor.state.lock import RunLock


def _state_files(state: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(state.glob("*")) if p.is_file()}


def test_rotate_to_a_missing_key_file_names_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "current.key"
    assert invoke("privacy", "keygen", str(key)).exit_code == 0
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    state = tmp_path / ".ticketbot"  # the default state directory, in the test's own cwd
    before = _state_files(state) if state.is_dir() else {}

    typo = tmp_path / "new-kye.key"
    result = invoke("privacy", "rotate", "--to", str(typo))

    assert result.exit_code == ExitCode.KEY, result.output
    assert f"the key file {typo} (privacy rotate --to) cannot be read" in result.output
    assert "TICKETBOT_ENCRYPTION_KEY_FILE" not in result.output
    assert not typo.exists()
    assert (_state_files(state) if state.is_dir() else {}) == before


def test_a_missing_key_file_setting_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "ticketbot.kye"
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(typo))

    result = invoke("privacy", "encrypt")

    assert result.exit_code == ExitCode.KEY, result.output
    assert f"the key file {typo} (TICKETBOT_ENCRYPTION_KEY_FILE) cannot be read" in result.output


def test_health_without_the_key_is_unknown_as_a_monitoring_plugin_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``health`` keeps the monitoring plugins' codes (0 to 3): a state directory it cannot open
    is "could not check" (3), not the other commands' 4, which Nagios and Sensu do not know."""
    key = tmp_path / "team.key"
    assert invoke("privacy", "keygen", str(key)).exit_code == 0
    state = tmp_path / ".ticketbot"  # the default state directory, in the test's own cwd
    state.mkdir(exist_ok=True)
    sealed = Keyring(read_key_file(key)).seal(b"{}")
    (state / "replies.json").write_bytes(sealed)

    result = invoke("health")

    assert result.exit_code == ExitCode.HEALTH_UNKNOWN, result.output
    assert "replies.json is encrypted and no key was given" in result.output
    assert (state / "replies.json").read_bytes() == sealed
    assert invoke("run", "--dry-run").exit_code == ExitCode.KEY  # the other commands: 4


def test_encrypt_and_rotate_are_refused_while_serve_runs_on_the_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` keeps the key it started with: converted under its feet, it would go on writing
    plain text (after ``encrypt``) or under the old key (after ``rotate``, which the new key
    alone then cannot open). Held here as serve holds it: its lock on ``serve/``."""
    old, new = tmp_path / "old.key", tmp_path / "new.key"
    for key in (old, new):
        assert invoke("privacy", "keygen", str(key)).exit_code == 0
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(old))
    state = tmp_path / ".ticketbot"  # the default state directory, in the test's own cwd
    (state / "serve").mkdir(parents=True)
    sealed = Keyring(read_key_file(old)).seal(b"{}")
    (state / "replies.json").write_bytes(sealed)

    with RunLock(state / "serve"):
        for command in (("privacy", "encrypt"), ("privacy", "rotate", "--to", str(new))):
            refused = invoke(*command)
            assert refused.exit_code == ExitCode.CONFIG, refused.output
            assert "`ticketbot serve` is running on" in refused.output
            assert (state / "replies.json").read_bytes() == sealed
    rotated = invoke("privacy", "rotate", "--to", str(new))  # serve stopped: it goes ahead
    assert rotated.exit_code == 0, rotated.output
    assert (state / "replies.json").read_bytes() != sealed
