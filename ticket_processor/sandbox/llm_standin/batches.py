"""The LLM stand-in's OpenAI Batch API: files, batches and their results, in OpenAI's shapes.

``POST /v1/files`` (multipart, ``purpose=batch``, a JSONL upload), ``GET /v1/files/{id}`` and
``GET /v1/files/{id}/content``; ``POST /v1/batches``, ``GET /v1/batches/{id}`` and
``POST /v1/batches/{id}/cancel``. A batch is ``in_progress`` until ``delay_s`` has passed since
it was created, or until ``complete()`` (or ``POST /sandbox/batches/complete``) says so, so
tests need no sleep; it is then answered line by line with the same answers as the online
endpoint, and its ``output_file_id`` (and ``error_file_id`` for failed lines) can be read.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

# One chat request of a batch -> (status, body), as the online endpoint would answer it.
AnswerBody = Callable[[dict[str, Any]], tuple[int, Any]]
Reply = tuple[int, Any]


def _error(message: str, code: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


def form_fields(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body -> {name: (filename, bytes)}."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    return fields


class BatchStore:
    """Uploaded files and batches of one stand-in; thread-safe."""

    def __init__(self, answer: AnswerBody, *, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self._answer = answer
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] = {}
        self._content: dict[str, bytes] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._ready: set[str] = set()

    # -- the routes ----------------------------------------------------------------------

    def post(self, path: str, content_type: str, raw: bytes) -> Reply:
        if path == "/v1/files":
            return self._upload(content_type, raw)
        if path == "/v1/batches":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return 400, _error("request body is not JSON")
            return self._create(body if isinstance(body, dict) else {})
        if path.startswith("/v1/batches/") and path.endswith("/cancel"):
            return self._cancel(path.split("/")[3])
        return 404, _error("not found", "not_found")

    def get(self, path: str) -> tuple[int, Any, str]:
        """(status, payload, content type): file content is JSONL, the rest JSON."""
        parts = path.strip("/").split("/")
        if parts == ["v1", "batches"]:
            with self._lock:
                data = [_public(batch) for batch in reversed(self._batches.values())]
            listing = {"object": "list", "data": data[:20], "has_more": len(data) > 20}
            return 200, listing, "application/json"
        if len(parts) == 3 and parts[:2] == ["v1", "batches"]:
            status, payload = self._batch(parts[2])
            return status, payload, "application/json"
        if len(parts) == 3 and parts[:2] == ["v1", "files"]:
            with self._lock:
                found = self._files.get(parts[2])
            return (200, found, "application/json") if found else self._missing("file")
        if len(parts) == 4 and parts[:2] == ["v1", "files"] and parts[3] == "content":
            with self._lock:
                content = self._content.get(parts[2])
            if content is None:
                return self._missing("file")
            return 200, content, "application/jsonl"
        return 404, _error("not found", "not_found"), "application/json"

    def forget(self, *, outputs_only: bool = False) -> int:
        """Forget every batch (``outputs_only``: only their finished output and error files),
        as a provider that purged them, or another project or endpoint, does: 404 from then on.
        Returns how many batches (or files) were forgotten."""
        with self._lock:
            if outputs_only:
                ids = {
                    str(batch[key])
                    for batch in self._batches.values()
                    for key in ("output_file_id", "error_file_id")
                    if batch.get(key)
                }
                for file_id in ids:
                    self._files.pop(file_id, None)
                    self._content.pop(file_id, None)
                return len(ids)
            count = len(self._batches)
            self._batches.clear()
            self._ready.clear()
            return count

    def complete(self) -> int:
        """Let every batch in progress finish at its next poll; returns how many."""
        with self._lock:
            pending = [b for b, v in self._batches.items() if v["status"] == "in_progress"]
            self._ready.update(pending)
        return len(pending)

    # -- files ---------------------------------------------------------------------------

    def _upload(self, content_type: str, raw: bytes) -> Reply:
        fields = form_fields(content_type, raw)
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        if "file" not in fields:
            return 400, _error("'file' is a required property")
        if purpose != "batch":
            return 400, _error(f"purpose must be 'batch' on this stand-in, not {purpose!r}")
        filename, content = fields["file"]
        return 200, self._store_file(content, filename or "upload.jsonl", "batch")

    def _store_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        record = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }
        with self._lock:
            self._files[file_id] = record
            self._content[file_id] = content
        return record

    def _missing(self, what: str) -> tuple[int, Any, str]:
        return 404, _error(f"No such {what}", "not_found"), "application/json"

    # -- batches -------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> Reply:
        input_id = str(body.get("input_file_id", ""))
        batch: dict[str, Any]
        if body.get("endpoint") != "/v1/chat/completions":
            return 400, _error("endpoint must be /v1/chat/completions on this stand-in")
        with self._lock:
            known = input_id in self._content
        if not known:
            return 400, _error(f"input file {input_id!r} not found")
        now = int(time.time())
        batch = {
            "id": f"batch_{uuid.uuid4().hex[:24]}",
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": None,
            "input_file_id": input_id,
            "completion_window": str(body.get("completion_window", "24h")),
            "status": "in_progress",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": now,
            "expires_at": now + 86400,
            "completed_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
            "_started": time.monotonic(),
        }
        with self._lock:
            self._batches[batch["id"]] = batch
        return 200, _public(batch)

    def _cancel(self, batch_id: str) -> Reply:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return 404, _error("No such batch", "not_found")
            if batch["status"] == "in_progress":
                batch.update(status="cancelled", cancelled_at=int(time.time()))
            return 200, _public(batch)

    def _batch(self, batch_id: str) -> Reply:
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return 404, _error("No such batch", "not_found")
            due = batch_id in self._ready or time.monotonic() - batch["_started"] >= self.delay_s
            run = batch["status"] == "in_progress" and due
            if run:
                batch["status"] = "finalizing"  # one poller runs it; others see finalizing
            snapshot = _public(batch)
        if run:
            self._run(batch_id)
            with self._lock:
                snapshot = _public(self._batches[batch_id])
        return 200, snapshot

    def _run(self, batch_id: str) -> None:
        with self._lock:
            batch = self._batches[batch_id]
            content = self._content[str(batch["input_file_id"])]
        done: list[str] = []
        failed: list[str] = []
        for number, line in enumerate(content.decode("utf-8", "replace").splitlines()):
            if not line.strip():
                continue
            custom_id, outcome, ok = self._one(number, line)
            record = {"id": f"batch_req_{uuid.uuid4().hex[:24]}", "custom_id": custom_id}
            (done if ok else failed).append(json.dumps({**record, **outcome}))
        output = self._store_file(("\n".join(done) + "\n").encode(), "output.jsonl", "batch_output")
        errors = (
            self._store_file(("\n".join(failed) + "\n").encode(), "errors.jsonl", "batch_output")
            if failed
            else None
        )
        with self._lock:
            batch.update(
                status="completed",
                completed_at=int(time.time()),
                output_file_id=output["id"],
                error_file_id=errors["id"] if errors else None,
                request_counts={
                    "total": len(done) + len(failed),
                    "completed": len(done),
                    "failed": len(failed),
                },
            )

    def _one(self, number: int, line: str) -> tuple[str | None, dict[str, Any], bool]:
        try:
            request = json.loads(line)
            custom_id = request["custom_id"]
            if request.get("url") != "/v1/chat/completions" or request.get("method") != "POST":
                raise ValueError("url must be /v1/chat/completions with method POST")
            body = request["body"]
            if not isinstance(body, dict):
                raise ValueError("body must be an object")
        except (ValueError, KeyError, TypeError) as exc:
            error = {"code": "invalid_request", "message": f"line {number + 1}: {exc}"}
            return None, {"response": None, "error": error}, False
        status, payload = self._answer(body)
        response = {"status_code": status, "request_id": uuid.uuid4().hex, "body": payload}
        return str(custom_id), {"response": response, "error": None}, status == 200


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in batch.items() if not key.startswith("_")}
