"""``ticketbot serve`` on a port another program holds said only "cannot listen (Address
already in use)", with no hint; it now says another program listens there and how to choose
another port, as the dashboard and the sandbox do."""

from __future__ import annotations

import socket

import pytest

from ticket_processor.errors import ConfigError
from ticket_processor.serve.server import bind


def test_a_busy_port_says_to_choose_another() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        with pytest.raises(ConfigError) as refused:
            bind("127.0.0.1", port)
    said = str(refused.value)
    assert f"--port {port}: cannot listen" in said
    assert "another program listens there" in said
    assert "choose another --port (0 picks a free one)" in said
