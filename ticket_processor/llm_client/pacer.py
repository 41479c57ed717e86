"""Pacing LLM calls from the provider's rate-limit headers, before the first 429.

OpenAI, Azure, vLLM behind LiteLLM and most proxies announce their limits on every answer::

    x-ratelimit-limit-requests: 5000        x-ratelimit-limit-tokens: 2000000
    x-ratelimit-remaining-requests: 4999    x-ratelimit-remaining-tokens: 1999400
    x-ratelimit-reset-requests: 12ms        x-ratelimit-reset-tokens: 6m0s

``LLMPacer`` keeps two budgets (requests, tokens), each "what is left until it resets". A call
spends its share before it is sent (so concurrent callers see the lower budget at once, before
any answer tells the truth); an answer's headers can only lower what we believe is left,
except after the reset time, when the budget is full again. A call that does not fit waits for
the reset. Until the first answer arrives one call goes alone: it tells us the limits, and a
burst of 256 calls at a 60-a-minute endpoint would otherwise be 196 429s.

The concurrency follows Little's law: calls in flight = rate x latency. From the announced
limits and the measured latency the pacer caps the calls in flight at what the rate can
sustain (plus a margin), never above ``maximum`` (the worker threads), so ``--workers auto``
can start many threads and let the endpoint decide. ``bound`` says which limit binds.
Clock and sleep are injected; the default waits on a condition, woken by answers. With the
run's ``stop`` a waiting call ends within a second of a stop (``StopRequested``: the ticket is
left to the next run, not failed).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..resilience.stopping import StopFlag

Bound = Literal["llm_rate", "llm_latency", "helpdesk_writes"]

# Calls in flight above what the rate sustains at the measured latency: latency varies, and a
# few spare calls keep the rate busy while an answer is late.
LITTLE_MARGIN = 1.2
# Headers round their reset times (``12ms``, ``6m0s``) and clocks differ: go a little later.
RESET_SLACK = 0.05
_LATENCY_WEIGHT = 0.2  # EWMA weight of the newest call's latency
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(text: str | None) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"12ms"``, ``"1h2m3.5s"`` or plain seconds -> seconds."""
    if not text:
        return None
    text = text.strip().lower()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text.replace(" ", ""):
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(amount) * scale[unit] for amount, unit in parts)


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RateLimits:
    """One answer's announcement; any field may be missing."""

    limit_requests: int | None = None
    remaining_requests: int | None = None
    reset_requests: float | None = None
    limit_tokens: int | None = None
    remaining_tokens: int | None = None
    reset_tokens: float | None = None


def parse_rate_limits(headers: Mapping[str, str]) -> RateLimits | None:
    """The ``x-ratelimit-*`` headers of an answer (case-insensitive mapping), or None."""
    limits = RateLimits(
        limit_requests=_int(headers, "x-ratelimit-limit-requests"),
        remaining_requests=_int(headers, "x-ratelimit-remaining-requests"),
        reset_requests=parse_duration(headers.get("x-ratelimit-reset-requests")),
        limit_tokens=_int(headers, "x-ratelimit-limit-tokens"),
        remaining_tokens=_int(headers, "x-ratelimit-remaining-tokens"),
        reset_tokens=parse_duration(headers.get("x-ratelimit-reset-tokens")),
    )
    return None if limits == RateLimits() else limits


def auto_concurrency(
    calls_per_minute: float | None, latency_s: float | None, maximum: int
) -> tuple[int, Bound]:
    """Little's law: the calls in flight that keep ``calls_per_minute`` busy at ``latency_s``.

    Returns the concurrency (1..maximum) and what binds it: ``llm_rate`` when the rate allows
    fewer than ``maximum`` calls in flight, else ``llm_latency`` (the threads, each waiting one
    latency per call, are the limit).
    """
    if calls_per_minute is None or latency_s is None or latency_s <= 0:
        return maximum, "llm_latency"
    needed = math.ceil(calls_per_minute / 60.0 * latency_s * LITTLE_MARGIN) + 1
    if needed < maximum:
        return max(1, needed), "llm_rate"
    return maximum, "llm_latency"


def run_bound(
    *,
    workers: int,
    latency_s: float | None,
    llm_calls_per_minute: float | None,
    helpdesk_writes_per_minute: float | None,
) -> tuple[Bound | None, float | None]:
    """What bounds a run's tickets a minute, and that bound; ``(None, None)``: nothing binds.

    ``llm_latency``: the workers, each waiting one LLM latency per ticket; ``llm_rate``: the
    endpoint's announced calls a minute; ``helpdesk_writes``: the tickets a minute the
    helpdesk's write limits let through (e.g. Zendesk's 100 update jobs of 100 tickets).
    The caller passes only the limits the run met: a run that made no LLM call has no latency,
    one that wrote nothing no write limit, and a limit never met held nothing back.
    """
    bounds: list[tuple[float, Bound]] = []
    if latency_s is not None and latency_s > 0:
        bounds.append((workers * 60.0 / latency_s, "llm_latency"))
    if llm_calls_per_minute is not None:
        bounds.append((float(llm_calls_per_minute), "llm_rate"))
    if helpdesk_writes_per_minute is not None:
        bounds.append((float(helpdesk_writes_per_minute), "helpdesk_writes"))
    if not bounds:
        return None, None
    value, name = min(bounds)
    return name, round(value, 1)


