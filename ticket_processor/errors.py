"""The one error tree of ticketbot: its root and the errors more than one part raises.

Four errors of the tree belong to one part and are defined there, under a class of this
module: ``audit/writer.AuditStoreError`` and ``state/claims.ClaimTimeout`` (``TicketBotError``),
``helpdesks/webhook_setup.SetupNotPossible`` (``TicketBotError``) and
``alerts/delivery.ChannelBusy`` (``RetryableError``, a channel asking to be tried later).
``audit/damage.AuditStoreDamaged`` is an ``AuditStoreError`` (exit code 2: the embedded store's
file damaged).

Every failure that crosses a module boundary is one of these; transport errors from
requests and openai are translated at the client boundary (``raise ... from exc``), so
nothing above the helpdesk adapters (``helpdesks/``) or the LLM client (``llm_client/``,
``llm.py``) ever sees a library type.

    TicketBotError
    ├── ConfigError                      bad or missing setting (exit 2)
    │   └── ModelFileError               the learned model file is missing, damaged or not ours
    ├── RetryableError                   worth another try; carries ``retry_after``
    │   └── RateLimitedError             a 429: up, but asking us to slow down
    ├── HelpdeskError(status_code, request_id)
    │   ├── AuthError                    401 / 403 (exit 1)
    │   │   └── IncrementalExportForbidden   Zendesk's export needs an admin (Search instead)
    │   ├── NotFoundError                404
    │   ├── CursorRejectedError          the saved cursor is refused (discarded, start again)
    │   ├── RecordInvalidError           422, with Zendesk's ``details``
    │   │   └── StartTimeTooRecent       a time-based export asked for under a minute ago
    │   ├── ConflictError                409 stale ``updated_stamp`` (also retryable)
    │   ├── HelpdeskRateLimited          429 (also RateLimitedError)
    │   ├── HelpdeskServerError          5xx (also retryable)
    │   ├── HelpdeskConnectionError      refused, reset, timed out (also retryable)
    │   ├── WriteOutcomeUnknown          a write sent, its answer lost: never replayed blindly
    │   └── JobTimeoutError              a Zendesk job still running when the wait ends
    ├── LLMError
    │   ├── LLMRateLimited               429 (also RateLimitedError)
    │   │   └── LLMConnectionReset       reset as it opened, while other calls answer:
    │   │                                back-pressure (fewer calls in flight), not an outage
    │   ├── LLMServerError               5xx (also retryable)
    │   ├── LLMConnectionError           refused, reset, timed out (also retryable)
    │   ├── LLMAuthError                 401 / 403
    │   ├── LLMResponseError             answer is not a valid analysis
    │   │   ├── LLMAnswerRefused         the model said no
    │   │   └── InvalidAnswer            inside the client: what the repair prompt says
    │   │       └── EmptyAnswer          no content at all
    │   ├── ModeRejected                 a response_format refused: the next output mode
    │   └── UnknownBatch                 a recorded Batch API batch or file is gone (404)
    ├── BreakerOpenError(dependency)     a circuit breaker refuses the call
    ├── RunAborted                       the run cannot go on (exit 1)
    ├── RunOutOfTime                     --max-runtime and its grace are spent: the rest waits
    │   │                                for the next run (not a failure, not a breaker count)
    │   └── StopRequested(signal_name)   SIGINT / SIGTERM ended a wait: stop, save, exit 130 / 143
    ├── DeadlinePassed                   one call's whole-call deadline passed mid-answer
    ├── AnswerTooLarge(cap)              one answer grew past its cap; reading stopped
    ├── LockHeldError                    another run holds the state lock (exit 0)
    ├── StateFileRefused                 a link, FIFO, directory or oversized file where a
    │                                    state file belongs (set aside by whoever opened it)
    ├── IndexUnavailable                 the help-centre index cannot be opened
    ├── DiskWriteError                   a state or log file could not be written (exit 1)
    └── StaleLockError                   ... and has held it longer than any run may (exit 1)

``DeadlinePassed`` and ``AnswerTooLarge`` come from ``resilience/bounds``; the client that made
the call turns each into its own error. Some classes stay outside the tree on purpose: the
sandboxes' HTTP answers (``sandbox/httpbase.ApiError`` and ``BadBody``: what a stand-in server
replies, never raised to ticketbot's code); ``llm_client/http.AnswerRefused``, which must be
an httpx error for httpx to pass it through; ``helpdesks/deliveries.Refused``, a webhook
delivery refused, which ``serve`` turns into its HTTP answer and nothing else sees; and the
alert channels' private ``_Refused``, caught within their modules.

Retryable errors share ``RetryableError`` so the one retry layer (``resilience/retry.py``)
decides by type, never by message. ``plain_message`` and ``either`` shape what a message says.
"""

