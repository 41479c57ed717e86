"""How a shared fixture reads the marker that a module, class or test configures it with (as
``desk`` reads ``pytest.mark.desk``): a marker rather than a parametrisation, so test ids stay
as they are and the module's tests that do not use the fixture are left alone."""

from __future__ import annotations

from typing import Any


def marker_options(node: Any, name: str) -> dict[str, Any]:
    """The keywords of the ``name`` marker closest to ``node`` (the test, its class, its
    module), or none."""
    marker = node.get_closest_marker(name)
    return dict(marker.kwargs) if marker is not None else {}


def fixture_options(request: Any, name: str) -> dict[str, Any]:
    """``marker_options`` of the requesting test or module, where a string ``clock`` names the
    fixture whose fake clock a sandbox runs on: that fixture's value."""
    options = marker_options(request.node, name)
    if isinstance(options.get("clock"), str):
        options["clock"] = request.getfixturevalue(options["clock"])
    return options