class _Budget:
    """One limit (requests or tokens): what is left, and when it is full again.

    ``spent`` counts everything we ever charged; a call's ``mark`` is ``spent`` right after its
    own charge. An answer's ``remaining`` counts that call and everything before it, not the
    calls sent after it, so our estimate is ``remaining - (spent - mark)``. The answer to the
    most recent call is the truth (also when the budget went up: it refills); older answers
    can only lower the estimate. After ``reset_at`` (the latest reset any answer announced) the
    limit is full again, less what was charged after the answers seen so far.
    """

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: float | None = None
        self.reset_at = 0.0
        self.spent = 0.0
        self._mark = -1.0
        self._reset_mark = 0.0

    def spend(self, cost: float) -> float:
        self.spent += cost
        if self.remaining is not None:
            self.remaining -= cost
        return self.spent

    def observe(
        self,
        limit: int | None,
        remaining: int | None,
        reset: float | None,
        now: float,
        mark: float,
        unconfirmed: float = 0.0,
    ) -> None:
        """``unconfirmed``: the charge of the calls in flight when this one was sent."""
        if limit is not None and limit > 0:
            self.limit = limit
        if remaining is None:
            return
        estimate = remaining - (self.spent - mark) - unconfirmed
        if mark >= self._mark or self.remaining is None:
            self.remaining = estimate
            self._mark = mark
        else:
            self.remaining = min(self.remaining, estimate)
        # The latest reset any answer announced: a call that reached the server after the
        # most recent one (they overtake each other) is counted until then.
        announced = now + (reset if reset is not None else 60.0) + RESET_SLACK
        self.reset_at = max(self.reset_at, announced)
        self._reset_mark = max(self._reset_mark, mark)

    def wait(self, cost: float, now: float) -> float | None:
        """0: ``cost`` fits now; seconds until the reset; None: only an answer can tell."""
        if self.remaining is None or self.remaining >= cost:
            return 0.0
        if self.limit is not None and cost > self.limit:
            return 0.0  # larger than the whole limit: it never fits, let the server say so
        if now < self.reset_at:
            return max(self.reset_at - now, 0.001)
        if self.limit is not None:
            self.remaining = max(self.remaining, self.limit - (self.spent - self._reset_mark))
            if self.remaining >= cost:
                return 0.0
        return None


@dataclass(frozen=True)
class Permit:
    """One call let through: when, the tokens it was charged, and its marks in the budgets."""

    started: float
    tokens: int
    request_mark: float = 0.0
    token_mark: float = 0.0
    # Calls (and their tokens) in flight when this one was sent: they may reach the server
    # after it, so its answer's ``remaining`` may not count them yet.
    overlap: int = 0
    overlap_tokens: int = 0


@dataclass(frozen=True)
class PacerStats:
    limit_requests: int | None
    limit_tokens: int | None
    latency_s: float | None
    concurrency: int
    bound: Bound
    max_in_flight: int
    waits: int
    waited_s: float

    def as_fields(self) -> dict[str, object]:
        """The numbers for the run summary / ``run_finished`` event. ``llm_bound`` is None
        while no call was answered: no limit of the LLM's held anything back."""
        latency = round(self.latency_s, 3) if self.latency_s is not None else None
        return {
            "llm_concurrency": self.concurrency,
            "llm_bound": self.bound if latency is not None else None,
            "llm_latency_s": latency,
            "llm_limit_requests": self.limit_requests,
            "llm_limit_tokens": self.limit_tokens,
            "llm_max_in_flight": self.max_in_flight,
            "llm_pacer_waits": self.waits,
            "llm_pacer_waited_s": self.waited_s,
        }