from __future__ import annotations

from collections.abc import Sequence

from .exitcodes import SIGNAL_EXIT, ExitCode


class TicketBotError(Exception):
    """Root of every error ticketbot raises on purpose."""

    exit_code: int = ExitCode.ABORTED


class ConfigError(TicketBotError):
    """A setting is missing or invalid; the message names the variable and the fix."""

    exit_code = ExitCode.CONFIG


class ModelFileError(ConfigError):
    """The model file is missing, damaged, not ours, or for another taxonomy."""


class RetryableError(TicketBotError):
    """Worth retrying; ``retry_after`` is the server's wish in seconds, if it stated one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimitedError(RetryableError):
    """429: the dependency is up and asks us to slow down (retried longer, never a breaker
    failure)."""


class HelpdeskError(TicketBotError):
    """The helpdesk answered with an error (or could not be reached)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id


class AuthError(HelpdeskError):
    """401/403: credentials wrong or lacking a permission; retrying will not help."""


def credentials_refused(exc: BaseException) -> bool:
    """A 401: the helpdesk refused the credentials themselves, so each of the run's reads will
    be refused and the run aborts saying so (a 403, a missing permission, refuses some reads
    only). A step that may fail without failing the run says nothing more of it."""
    return isinstance(exc, AuthError) and exc.status_code == 401


class IncrementalExportForbidden(AuthError):
    """403 on the incremental export: it needs an admin's token; the Search API does not."""


class NotFoundError(HelpdeskError):
    """404: the ticket (or job) does not exist."""


class CursorRejectedError(HelpdeskError):
    """The helpdesk refused the saved cursor (malformed, expired, in the future)."""


class RecordInvalidError(HelpdeskError):
    """422: Zendesk refused the record; ``details`` is Zendesk's field-by-field reason."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 422,
        request_id: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, request_id=request_id)
        self.details = details or {}


class StartTimeTooRecent(RecordInvalidError):
    """422 on a time-based export: its ``start_time`` is less than a minute old."""


class ConflictError(HelpdeskError, RetryableError):
    """409: the ticket changed since we read it (stale ``updated_stamp``); re-read and re-merge."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 409,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        HelpdeskError.__init__(self, message, status_code=status_code, request_id=request_id)
        self.retry_after = retry_after


class HelpdeskRateLimited(HelpdeskError, RateLimitedError):
    """429 from the helpdesk; ``retry_after`` from its ``Retry-After`` header."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 429,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        HelpdeskError.__init__(self, message, status_code=status_code, request_id=request_id)
        self.retry_after = retry_after


class HelpdeskServerError(HelpdeskError, RetryableError):
    """5xx from the helpdesk."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 500,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        HelpdeskError.__init__(self, message, status_code=status_code, request_id=request_id)
        self.retry_after = retry_after


