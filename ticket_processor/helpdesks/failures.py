"""What a try of the helpdesk transport that got no whole answer raises (``transport.py``).

A write whose outcome is unknown once it may have been sent (``WriteOutcomeUnknown``: never
retried), a request the run's bound cut short (``RunOutOfTime``), a helpdesk that could not be
reached (``HelpdeskConnectionError``: the request certainly never left, or a read may be tried
again), an answer over the size cap or a compressed body that does not decode. Pure: the
transport hands in the exception and what it knows of the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import requests
from urllib3.exceptions import (
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from ..errors import (
    AnswerTooLarge,
    DeadlinePassed,
    HelpdeskConnectionError,
    HelpdeskError,
    HelpdeskServerError,
    RunOutOfTime,
    TicketBotError,
    WriteOutcomeUnknown,
)
from ..resilience.bounds import size_text

# A connection that failed or broke before the whole answer was read.
BROKEN = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    ProtocolError,
    ReadTimeoutError,
)


class TryWindow(NamedTuple):
    """One request's time: (connect, read) per socket operation, ``total`` for the whole of
    it, and ``cut``: whether the run's bound, not the request's own, set ``total``."""

    connect: float
    read: float
    total: float
    cut: bool


def reached_server(exc: requests.RequestException) -> bool:
    """False when the request certainly never left (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, NewConnectionError)


@dataclass(frozen=True)
class Said:
    """How the transport's messages name its helpdesk, and the error for the run's bound."""

    name: str  # "Zendesk"
    shown_url: str  # the base URL, credentials masked
    url_settings: str  # where the address is configured
    out_of_time: Callable[[str, bool], RunOutOfTime]  # (where, replay_safe)


def try_failed(
    exc: Exception, where: str, window: TryWindow, replay_safe: bool, said: Said
) -> TicketBotError:
    """What a try that got no whole answer raises: a write's outcome unknown once it may
    have been sent, the run's bound when that cut it short, else a helpdesk error."""
    name = said.name
    if isinstance(exc, DecodeError):
        # Read below requests (read_within), so urllib3's own error: a corrupt gzip body.
        return HelpdeskServerError(
            f"{name} answered {where} with a compressed body that does not decode"
        )
    if isinstance(exc, AnswerTooLarge):
        # Not retried: the same request brings the same answer back.
        return HelpdeskError(
            f"{name}'s answer to {where} is larger than {size_text(exc.cap)} "
            "(counted decompressed); reading stopped: TICKETBOT_HELPDESK_MAX_BYTES "
            "raises the cap"
        )
    if isinstance(exc, DeadlinePassed):
        if window.cut:
            return said.out_of_time(where, replay_safe)
        if not replay_safe:
            return WriteOutcomeUnknown(
                f"{name} gave no complete answer to {where} within {window.total:g} s; "
                "the change may or may not have been applied"
            )
        return HelpdeskConnectionError(
            f"{name} gave no complete answer to {where} within {window.total:g} s"
        )
    if isinstance(exc, BROKEN):
        return _broken(exc, where, window, replay_safe, said)
    return HelpdeskError(f"request {where} failed ({type(exc).__name__})")


def _broken(
    exc: Exception, where: str, window: TryWindow, replay_safe: bool, said: Said
) -> TicketBotError:
    """A connection that failed or broke: never reached, cut by the run's bound, or lost
    after the request may have been sent."""
    name, kind = said.name, type(exc).__name__
    if window.cut and isinstance(exc, requests.Timeout | ReadTimeoutError):
        return said.out_of_time(where, replay_safe)
    if isinstance(exc, requests.RequestException) and not reached_server(exc):
        return HelpdeskConnectionError(
            f"could not reach {name} at {said.shown_url} for {where} ({kind}): "
            f"check {said.url_settings} and the network"
        )
    if not replay_safe:
        return WriteOutcomeUnknown(
            f"connection to {name} lost after sending {where} ({kind}); "
            "the change may or may not have been applied"
        )
    return HelpdeskConnectionError(
        f"connection to {name} at {said.shown_url} broke during {where} ({kind})"
    )
