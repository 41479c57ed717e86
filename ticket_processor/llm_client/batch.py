"""Backfills at half price: tickets analysed through the OpenAI Batch API.

``submit`` uploads one JSONL line per ticket (``custom_id`` = the ticket id, the body exactly
the online path's first request: same system prompt, same strict schema, same limits) and
creates a batch; ``poll`` says how far it got; ``collect`` reads the results and turns each
answer into a ``Triage`` through the online path's reader (``prompt.read_analysis``), or
into the ``LLMError`` the online path would have raised. There is no repair round in a batch:
an answer that does not validate comes back as an ``LLMResponseError`` for the caller to send
through the online path or the rules. The batch id is all a later run needs to collect, so the
caller keeps it in its ledger and a crash between submit and collect loses nothing.

``supports_batch`` tells an endpoint with the Batch API from one without (a 404: Ollama, vLLM,
most proxies), where backfills take the normal path.

Result files are read a line at a time, never whole: each line at most ``max_line_bytes`` (the
online answer's cap, ``TICKETBOT_LLM_MAX_BYTES``), the files at most ``max_file_bytes``
(``TICKETBOT_BATCH_MAX_BYTES``, counted decompressed by the HTTP layer), and no more lines than
the batch has requests (plus a few): a file padded with lines for tickets never asked for is
an error of ``collect``, and the batch's tickets take the normal path.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# First: the SDK's model packages a run never reads stay unimported (``sdk_import.py``).
from . import sdk_import  # noqa: F401

# isort: split
import httpx2
import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from ..common.scrub import Scrubber, url_credentials
from ..errors import (
    EmptyAnswer,
    InvalidAnswer,
    LLMAnswerRefused,
    LLMConnectionError,
    LLMError,
    LLMResponseError,
    LLMServerError,
    UnknownBatch,
)
from ..models import TokenUsage, Triage
from ..resilience.bounds import BATCH_MAX_BYTES, LLM_MAX_BYTES, size_text
from ..triage.prepare import PreparedTicket
from ..triage.taxonomy import Taxonomy
from .deadline import call_deadline
from .http import AnswerRefused, build_http_client, split_query
from .prompt import analysis_schema, chat_messages, read_analysis, response_format, system_prompt
from .wire import answer_of, translate_error

CHAT_ENDPOINT: Final = "/v1/chat/completions"
# Batch states after which nothing more will change (OpenAI's names).
FINAL_STATES = frozenset({"completed", "failed", "expired", "cancelled"})
# Lines a batch's result files may hold beyond its requests (blank lines, a stray retry).
EXTRA_LINES = 16


@dataclass(frozen=True)
class BatchState:
    """One poll of a batch: its status and request counts."""

    batch_id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None

    @property
    def done(self) -> bool:
        """Nothing more will change: collect now (results exist when ``status == completed``,
        and for the lines finished before an expiry or a cancellation)."""
        return self.status in FINAL_STATES


BatchResult = Triage | LLMError


class LLMBatchClient:
    """The Batch API of one endpoint, for one model (the first configured)."""

    def __init__(
        self,
        *,
        model: str,
        taxonomy: Taxonomy,
        api_key: str | None,
        base_url: str | None,
        timeout: float = 60.0,
        reply_draft: bool = False,
        spam: bool = False,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        max_line_bytes: int = LLM_MAX_BYTES,
        max_file_bytes: int = BATCH_MAX_BYTES,
    ) -> None:
        self.model = model
        self.max_line_bytes = max_line_bytes
        self.taxonomy = taxonomy
        self.timeout = timeout
        self.reply_draft = reply_draft
        self.spam = spam
        self.max_tokens = max_tokens or (1200 if reply_draft else 600)
        self.temperature = temperature
        self._secret = (api_key or "", *url_credentials(base_url))
        self._schema = analysis_schema(taxonomy, reply_draft=reply_draft, spam=spam)
        self._system = system_prompt(taxonomy, reply_draft=reply_draft, spam=spam)
        endpoint, query = split_query(base_url or "https://api.openai.com/v1")
        self._client = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=endpoint,
            default_query=query,
            timeout=timeout,
            max_retries=0,
            http_client=build_http_client(
                connections=4,
                timeout=timeout,
                connect_timeout=min(timeout, 5.0),
                max_bytes=max_file_bytes,
                cap_setting="TICKETBOT_BATCH_MAX_BYTES",
            ),
        )

    # -- the requests ----------------------------------------------------------------------

    def request_line(self, ticket_id: str, ticket: PreparedTicket) -> dict[str, Any]:
        """One JSONL line: the body the online path sends first, for this ticket."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": chat_messages(self._system, ticket),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "response_format": response_format("json_schema", self._schema),
        }
        return {"custom_id": ticket_id, "method": "POST", "url": CHAT_ENDPOINT, "body": body}

    def supports_batch(self) -> bool:
        """True when the endpoint serves the Batch API; a 404 (or 405) says it does not."""
        try:
            with call_deadline(self.timeout):
                self._client.batches.list(limit=1)
        except openai.NotFoundError:
            return False
        except openai.APIStatusError as exc:
            if exc.status_code == 405:
                return False
            raise self._error(exc) from exc
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return True

    def submit(
        self,
        prepared: Mapping[str, PreparedTicket] | Iterable[tuple[str, PreparedTicket]],
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Upload the tickets (keyed by ticket id) and start a batch; returns its id."""
        pairs = prepared.items() if isinstance(prepared, Mapping) else prepared
        lines = [json.dumps(self.request_line(str(tid), ticket)) for tid, ticket in pairs]
        if not lines:
            raise ValueError("submit needs at least one ticket")
        upload = io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))
        try:
            with call_deadline(self.timeout):
                created = self._client.files.create(
                    file=("tickets.jsonl", upload, "application/jsonl"), purpose="batch"
                )
            with call_deadline(self.timeout):
                batch = self._client.batches.create(
                    input_file_id=created.id,
                    endpoint=CHAT_ENDPOINT,
                    completion_window="24h",
                    metadata=dict(metadata) if metadata else None,
                )
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        return str(batch.id)

    def poll(self, batch_id: str) -> BatchState:
        """The batch's state; ``UnknownBatch`` when the endpoint does not know it (404)."""
        try:
            with call_deadline(self.timeout):
                batch = self._client.batches.retrieve(batch_id)
        except openai.NotFoundError as exc:
            raise UnknownBatch(
                f"the LLM endpoint does not know batch {batch_id} (404: purged, or made by "
                "another project or endpoint)",
                status_code=404,
            ) from exc
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc
        counts = batch.request_counts
        return BatchState(
            batch_id=batch_id,
            status=str(batch.status),
            total=counts.total if counts else 0,
            completed=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
            output_file_id=batch.output_file_id,
            error_file_id=batch.error_file_id,
        )

    def collect(self, batch_id: str) -> dict[str, BatchResult]:
        """Every finished line of a batch: ticket id -> ``Triage`` or the ``LLMError``.

        Raises ``LLMError`` when the batch is not finished; a ticket missing from the answer
        (expired, cancelled) is simply absent: submit it again.
        """
        state = self.poll(batch_id)
        if not state.done:
            raise LLMError(f"batch {batch_id} is {state.status}, not finished: poll again later")
        results: dict[str, BatchResult] = {}
        allowed = state.total + EXTRA_LINES
        read = 0
        for file_id in (state.output_file_id, state.error_file_id):
            if not file_id:
                continue
            # closing: a stop midway ends the download (and its deadline) at once.
            with contextlib.closing(self._lines(batch_id, file_id)) as lines:
                for line in lines:
                    read += 1
                    if read > allowed:
                        raise LLMResponseError(
                            f"batch {batch_id}'s results hold more lines than the "
                            f"{state.total} requests it was given; reading stopped: its tickets "
                            "take the normal path"
                        )
                    if line.strip():
                        custom_id, result = self._result(line)
                        if custom_id is not None:
                            results[custom_id] = result
        return results

    def close(self) -> None:
        self._client.close()

    # -- reading the answers ---------------------------------------------------------------

    def _lines(self, batch_id: str, file_id: str) -> Generator[str, None, None]:
        """The file's lines as they arrive, each at most ``max_line_bytes``; within the deadline."""
        cap = self.max_line_bytes
        try:
            with (
                call_deadline(self.timeout),
                self._client.files.with_streaming_response.content(file_id) as response,
            ):
                pending = b""
                for chunk in response.iter_bytes():
                    *complete, pending = (pending + chunk).split(b"\n")
                    if len(pending) > cap or any(len(raw) > cap for raw in complete):
                        raise LLMResponseError(
                            f"a line of batch file {file_id} is larger than {size_text(cap)}; "
                            "reading stopped: TICKETBOT_LLM_MAX_BYTES raises the cap"
                        )
                    for raw in complete:
                        yield raw.decode("utf-8", "replace")
                if pending:
                    yield pending.decode("utf-8", "replace")
        except openai.NotFoundError as exc:
            raise UnknownBatch(
                f"the LLM endpoint no longer has file {file_id}, the results of batch "
                f"{batch_id} (404: purged, or made by another project or endpoint)",
                status_code=404,
            ) from exc
        except AnswerRefused as exc:  # raised while streaming, outside the SDK's own wrapping
            raise LLMAnswerRefused(str(exc)) from None
        except httpx2.TimeoutException:
            raise LLMConnectionError(
                f"batch file {file_id} did not arrive in full within {self.timeout:g} s"
            ) from None
        except httpx2.HTTPError as exc:
            raise LLMConnectionError(
                f"reading batch file {file_id} failed ({type(exc).__name__})"
            ) from None
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc

    def _result(self, line: str) -> tuple[str | None, BatchResult]:
        try:
            record = json.loads(line)
            custom_id = str(record["custom_id"])
        except (ValueError, KeyError, TypeError):
            return None, LLMResponseError("a batch result line is not JSON with a custom_id")
        response = record.get("response") or {}
        status = response.get("status_code") if isinstance(response, dict) else None
        if record.get("error") or status != 200:
            return custom_id, _line_error(record.get("error"), status, response, self._secret)
        try:
            completion = ChatCompletion.model_validate(response.get("body"))
        except ValidationError:
            return custom_id, LLMResponseError("the batch answer is not a chat completion")
        try:
            answer = answer_of(completion, self.model)
            if answer.refusal and not (answer.content or "").strip():
                raise LLMResponseError(f"the model refused: {answer.refusal[:200]}")
            analysis = read_analysis(
                answer.content,
                answer.finish_reason,
                self.taxonomy,
                reply_draft=self.reply_draft,
                spam=self.spam,
            )
        except EmptyAnswer as exc:
            return custom_id, LLMResponseError(str(exc))
        except InvalidAnswer as exc:
            return custom_id, LLMResponseError(f"model {self.model}: {exc}")
        except LLMError as exc:
            return custom_id, exc
        usage = TokenUsage(
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            cached_tokens=answer.cached_tokens,
        )
        return custom_id, Triage(analysis=analysis, engine="llm", model=self.model, usage=usage)

    def _error(self, exc: openai.OpenAIError) -> LLMError:
        return translate_error(
            exc, model=self.model, mode="batch", timeout=self.timeout, secret=self._secret
        )


def _line_error(
    error: object, status: object, response: object, secret: tuple[str, ...]
) -> LLMError:
    """A failed batch line as the online path's error (a 5xx stays a server error)."""
    message = ""
    if isinstance(error, dict):
        message = str(error.get("message") or error.get("code") or "")
    body = response.get("body") if isinstance(response, dict) else None
    if not message and isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or "")
    message = Scrubber(secret).text(message)
    code = status if isinstance(status, int) else None
    text = f"the batch line failed ({code or 'no status'}): {message[:300] or 'no detail'}"
    if code is not None and code >= 500:
        return LLMServerError(text, status_code=code)
    return LLMError(text, status_code=code)
