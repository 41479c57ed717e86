"""The ``desk`` fixture: a helpdesk sandbox on port 0, as a ``Desk``
(``ticket_processor/sandbox/desks.py``), once for each helpdesk the registry lists
(``helpdesks/registry.py``), so a test written against the ``Desk`` runs on Zendesk, on
Freshdesk and on any helpdesk added later.

    def test_x(desk: Desk) -> None:            # test_x[zendesk], test_x[freshdesk]
        ids = desk.create([NewTicket("Refund", "Where is my refund?")])

A module narrows or configures it with a marker. ``kinds``: the helpdesks; ``configure``:
point ticketbot at the desk (its variables, state and logs under the test's directory);
``raw``: the running sandbox itself rather than the ``Desk``, for tests of one helpdesk's own
API; the other keywords go to ``serve_desk``, where ``clock`` names a fixture whose fake clock
the sandbox runs on:

    pytestmark = pytest.mark.desk(kinds=("freshdesk",), seed=4, raw=True)
    pytestmark = pytest.mark.desk(kinds=("freshdesk",), seed=None, clock="clock", raw=True)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.markers import fixture_options, marker_options
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import serve_desk


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "desk(kinds=..., **options): the helpdesks and serve_desk options of `desk`"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "desk" in metafunc.fixturenames:
        kinds = marker_options(metafunc.definition, "desk").get("kinds", tuple(KINDS))
        metafunc.parametrize("desk_kind", kinds, ids=list(kinds))


@pytest.fixture
def desk(
    desk_kind: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Any]:
    """A fresh sandbox of ``desk_kind`` (a ``Desk``, or with ``raw`` the running sandbox),
    closed after the test."""
    options = fixture_options(request, "desk")
    options.pop("kinds", None)
    raw = options.pop("raw", False)
    configure = options.pop("configure", False)
    with serve_desk(KINDS[desk_kind], **options) as running:
        if configure:
            env = {
                **running.env(),
                "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
                "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
            }
            for name, value in env.items():
                monkeypatch.setenv(name, value)
        yield running.sandbox if raw else running
