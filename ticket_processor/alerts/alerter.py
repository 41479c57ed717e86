"""Alerts to an optional webhook (``TICKETBOT_ALERT_WEBHOOK``, Slack-compatible ``{"text": ...}``).

Every alert's text is escaped as Slack asks (``&``, ``<``, ``>``): much of it comes from tickets
(an incident's title is customers' subjects), and a subject must not page a channel
(``<!channel>``) or hide a link; only the escalation list posts markup, its own, with each
ticket's text escaped.

The conditions: a run aborted, a circuit breaker opened, the LLM failing, the success rate fell
below the objective, a routed group gone from the helpdesk, and a fields-file entry the helpdesk
no longer matches. Each condition alerts at most once an hour, except a missing group or a stale
field, which alerts once until it resolves again (a deleted group stays deleted: an hourly
reminder would only be noise); the time of the last alert
is kept in the state directory (``alerts.json``) so the limit holds across cron runs, which are
separate processes ten minutes apart. An alert is a courtesy, never a reason to fail: a webhook
that refuses, times out or answers 500 is logged and reported in the returned ``AlertOutcome``,
never raised. The webhook URL is a secret (Slack's carries its token), so no message here ever
contains it.

Each post is bounded (``resilience.bounds``): ``timeout`` for the whole call, answer included
(a webhook that sends its headers and then a byte every few seconds must not keep the run and
its lock alive), at most ``max_bytes`` of answer, and no redirect followed (it would carry the
alert's text to another host); each of these is a failed alert, never a hang.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import requests
import urllib3.exceptions

from ..common.eventlog import EventSink
from ..common.scrub import Scrubber
from ..errors import AnswerTooLarge, DeadlinePassed
from ..models import engines_named
from ..resilience.bounds import (
    WEBHOOK_MAX_BYTES,
    BoundedAdapter,
    read_within,
    redirect_host,
    send_within,
    size_text,
)
from ..state.ledger import RunLedger

ALERTS_FILE = "alerts.json"
# One alert per condition per hour: enough to wake someone, not enough to flood a channel.
QUIET_SECONDS = 3600.0
MIN_TICKETS_FOR_RATE = 20
# The prefix of the missing-group conditions in ``alerts.json``: one per route and group.
GROUP_MISSING = "group_missing:"
# Likewise one per fields-file entry the helpdesk no longer matches.
FIELD_STALE = "field_stale:"

log = logging.getLogger(__name__)

Outcome = Literal["sent", "failed", "suppressed", "disabled", "not_needed"]


def slack_escape(text: str) -> str:
    """``text`` as Slack shows it literally: its three escapes (``&``, ``<``, ``>``), so a
    customer's subject cannot mention ``<!channel>`` or hide a link as ``<url|Sign in>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class AlertOutcome:
    """What became of an alert; ``detail`` says why it failed or was held back."""

    condition: str
    outcome: Outcome
    detail: str = ""

    @property
    def sent(self) -> bool:
        return self.outcome == "sent"


