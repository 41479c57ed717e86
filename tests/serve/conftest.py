"""Fixtures of the ``serve`` tests: a real PostgreSQL for those marked ``postgres``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.postgres_server import postgres_server


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url
