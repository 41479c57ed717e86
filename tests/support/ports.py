"""A port where a connection is refused, for as long as a test needs it.

Binding a socket to port 0, reading its number and closing it leaves the number free for any
other test's server to take before the test connects (the suite runs in parallel): the test
that wanted "nothing listens there" then talks to someone else's server. The socket here stays
bound, never listening, until the context ends: the kernel answers a connection with a reset
(refused) and gives the port to no one else.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections while the context lasts."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


# Sockets ``held_refused_port`` keeps bound until the worker process ends.
_HELD: list[socket.socket] = []


def held_refused_port() -> int:
    """A port on 127.0.0.1 that refuses connections until the test process ends: for a test
    that hands the address to code it runs (a setting, a URL) rather than a context."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    _HELD.append(held)
    return int(held.getsockname()[1])