class HelpdeskConnectionError(HelpdeskError, RetryableError):
    """The helpdesk could not be reached: refused, reset, DNS, timeout."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        HelpdeskError.__init__(self, message)
        self.retry_after = retry_after


class WriteOutcomeUnknown(HelpdeskError):
    """A write was sent but its answer does not say whether it was applied: the connection
    broke or timed out before the whole answer, a 5xx came back, or a 2xx that is not JSON.

    The helpdesk may or may not have applied it. Replaying it blindly could add a second
    internal note (or create duplicate tickets), so it is not retried here; the caller re-reads
    and decides (Zendesk's ``safe_update`` turns a replay into a 409; the Freshdesk adapter
    looks for its note before posting it again).
    """


class JobTimeoutError(HelpdeskError):
    """A background job was still running when ``wait_for_job`` gave up."""


class LLMError(TicketBotError):
    """The LLM endpoint failed or answered something unusable."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class LLMRateLimited(LLMError, RateLimitedError):
    """429 from the LLM endpoint."""

    def __init__(
        self, message: str, *, status_code: int | None = 429, retry_after: float | None = None
    ) -> None:
        LLMError.__init__(self, message, status_code=status_code)
        self.retry_after = retry_after


class LLMConnectionReset(LLMRateLimited):
    """The endpoint reset a connection as it opened while other calls were answered: a small
    server whose listen backlog overflowed. Like a 429 it asks us to slow down (fewer calls in
    flight, retried, no breaker failure); when nothing is answered any more it is an outage and
    the analyser says ``LLMConnectionError`` instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=None, retry_after=None)


class LLMServerError(LLMError, RetryableError):
    """5xx from the LLM endpoint."""

    def __init__(
        self, message: str, *, status_code: int | None = 500, retry_after: float | None = None
    ) -> None:
        LLMError.__init__(self, message, status_code=status_code)
        self.retry_after = retry_after


class LLMConnectionError(LLMError, RetryableError):
    """The LLM endpoint could not be reached, or did not answer in time."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        LLMError.__init__(self, message)
        self.retry_after = retry_after


class LLMAuthError(LLMError):
    """401/403 from the LLM endpoint: the key is wrong."""


class LLMResponseError(LLMError):
    """The model answered, but not with a valid analysis (after recovery and repair)."""


class LLMAnswerRefused(LLMResponseError):
    """An answer ticketbot would not read (past its size cap, or a redirect to another host).

    Its message is ticketbot's own (the cap and the setting that raises it, or the host it
    pointed to), never the endpoint's text, so it may be shown as the cause of a fallback.
    """


class InvalidAnswer(LLMResponseError, ValueError):
    """The model's answer is not a valid analysis; the message is what the repair prompt says.
    Inside the LLM client only (also a ``ValueError``, as parsing errors are): it becomes the
    ``LLMResponseError`` that names the model once the repair is spent."""


class EmptyAnswer(InvalidAnswer):
    """The completion carried no content at all."""


class ModeRejected(LLMError):
    """The server refused a response_format (400/422 naming it): try the next output mode."""


class UnknownBatch(LLMError):
    """The endpoint answers 404 for a batch we recorded, or for its output: purged, or asked of
    another project or endpoint than the one that made it. Its tickets need another path."""


class BreakerOpenError(TicketBotError):
    """A circuit breaker is open and refuses calls to ``dependency`` for now."""

    def __init__(
        self,
        dependency: str,
        *,
        retry_after: float | None = None,
        cause: BaseException | str | None = None,
    ) -> None:
        name, _, endpoint = dependency.partition("@")
        where = f" ({endpoint})" if endpoint else ""
        when = f"; it lets a trial call through in {retry_after:.0f} s" if retry_after else ""
        breaker = f"circuit breaker for {name}{where} is open{when}"
        # The cause first: it names what failed and how to fix it; the breaker is only the effect.
        message = (
            f"{cause} (after repeated failures the {breaker}; `ticketbot breaker reset` "
            "closes it now)"
            if cause
            else f"{breaker} (`ticketbot breaker reset` closes it now)"
        )
        super().__init__(message)
        self.dependency = name
        self.endpoint = endpoint or None
        self.retry_after = retry_after
        # The failure that opened it: the exception in this process, its message when an
        # earlier run opened it (saved with the breaker), None when nothing is known.
        self.cause = cause


