"""One LLM budget shared by every process on the same key: calls and tokens per minute in Redis.

Providers limit an organisation, not a process: a hundred CronJobs on one API key that each pace
themselves alone meet in a 429 storm. With ``TICKETBOT_LLM_BUDGET=redis://host:port/db`` every
LLM call of every ticketbot process (``run``, ``eval``, ``backfill``, ``serve``) first takes its
share from one budget in Redis, through one server-side script, so the check and the taking are
one atomic step whatever the number of processes:

- at most ``rpm`` calls and ``tpm`` tokens (the prompt's estimate plus ``max_tokens``, as the
  provider counts them) in any sliding ``window`` (60 s), the time being Redis's own clock, so
  hosts whose clocks differ still agree;
- at most ``burst`` calls in any second (a tenth of a minute's calls, at least 2), since
  providers often enforce the minute's limit per second: a full minute's budget is never spent
  in one burst, yet one process alone can use all of it;
- a 429 seen by any process holds every process for its ``Retry-After``; an answer's
  ``x-ratelimit-limit-requests`` below ``rpm`` lowers the budget for everyone for ten minutes.

A call that does not fit waits (the wait is not a failure, and the ticket keeps its LLM); only
the run's ``--max-runtime`` ends the wait (``RunOutOfTime``). When Redis cannot be reached the
process paces itself at a conservative share of the budget (``OFFLINE_SHARE``) in a local
window, says so once, and tries Redis again after ``RETRY_REDIS_S``: it never hangs on Redis.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError
from ..resilience.deadline import RunDeadline
from .pacer import parse_rate_limits

log = logging.getLogger(__name__)

WINDOW_S = 60.0
OFFLINE_SHARE = 0.25
RETRY_REDIS_S = 30.0
REDIS_TIMEOUT_S = 1.0
LOWERED_FOR_S = 600.0
_MAX_PAUSE_S = 1.0  # a waiting call looks again at least this often (the deadline, a stop)

# KEYS: calls zset, tokens zset, hold key, lowered-limit key.
# ARGV: rpm, tpm, tokens, member, window ms, burst.
# Returns 0 when the call is taken, else the milliseconds to wait before asking again.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[5])
local hold = tonumber(redis.call('GET', KEYS[3]) or '0')
if hold > now then return hold - now end
local rpm = tonumber(ARGV[1])
local lowered = tonumber(redis.call('GET', KEYS[4]) or '0')
if lowered > 0 and lowered < rpm then rpm = lowered end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local calls = redis.call('ZCARD', KEYS[1])
if calls >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
local burst = tonumber(ARGV[6])
if redis.call('ZCOUNT', KEYS[1], now - 1000, '+inf') >= burst then
  local first = redis.call(
    'ZRANGEBYSCORE', KEYS[1], now - 1000, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  return math.max(1, tonumber(first[2]) + 1000 - now)
end
local tpm = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
if tpm > 0 then
  local used = 0
  for _, entry in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    used = used + tonumber(string.match(entry, ':(%d+)$'))
  end
  if used > 0 and used + tokens > tpm then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
  redis.call('ZADD', KEYS[2], now, ARGV[4] .. ':' .. tokens)
  redis.call('PEXPIRE', KEYS[2], window * 2)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window * 2)
return 0
"""


