"""A deadline for a whole ``requests`` call: the body read chunk by chunk, each read given the
time left.

requests' timeouts bound each socket operation, so a server (or proxy) that trickles its answer
a byte at a time never trips them. With ``stream=True`` the caller gets the response after the
headers; ``read_within`` then reads the body with the socket's timeout cut to what is left of
the deadline before every read, and raises ``DeadlinePassed`` when nothing is left.
"""

from __future__ import annotations

import time

import requests
from urllib3.exceptions import ReadTimeoutError


class DeadlinePassed(Exception):
    """The whole-call deadline passed while the answer was still coming."""


def read_within(response: requests.Response, deadline: float, read_timeout: float) -> bytes:
    """The body of a streamed response, or ``DeadlinePassed``; each read gets the time left."""
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        if sock is not None:
            sock.settimeout(min(left, read_timeout))
        try:
            chunk = raw.read1(65536)
        except (ReadTimeoutError, TimeoutError) as exc:
            if deadline - time.monotonic() <= 0:
                raise DeadlinePassed from exc
            raise
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