class Alerter:
    """Posts alerts to the webhook, at most one per condition per ``QUIET_SECONDS``.

    Thread-safe: ``breaker_opened`` may be called from worker threads (the breakers'
    ``on_open`` hook). ``clock`` is wall-clock seconds because the limit crosses processes.
    """

    def __init__(
        self,
        webhook_url: str | None,
        *,
        state: RunLedger,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
        max_bytes: int = WEBHOOK_MAX_BYTES,
        secrets: tuple[str, ...] = (),
        source: str | None = None,
    ) -> None:
        self._url = webhook_url or None
        self._state = state
        self._clock = clock
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._scrubber = Scrubber((*secrets, webhook_url or ""))
        self._source = source if source is not None else socket.gethostname()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._url is not None

    # -- the conditions ------------------------------------------------------------------

    def run_aborted(self, reason: str) -> AlertOutcome:
        return self._alert("run_aborted", f"run aborted: {reason}")

    def breaker_opened(self, dependency: str, *, taken_over_by: str | None = None) -> AlertOutcome:
        """``taken_over_by``: the engine that triages the LLM's tickets meanwhile (the chain's
        next, ``learned`` or ``rules``), named as the run's fallback warning names it."""
        # Breakers are named by dependency: "llm", or the helpdesk's kind ("zendesk", ...).
        what = f"the {dependency}" if dependency == "llm" else "the helpdesk"
        engine = engines_named({taken_over_by or "rules": 1})
        consequence = (
            f"tickets are triaged by {engine} until it recovers"
            if dependency == "llm"
            else "runs stop early and resume when it recovers"
        )
        return self._alert(
            f"breaker_opened:{dependency}",
            f"circuit breaker for {what} opened after repeated failures; {consequence}",
        )

    def after_run(
        self,
        *,
        status: str,
        reason: str | None,
        recent_rate: tuple[float | None, int],
        objective: float,
        llm_failures: dict[str, int] | None = None,
        taken_over_by: dict[str, int] | None = None,
    ) -> list[AlertOutcome]:
        """The alerts a finished run calls for: aborted, the LLM failing (its tickets fell back
        to a local engine), and the recent success rate.

        ``taken_over_by``: the engines that triaged the LLM's tickets, and how many each.
        ``recent_rate`` is the success rate of the last hours' runs, this run included, and the
        tickets it counts (``report.runs.recent_success_rate``).
        Breakers alert on their own, through ``breaker_opened`` as the breakers' ``on_open``.
        """
        outcomes = []
        if status == "aborted":
            outcomes.append(self.run_aborted(reason or "no reason given"))
        failing = {k: v for k, v in (llm_failures or {}).items() if "no LLM configured" not in k}
        if failing:
            told = ", ".join(f"{k} ×{v}" for k, v in sorted(failing.items()))
            outcomes.append(
                self._alert(
                    "llm_failing",
                    f"the LLM did not answer for {sum(failing.values())} ticket(s) in the last "
                    f"run ({told}); they were triaged by "
                    f"{engines_named(taken_over_by or {}) if taken_over_by else 'a local engine'}. "
                    "Check OPENAI_BASE_URL and `ticketbot health`",
                )
            )
        rate, attempts = recent_rate
        # A handful of tickets says little: one failure in five is not an incident.
        if rate is not None and attempts >= MIN_TICKETS_FOR_RATE:
            outcomes.append(self.success_rate_low(rate, objective))
        return outcomes

    def success_rate_low(self, rate: float, objective: float) -> AlertOutcome:
        if rate >= objective:
            return AlertOutcome("success_rate_low", "not_needed")
        return self._alert(
            "success_rate_low",
            f"success rate {rate:.1%} is below the objective of {objective:.1%}; "
            "see `ticketbot report --since 24h` for the failures",
        )

    def escalations(self, message: str) -> AlertOutcome:
        """A run's escalated tickets: posted every time, never held back by the hourly limit
        (each run's list is news); the caller posts at most once per run. ``message`` is
        Slack markup already (``escalation_message``: its links, every ticket's text escaped)."""
        if self._url is None:
            return AlertOutcome("escalated", "disabled")
        source = slack_escape(self._source)
        failure = self._post(f"ticketbot@{source}: {self._scrub(message)}")
        if failure is not None:
            log.warning("escalation alert not delivered: %s", failure)
            return AlertOutcome("escalated", "failed", failure)
        return AlertOutcome("escalated", "sent")

    def rising(self, key: str, message: str) -> AlertOutcome:
        """A category (``key``) far above its own baseline today; the caller asks once a day."""
        return self._alert(
            f"rising:{key}",
            f"category rising: {message}; see `ticketbot report` for its trend",
        )

    def answers_demoted(self, category: str, message: str) -> AlertOutcome:
        """An ``auto`` category moved back to draft (its answers are re-opened too often)."""
        return self._alert(f"answers_demoted:{category}", message)

    def incident(self, key: str, message: str) -> AlertOutcome:
        """An incident found (``key``: its group ticket and size), or grown past the stated
        factor (a new key): once per key, never repeated hourly."""
        return self._alert(f"incident:{key}", message, until_cleared=True)

    def group_missing(self, route: str, group: str, message: str) -> AlertOutcome:
        """A route's group is not in the helpdesk: alerted once, not again until
        ``groups_missing_now`` has seen it resolve (the memory is in ``alerts.json``)."""
        return self._alert(f"{GROUP_MISSING}{route}: {group}", message, until_cleared=True)

    def groups_missing_now(self, missing: Iterable[tuple[str, str]]) -> None:
        """Forget the missing-group alerts of groups that resolve again (``(route, group)``
        pairs are the ones still missing), so a later loss alerts anew."""
        self._forget(
            GROUP_MISSING, {f"{GROUP_MISSING}{route}: {group}" for route, group in missing}
        )

    def field_stale(self, name: str, message: str) -> AlertOutcome:
        """A fields-file entry the helpdesk no longer matches: alerted once, not again until
        ``fields_stale_now`` has seen it resolve."""
        return self._alert(f"{FIELD_STALE}{name}", message, until_cleared=True)

    def fields_stale_now(self, names: Iterable[str]) -> None:
        """Forget the stale-field alerts of entries that resolve again."""
        self._forget(FIELD_STALE, {f"{FIELD_STALE}{name}" for name in names})

    def _forget(self, prefix: str, still: set[str]) -> None:
        with self._lock:
            sent = self._state.alerts_sent()
            kept = {k: v for k, v in sent.items() if not k.startswith(prefix) or k in still}
            if kept == sent:
                return
            try:
                self._state.save_alerts_sent(kept)
            except OSError as exc:
                log.warning("could not update the alert memory: %s", exc.strerror or exc)

    # -- delivery ------------------------------------------------------------------------

    def _alert(self, condition: str, message: str, *, until_cleared: bool = False) -> AlertOutcome:
        if self._url is None:
            return AlertOutcome(condition, "disabled")
        with self._lock:
            now = self._clock()
            sent = self._state.alerts_sent()
            last = sent.get(condition)
            if until_cleared and isinstance(last, int | float):
                return AlertOutcome(condition, "suppressed", "already alerted; not until resolved")
            if isinstance(last, int | float) and 0 <= now - last < QUIET_SECONDS:
                minutes = int((QUIET_SECONDS - (now - last)) // 60) + 1
                return AlertOutcome(condition, "suppressed", f"next one possible in {minutes} min")
            text = slack_escape(f"ticketbot@{self._source}: {self._scrub(message)}")
            failure = self._post(text)
            if failure is not None:
                # Not remembered: the next run tries again rather than staying silent an hour.
                log.warning("alert %s not delivered: %s", condition, failure)
                return AlertOutcome(condition, "failed", failure)
            sent[condition] = now
            try:
                self._state.save_alerts_sent(sent)
            except OSError as exc:
                log.warning("could not remember alert %s: %s", condition, exc.strerror or exc)
            return AlertOutcome(condition, "sent")

    def _post(self, text: str) -> str | None:
        """Post ``text``; None on success, else why it failed (never the URL)."""
        assert self._url is not None
        started = time.monotonic()
        timeout = self._timeout
        try:
            with requests.Session() as session:
                session.mount("http://", BoundedAdapter(max_retries=0))
                session.mount("https://", BoundedAdapter(max_retries=0))
                response = send_within(
                    lambda: session.post(
                        self._url or "",
                        json={"text": text},
                        timeout=(min(5.0, timeout), timeout),
                        stream=True,
                        allow_redirects=False,
                    ),
                    started + timeout,
                )
                try:
                    read_within(response, started + timeout, timeout, cap=self._max_bytes)
                finally:
                    response.close()
        except (requests.Timeout, DeadlinePassed):
            return f"webhook gave no complete answer within {timeout:g} s"
        except AnswerTooLarge:
            return (
                f"webhook answer is larger than {size_text(self._max_bytes)}; reading stopped "
                "(TICKETBOT_WEBHOOK_MAX_BYTES raises the cap)"
            )
        except requests.ConnectionError:
            return "webhook unreachable (connection refused or reset)"
        except requests.RequestException as exc:
            # The exception's text carries the URL, hence only its type.
            return f"webhook request failed ({type(exc).__name__})"
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # The answer is read below requests (read_within), whose errors it does not wrap.
            return f"webhook answer broke off or does not decode ({type(exc).__name__})"
        if 300 <= response.status_code < 400:
            target = redirect_host(response.headers.get("Location"))
            return (
                f"webhook answered with a redirect ({response.status_code}) to {target}, "
                "not followed: set TICKETBOT_ALERT_WEBHOOK to the address it should post to"
            )
        if not 200 <= response.status_code < 300:
            return f"webhook answered HTTP {response.status_code}"
        return None

    def _scrub(self, text: str) -> str:
        return self._scrubber.text(text)


def log_alert(log: EventSink, outcome: AlertOutcome) -> None:
    """An alert sent or failed, in the run's log (one suppressed or not needed is not news)."""
    if outcome.outcome in ("sent", "failed"):
        log.emit(
            "alert", condition=outcome.condition, outcome=outcome.outcome, detail=outcome.detail
        )