# KEYS: hold key. ARGV: milliseconds every process holds off (a 429's Retry-After), by Redis's
# clock; a later, shorter hold never shortens a longer one.
_HOLD = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > held then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
"""


def default_key(api_key: str | None, base_url: str | None) -> str:
    """One budget per API key and endpoint (a digest: the key itself never reaches Redis)."""
    digest = hashlib.sha256(f"{base_url or 'openai'}\n{api_key or ''}".encode()).hexdigest()
    return f"ticketbot:llm:{digest[:16]}"


class SharedBudget:
    """The budget one process takes its LLM calls from; thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        key: str,
        rpm: int,
        tpm: int | None = None,
        window: float = WINDOW_S,
        deadline: RunDeadline | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        client: Any = None,
    ) -> None:
        if rpm < 1:
            raise ConfigError("TICKETBOT_LLM_RPM must be at least 1 with TICKETBOT_LLM_BUDGET")
        self.key = key
        self.rpm = rpm
        self.tpm = tpm or 0
        self.window = window
        self.burst = max(2, rpm // 10)
        self.deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._client = client if client is not None else _redis_client(url)
        self._script: Any = self._client.register_script(_TAKE)
        self._hold: Any = self._client.register_script(_HOLD)
        self._lock = threading.Lock()
        self._offline_since: float | None = None
        self._told_offline = False
        self._local: deque[float] = deque()  # the offline share's own window
        self.waits = 0
        self.waited_s = 0.0
        self.offline_calls = 0

    # -- the calls ---------------------------------------------------------------------

    def acquire(self, tokens: int = 0) -> None:
        """Block until this call fits the shared budget (or the offline share)."""
        member = uuid.uuid4().hex
        started = self._clock()
        waited = False
        while True:
            wait = self._take(tokens, member)
            if wait <= 0:
                break
            if self.deadline is not None:
                self.deadline.check("an LLM call waiting for the shared budget")
                wait = self.deadline.cap(wait)
            waited = True
            self._sleep(min(wait, _MAX_PAUSE_S))
        if waited:
            with self._lock:
                self.waits += 1
                self.waited_s += self._clock() - started

    def observe(self, headers: Mapping[str, str] | None, *, retry_after: float | None) -> None:
        """What an answer said: a 429's ``Retry-After`` holds everyone; a lower announced
        request limit lowers the budget for everyone."""
        try:
            if retry_after is not None and retry_after > 0:
                self._hold(keys=[f"{self.key}:hold"], args=[int(retry_after * 1000)])
            limits = parse_rate_limits(headers) if headers is not None else None
            if limits is not None and limits.limit_requests and limits.limit_requests < self.rpm:
                self._client.set(
                    f"{self.key}:lowered", int(limits.limit_requests), px=int(LOWERED_FOR_S * 1000)
                )
        except Exception as exc:  # noqa: BLE001 - Redis being down is the offline path's job
            self._went_offline(exc)

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "llm_budget_waits": self.waits,
                "llm_budget_waited_s": round(self.waited_s, 3),
                "llm_budget_offline_calls": self.offline_calls,
            }

    # -- Redis, or the offline share -------------------------------------------------------

    def _take(self, tokens: int, member: str) -> float:
        if self._offline_since is not None:
            if self._clock() - self._offline_since < RETRY_REDIS_S:
                return self._take_offline()
            self._offline_since = None
        keys = [
            f"{self.key}:calls",
            f"{self.key}:tokens",
            f"{self.key}:hold",
            f"{self.key}:lowered",
        ]
        args = [self.rpm, self.tpm, tokens, member, int(self.window * 1000), self.burst]
        try:
            wait_ms = int(self._script(keys=keys, args=args))
        except Exception as exc:  # noqa: BLE001 - any Redis failure: pace alone, never hang
            self._went_offline(exc)
            return self._take_offline()
        return wait_ms / 1000.0

    def _take_offline(self) -> float:
        share = max(1, int(self.rpm * OFFLINE_SHARE))
        with self._lock:
            now = self._clock()
            while self._local and self._local[0] <= now - self.window:
                self._local.popleft()
            if len(self._local) >= share:
                return self._local[0] + self.window - now
            self._local.append(now)
            self.offline_calls += 1
            return 0.0

    def _went_offline(self, exc: BaseException) -> None:
        with self._lock:
            self._offline_since = self._clock()
            if self._told_offline:
                return
            self._told_offline = True
        log.warning(
            "the shared LLM budget (TICKETBOT_LLM_BUDGET) is unreachable (%s): this process "
            "paces itself at %d%% of TICKETBOT_LLM_RPM until it is back",
            type(exc).__name__,
            int(OFFLINE_SHARE * 100),
        )


def _redis_client(url: str) -> Any:
    try:
        import redis
    except ImportError:
        raise ConfigError(
            "TICKETBOT_LLM_BUDGET needs the Redis client: pip install 'ticketbot[redis]'"
        ) from None
    try:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
            retry_on_timeout=False,
        )
    except ValueError as exc:
        raise ConfigError(f"TICKETBOT_LLM_BUDGET: not a Redis URL ({exc})") from None
