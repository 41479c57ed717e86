"""The LLM stand-in's rate limits and prompt cache, as OpenAI-style providers do them.

``RateWindow``: requests and tokens per window (a minute unless a test shortens it), counted
when a request arrives; over either limit the request is answered 429 with ``Retry-After``.
With ``announce`` every answer carries ``x-ratelimit-limit-requests`` / ``-remaining-requests``
/ ``-reset-requests`` and the same for tokens, with resets written as OpenAI does (``1s``,
``6m0s``, ``250ms``). A request is charged its prompt (characters / 4) plus its ``max_tokens``,
as OpenAI estimates before it has answered.

``PromptCache``: a request whose fixed part (everything before its last message, plus the
response format) was seen before is answered with ``prompt_tokens_details.cached_tokens``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from typing import Any


def duration_text(seconds: float) -> str:
    """Seconds as OpenAI writes a reset: ``250ms``, ``12s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms"  # up: never earlier than true
    minutes, rest = divmod(int(-(-seconds // 1)), 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def prompt_tokens(body: dict[str, Any]) -> int:
    chars = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
    return chars // 4 + 1


def charged_tokens(body: dict[str, Any]) -> int:
    limit = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    return prompt_tokens(body) + (int(limit) if isinstance(limit, int) else 0)


class RateWindow:
    """Requests and tokens in a sliding window; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: deque[tuple[float, int]] = deque()

    def admit(
        self,
        *,
        rpm: int | None,
        tpm: int | None,
        window: float,
        tokens: int,
        announce: bool,
    ) -> tuple[float | None, dict[str, str]]:
        """(seconds to wait when over a limit else None, the rate-limit headers to send)."""
        now = time.monotonic()
        with self._lock:
            while self._sent and now - self._sent[0][0] >= window:
                self._sent.popleft()
            used_requests = len(self._sent)
            used_tokens = sum(cost for _, cost in self._sent)
            over = (rpm is not None and used_requests + 1 > rpm) or (
                tpm is not None and used_tokens + tokens > tpm
            )
            wait = None
            if over:
                wait = max(0.001, window - (now - self._sent[0][0])) if self._sent else window
            else:
                self._sent.append((now, tokens))
                used_requests += 1
                used_tokens += tokens
            # Full again once the newest counted request has left the window.
            reset = window - (now - self._sent[-1][0]) if self._sent else 0.0
        if not announce:
            return wait, {}
        headers: dict[str, str] = {}
        if rpm is not None:
            headers["x-ratelimit-limit-requests"] = str(rpm)
            headers["x-ratelimit-remaining-requests"] = str(max(0, rpm - used_requests))
            headers["x-ratelimit-reset-requests"] = duration_text(reset)
        if tpm is not None:
            headers["x-ratelimit-limit-tokens"] = str(tpm)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, tpm - used_tokens))
            headers["x-ratelimit-reset-tokens"] = duration_text(reset)
        return wait, headers


class PromptCache:
    """Which request prefixes were seen; thread-safe, bounded."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, None] = {}
        self.capacity = capacity

    def cached_tokens(self, body: dict[str, Any], *, minimum: int) -> int:
        """The prefix's tokens if it was seen before (and is at least ``minimum``), else 0."""
        messages = list(body.get("messages") or [])
        prefix = messages[:-1]
        chars = sum(len(str(m.get("content", ""))) for m in prefix)
        if not prefix or chars // 4 < max(1, minimum):
            return 0
        key = hashlib.sha256(
            json.dumps(
                [body.get("model"), body.get("response_format"), prefix], sort_keys=True
            ).encode()
        ).hexdigest()
        with self._lock:
            seen = key in self._seen
            if not seen:
                if len(self._seen) >= self.capacity:
                    self._seen.pop(next(iter(self._seen)))
                self._seen[key] = None
        return chars // 4 if seen else 0
