"""``ticketbot sandbox`` on a port another program holds (the other helpdesk's sandbox on the
default port): it said only "cannot listen on 127.0.0.1: Address already in use"; it now says
to give another ``--port``."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.registry import KINDS


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_port_in_use_says_to_give_another(kind: str, held_port: int) -> None:
    result = invoke("sandbox", "--helpdesk", kind, "--port", str(held_port))
    assert result.exit_code == 2, result.output
    assert f"--port {held_port}: cannot listen on 127.0.0.1" in result.output
    assert f"give this one another port with --port (e.g. --port {held_port + 1}" in result.output


def test_the_llm_standins_port_in_use_says_the_same(held_port: int) -> None:
    result = invoke("sandbox", "--llm", "--llm-port", str(held_port), "--port", "0")
    assert result.exit_code == 2, result.output
    assert f"another port with --llm-port (e.g. --llm-port {held_port + 1}" in result.output
