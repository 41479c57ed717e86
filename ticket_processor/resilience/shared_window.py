"""A rate limit shared by every process: at most N takes in any sliding window, kept in Redis.

A limit that belongs to an account, not to a process (an LLM organisation's calls a minute, a
helpdesk account's updates a minute), is only kept when every process takes from one count.
``SharedWindow`` is that count: each ``acquire`` runs one server-side script in Redis, so the
check and the taking are one atomic step whatever the number of processes:

- at most ``limit`` takes (and, when ``tokens_limit`` is set, that many tokens) in any sliding
  ``window``, the time being Redis's own clock, so hosts whose clocks differ still agree; a
  sliding window is never looser than a provider's fixed minute, so staying inside it never
  draws that provider's 429;
- at most ``burst`` takes in any second (a tenth of the window's, at least 2), since providers
  often enforce the minute's limit per second: a full window is never spent in one burst, yet
  one process alone can use all of it;
- ``hold(seconds)`` (a 429's ``Retry-After`` seen by any process) holds every process, for
  at most ``MAX_HOLD_S`` (15 minutes) whatever the server asked, a hold already in Redis
  included; a caller that sets ``wait_out_holds`` is not made to wait out a longer hold:
  ``held(seconds)`` is raised at once (the LLM budget's ticket then goes to the local engines);
  ``lower(limit)`` (a lower limit a provider announced) lowers it for everyone for ten minutes;
- a caller may pass its own, lower ``limit`` to one ``acquire`` (what its latest answer said):
  no window ever holds more than the largest limit any caller asked for.

A take that does not fit waits (the wait is not a failure); only the run's deadline ends it
(``RunOutOfTime``). When Redis cannot be reached the process paces itself at a conservative
share of the limit (``OFFLINE_SHARE``) in a local window, says so once, and tries Redis again
after ``RETRY_REDIS_S``: it never hangs on Redis.

The LLM budget (``llm_client/budget.py``) and the helpdesk's write budget
(``helpdesks/write_budget.py``) are the two key families built on it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import ConfigError
from .deadline import RunDeadline
from .retry_after import MAX_HOLD_S, bounded_hold

log = logging.getLogger(__name__)

WINDOW_S = 60.0
OFFLINE_SHARE = 0.25
RETRY_REDIS_S = 30.0
REDIS_TIMEOUT_S = 1.0
LOWERED_FOR_S = 600.0
_MAX_PAUSE_S = 1.0  # a waiting take looks again at least this often (the deadline, a stop)

# KEYS: takes zset, tokens zset, hold key, lowered-limit key.
# ARGV: limit, tokens limit, tokens, member, window ms, burst, longest hold ms.
# Returns 0 when the take is granted, else the milliseconds to wait before asking again:
# negative while every process is held (a 429's Retry-After), positive while the window is full.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[5])
local hold = tonumber(redis.call('GET', KEYS[3]) or '0')
if hold > now then
  local cap = tonumber(ARGV[7])
  if hold - now > cap then
    -- a hold longer than any ticketbot sets (an older version's, a bad header's): cut it
    hold = now + cap
    redis.call('SET', KEYS[3], hold, 'PX', cap + 1000)
  end
  return -(hold - now)
end
local rpm = tonumber(ARGV[1])
local lowered = tonumber(redis.call('GET', KEYS[4]) or '0')
if lowered > 0 and lowered < rpm then rpm = lowered end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local calls = redis.call('ZCARD', KEYS[1])
if calls >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[1], calls - rpm, calls - rpm, 'WITHSCORES')
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


class SharedWindow:
    """At most ``limit`` takes in any ``window`` across every process on ``key``; thread-safe.

    ``setting`` names the variable that configures the Redis URL and ``name`` the budget
    ("LLM budget"), for the messages; ``what`` what one take is ("an LLM call"), for the
    deadline's.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str,
        limit: int,
        tokens_limit: int | None = None,
        window: float = WINDOW_S,
        deadline: RunDeadline | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        client: Any = None,
        setting: str = "TICKETBOT_LLM_BUDGET",
        name: str = "LLM budget",
        what: str = "a call",
        wait_out_holds: float | None = None,
    ) -> None:
        self.key = key
        self.limit = limit
        self.tokens_limit = tokens_limit or 0
        self.window = window
        self.burst = max(2, limit // 10)
        self.deadline = deadline
        self.setting = setting
        self.name = name
        self.what = what
        self.wait_out_holds = wait_out_holds
        self._clock = clock
        self._sleep = sleep
        self._client = client if client is not None else redis_client(url, setting)
        self._script: Any = self._client.register_script(_TAKE)
        self._hold: Any = self._client.register_script(_HOLD)
        self._lock = threading.Lock()
        self._offline_since: float | None = None
        self._told_offline = False
        self._local: deque[float] = deque()  # the offline share's own window
        self.waits = 0
        self.waited_s = 0.0
        self.offline_takes = 0

    def acquire(self, tokens: int = 0, *, limit: int | None = None) -> None:
        """Block until this take fits the shared window (or the offline share); ``limit``: a
        lower limit for this take (what the caller's latest answer announced)."""
        member = uuid.uuid4().hex
        started = self._clock()
        waited = False
        limit = self.limit if limit is None else max(1, min(limit, self.limit))
        while True:
            wait = self._take(tokens, member, limit)
            if wait == 0:
                break
            if wait < 0:  # every process is held by a 429's Retry-After
                wait = -wait
                if self.wait_out_holds is not None and wait > self.wait_out_holds:
                    self.held(wait)
            if self.deadline is not None:
                self.deadline.check(f"{self.what} waiting for the shared budget")
                wait = self.deadline.cap(wait)
            waited = True
            self._sleep(min(wait, _MAX_PAUSE_S))
        if waited:
            with self._lock:
                self.waits += 1
                self.waited_s += self._clock() - started

    def held(self, seconds: float) -> None:
        """A take met a hold longer than ``wait_out_holds``: raise what the caller's engine
        reads as "not now". The base has no such caller; ``SharedBudget`` raises its own."""
        raise RuntimeError(f"{self.name} held for {seconds:.0f} s")

    def hold(self, seconds: float) -> None:
        """Every process waits ``seconds`` (a 429's ``Retry-After``, at most ``MAX_HOLD_S``)
        before its next take."""
        bounded = bounded_hold(seconds) or 0.0
        if bounded <= 0:
            return
        try:
            self._hold(keys=[f"{self.key}:hold"], args=[int(bounded * 1000)])
        except Exception as exc:  # noqa: BLE001 - Redis being down is the offline path's job
            self._went_offline(exc)

    def lower(self, limit: int) -> None:
        """A lower limit the provider announced: every process keeps to it for ten minutes."""
        if limit >= self.limit or limit < 1:
            return
        try:
            self._client.set(f"{self.key}:lowered", int(limit), px=int(LOWERED_FOR_S * 1000))
        except Exception as exc:  # noqa: BLE001 - Redis being down is the offline path's job
            self._went_offline(exc)

    # -- Redis, or the offline share -------------------------------------------------------

    def _take(self, tokens: int, member: str, limit: int) -> float:
        if self._offline_since is not None:
            if self._clock() - self._offline_since < RETRY_REDIS_S:
                return self._take_offline(limit)
            self._offline_since = None
        keys = [
            f"{self.key}:calls",
            f"{self.key}:tokens",
            f"{self.key}:hold",
            f"{self.key}:lowered",
        ]
        burst = max(2, limit // 10)
        args = [
            limit,
            self.tokens_limit,
            tokens,
            member,
            int(self.window * 1000),
            burst,
            int(MAX_HOLD_S * 1000),
        ]
        try:
            wait_ms = int(self._script(keys=keys, args=args))
        except Exception as exc:  # noqa: BLE001 - any Redis failure: pace alone, never hang
            self._went_offline(exc)
            return self._take_offline(limit)
        return wait_ms / 1000.0

    def _take_offline(self, limit: int) -> float:
        share = max(1, int(limit * OFFLINE_SHARE))
        with self._lock:
            now = self._clock()
            while self._local and self._local[0] <= now - self.window:
                self._local.popleft()
            if len(self._local) >= share:
                return self._local[-share] + self.window - now
            self._local.append(now)
            self.offline_takes += 1
            return 0.0

    def _went_offline(self, exc: BaseException) -> None:
        with self._lock:
            self._offline_since = self._clock()
            if self._told_offline:
                return
            self._told_offline = True
        log.warning(
            "the shared %s (%s) is unreachable (%s): this process paces itself at "
            "%d%% of its limit until it is back",
            self.name,
            self.setting,
            type(exc).__name__,
            int(OFFLINE_SHARE * 100),
            extra={OFFLINE_MARK: (self.setting, type(exc).__name__)},
        )


# The attribute a budget's "unreachable" record carries, for ``offline_notices``.
OFFLINE_MARK = "shared_budget_offline"


class _OfflineHandler(logging.Handler):
    def __init__(self, tell: Callable[[str, str], None]) -> None:
        super().__init__(level=logging.WARNING)
        self._tell = tell

    def emit(self, record: logging.LogRecord) -> None:
        found = getattr(record, OFFLINE_MARK, None)
        if isinstance(found, tuple):
            self._tell(*found)


@contextmanager
def offline_notices(tell: Callable[[str, str], None]) -> Iterator[None]:
    """While inside, every shared budget that finds its Redis unreachable tells ``tell`` (its
    setting, the error's type) as well as the log: a run says it in its own log and on stderr,
    since a budget
    that quietly went local looks like a green run (under cron the warning alone is in a log
    nobody reads)."""
    handler = _OfflineHandler(tell)
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)


def redis_client(url: str, setting: str = "TICKETBOT_LLM_BUDGET") -> Any:
    """A redis-py client with short timeouts (a budget must never hang a run on Redis)."""
    try:
        import redis
    except ImportError:
        raise ConfigError(
            f"{setting} needs the Redis client: pip install 'ticketbot[redis]'"
        ) from None
    try:
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_timeout=REDIS_TIMEOUT_S,
            retry_on_timeout=False,
        )
    except ValueError as exc:
        raise ConfigError(f"{setting}: not a Redis URL ({exc})") from None