class RunAborted(TicketBotError):
    """The run cannot go on (auth failure, helpdesk unreachable, breaker open)."""


class RunOutOfTime(TicketBotError):
    """The run's bound (``--max-runtime`` plus its grace) is spent: a wait, a retry or a call
    that would go past it is not made. What it left undone (a ticket not written, a helpdesk job
    still queued) is the next run's: the journal and the cursor say where to pick it up."""

    exit_code = ExitCode.OK


class DeadlinePassed(TicketBotError):
    """The whole-call deadline passed while the answer was still coming (``resilience.bounds``);
    the client that made the call turns it into its own error."""


class AnswerTooLarge(TicketBotError):
    """The answer (counted after decompression) grew past ``cap`` bytes; reading stopped
    (``resilience.bounds``); the client that made the call turns it into its own error."""

    def __init__(self, message: str, *, cap: int) -> None:
        super().__init__(message)
        self.cap = cap


class LockHeldError(TicketBotError):
    """Another run holds the lock on the state directory; not a failure."""

    exit_code = ExitCode.OK


class EncryptionKeyError(TicketBotError):
    """Encrypted data with no key or the wrong one, or a key file that cannot be read: the
    message names the file and the setting; whoever meets it changes nothing (never a reason
    to set a file aside)."""

    exit_code = ExitCode.KEY


class StateFileRefused(TicketBotError):
    """Something other than a regular file of a sane size where a state, lock or log file
    belongs: a symbolic link, a FIFO, a directory, a device. Never followed, opened or read;
    whoever asked sets it aside and goes on."""


class IndexUnavailable(TicketBotError):
    """The index could not be opened (read-only and missing or damaged)."""


class DiskWriteError(TicketBotError):
    """A state or log file could not be written (a full disk, a file-size limit, a read-only
    mount); the message names the file and the fix."""


class StaleLockError(TicketBotError):
    """The lock is held by a run older than any run may be: that process is hung (exit 1)."""


class StopRequested(RunOutOfTime):
    """SIGINT or SIGTERM asked the run to stop, ending a wait (``resilience.stopping``); it
    saves its progress first. A ``RunOutOfTime``: what the wait held is the next run's."""

    def __init__(self, signal_name: str, doing: str = "the wait") -> None:
        super().__init__(f"stopped by {signal_name}: {doing} is left to the next run")
        self.signal_name = signal_name
        self.exit_code = SIGNAL_EXIT.get(signal_name, ExitCode.TERMINATED)


def plain_message(message: str) -> str:
    """A pydantic validation message without its ``Value error, `` prefix (users read it)."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def either(names: Sequence[str], *, word: str = "or") -> str:
    """``a or b``, ``a, b or c`` (``word="and"``: ``a, b and c``): how a message lists names."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def abort_reason(exc: BaseException, *, query: str | None) -> str | None:
    """Why ``exc`` aborts a run, as the run's record and its alert say it; None when it is no
    abort but an error the command reports as its own (a setting, a file, a fault of ours).

    One answer wherever the run was when it failed: the same refused credentials abort the
    run whether the routes' first request met them while the parts were built or discovery's
    once the run was under way."""
    if isinstance(exc, AuthError | BreakerOpenError | RunAborted):
        return str(exc)
    if not isinstance(exc, HelpdeskError):
        return None
    if query is not None and exc.status_code in (400, 422):
        # The search is the run's first read: a query the helpdesk cannot read (a typo in
        # ``--query``) is the query's fault, not a helpdesk that is down.
        return f"the helpdesk refused the query given with --query: {exc}"
    return f"helpdesk unreachable or failing: {exc}"


def failure_reason(exc: BaseException, *, query: str | None) -> str:
    """Why a run failed, for its record: the abort's reason, else the error as said."""
    reason = abort_reason(exc, query=query)
    if reason is not None:
        return reason
    return str(exc) if isinstance(exc, TicketBotError) else f"{type(exc).__name__}: {exc}"