class LLMPacer:
    """Thread-safe pacing of LLM calls.

    ``permit = pacer.acquire(tokens)``, make the call, ``pacer.release(permit, headers)`` with
    the answer's headers (an error's too; None when no answer came).
    """

    def __init__(
        self,
        maximum: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        probe_first: bool = True,
        stop: StopFlag | None = None,
    ) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self._clock = clock
        self._sleep = sleep
        self._stop = stop
        self._cond = threading.Condition()
        self._requests = _Budget()
        self._tokens = _Budget()
        self._announced: bool | None = None if probe_first else False
        self._in_flight = 0
        self._open: set[Permit] = set()  # calls sent and not yet answered
        self._open_tokens = 0  # their tokens, kept as they come and go (not summed a call)
        self._max_in_flight = 0
        self._latency: float | None = None
        self._tokens_per_call: float | None = None
        self._waits = 0
        self._waited = 0.0

    # -- the calls ---------------------------------------------------------------------

    def acquire(self, tokens: int = 0) -> Permit:
        """Block until a call charged ``tokens`` fits the limits and the concurrency."""
        with self._cond:
            waited = False
            while True:
                now = self._clock()
                wait = self._wait_time(tokens, now)
                if wait == 0.0:
                    break
                if not waited:
                    self._waits += 1
                    waited = True
                self._pause(wait)
                self._waited += max(0.0, self._clock() - now)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            permit = Permit(
                started=now,
                tokens=tokens,
                overlap=len(self._open),
                overlap_tokens=self._open_tokens,
                request_mark=self._requests.spend(1),
                token_mark=self._tokens.spend(tokens),
            )
            if permit not in self._open:  # an equal permit (a test's fixed clock) is one
                self._open.add(permit)
                self._open_tokens += tokens
            return permit

    def release(self, permit: Permit, headers: Mapping[str, str] | None = None) -> None:
        """The call ended (answered, failed or throttled); ``headers`` are its answer's."""
        with self._cond:
            now = self._clock()
            self._in_flight = max(0, self._in_flight - 1)
            if permit in self._open:
                self._open.remove(permit)
                self._open_tokens -= permit.tokens
            limits = parse_rate_limits(headers) if headers is not None else None
            if limits is not None:
                self._announced = True
                self._requests.observe(
                    limits.limit_requests,
                    limits.remaining_requests,
                    limits.reset_requests,
                    now,
                    permit.request_mark,
                    unconfirmed=permit.overlap,
                )
                self._tokens.observe(
                    limits.limit_tokens,
                    limits.remaining_tokens,
                    limits.reset_tokens,
                    now,
                    permit.token_mark,
                    unconfirmed=permit.overlap_tokens,
                )
            elif self._announced is None:
                # An answer without limits: nothing to pace by. No answer at all (refused, cut
                # at the deadline): probing one call at a time would only make a dead endpoint
                # cost its timeout per call until the breaker opens.
                self._announced = False
            if headers is not None:
                took = max(0.0, now - permit.started)
                self._latency = _ewma(self._latency, took)
                self._tokens_per_call = _ewma(self._tokens_per_call, float(permit.tokens))
            self._cond.notify_all()

    # -- what binds --------------------------------------------------------------------

    def calls_per_minute(self) -> float | None:
        """The call rate the announced limits allow (None: nothing announced)."""
        with self._cond:
            return self._rate()

    def concurrency(self) -> tuple[int, Bound]:
        with self._cond:
            return auto_concurrency(self._rate(), self._latency, self.maximum)

    def stats(self) -> PacerStats:
        with self._cond:
            concurrency, bound = auto_concurrency(self._rate(), self._latency, self.maximum)
            return PacerStats(
                limit_requests=self._requests.limit,
                limit_tokens=self._tokens.limit,
                latency_s=self._latency,
                concurrency=concurrency,
                bound=bound,
                max_in_flight=self._max_in_flight,
                waits=self._waits,
                waited_s=round(self._waited, 3),
            )

    # -- inside the lock ---------------------------------------------------------------

    def _rate(self) -> float | None:
        rates = []
        if self._requests.limit is not None:
            rates.append(float(self._requests.limit))
        if self._tokens.limit is not None and self._tokens_per_call:
            rates.append(self._tokens.limit / self._tokens_per_call)
        return min(rates) if rates else None

    def _wait_time(self, tokens: int, now: float) -> float:
        """0: go now; inf: wait for an answer; else seconds until a budget resets."""
        if self._announced is None and self._in_flight >= 1:
            return math.inf  # the first call is out, its answer will tell the limits
        concurrency, _ = auto_concurrency(self._rate(), self._latency, self.maximum)
        if self._in_flight >= concurrency:
            return math.inf
        waits = [self._requests.wait(1, now), self._tokens.wait(tokens, now)]
        if None in waits:
            # Only an answer can tell; with none to come, one call goes to ask.
            return math.inf if self._in_flight > 0 else 0.0
        return max(w for w in waits if w is not None)

    def _pause(self, seconds: float) -> None:
        if self._stop is not None:
            self._stop.check("an LLM call waiting for the rate limit")
        if self._sleep is None or math.isinf(seconds):
            # Woken by a release; the timeout re-checks budgets whose reset time passed.
            self._cond.wait(timeout=min(seconds, 1.0))
            return
        self._cond.release()
        try:
            self._sleep(seconds)
        finally:
            self._cond.acquire()


def _ewma(previous: float | None, value: float) -> float:
    return value if previous is None else previous + _LATENCY_WEIGHT * (value - previous)
