"""The run fingerprint's processes (the sandbox, ticketbot) and the helpdesks' APIs it reads."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from scripts.fingerprint_base import _ENV_PREFIXES, PRODUCT_OPTIONS, TIMEOUT

# fp_processes -------------------------------------------------------------------------------------

# -- processes --------------------------------------------------------------------------------


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
    env.update({"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"})
    env.update(extra)
    return env


@dataclass
class Sandbox:
    """``ticketbot sandbox`` in a child process, and the settings its banner printed."""

    process: subprocess.Popen[str]
    settings: dict[str, str]
    lines: list[str]


@contextmanager
def sandbox(helpdesk: str, *, llm: bool, workdir: Path, python: str) -> Iterator[Sandbox]:
    args = [python, "-m", "ticket_processor", "sandbox", "--helpdesk", helpdesk, "--port", "0"]
    args += ["--state", str(workdir / "sandbox-state.json")]
    if llm:
        args += ["--llm", "--llm-port", "0"]
    stderr = (workdir / "sandbox.stderr").open("w", encoding="utf-8")
    process = subprocess.Popen(
        args,
        cwd=workdir,
        env=child_env({}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    settings: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"{helpdesk} sandbox printed no banner: {seen}") from None
            if line is None:
                raise RuntimeError(f"{helpdesk} sandbox ended: {seen}")
            seen.append(line)
            match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(\S+)", line.strip())
            if match:
                settings[match[1]] = match[2]
            if line.strip().startswith("Ctrl-C"):
                break
        yield Sandbox(process, settings, seen)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr.close()


@dataclass
class Done:
    exit_code: int
    stdout: str
    stderr: str


def ticketbot(args: list[str], *, env: Mapping[str, str], workdir: Path, python: str) -> Done:
    proc = subprocess.run(
        [python, "-m", "ticket_processor", *args],
        cwd=workdir,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


# -- the helpdesks' APIs ----------------------------------------------------------------------


class Desk:
    """What this script reads and writes over one sandbox's plain HTTP API."""

    kind = ""

    def __init__(self, base: str, session: requests.Session) -> None:
        self.base = base
        self.http = session

    def get(self, path: str, **params: Any) -> Any:
        # The script's own reads share the account's rate limit with ticketbot (Freshdesk's
        # per-minute budget): a 429 waits its Retry-After, as any client should.
        for _ in range(10):
            answer = self.http.get(f"{self.base}{path}", params=params or None, timeout=30)
            if answer.status_code != 429:
                break
            time.sleep(min(float(answer.headers.get("Retry-After") or 5), 60.0))
        answer.raise_for_status()
        return answer.json()

    def send(self, method: str, path: str, body: Any) -> Any:
        answer = self.http.request(method, f"{self.base}{path}", json=body, timeout=30)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def stats(self) -> dict[str, Any]:
        return dict(self.get("/sandbox/stats"))

    def reset_stats(self) -> None:
        self.send("POST", "/sandbox/reset_stats", {})

    # Each helpdesk answers these.
    def create_fields(self) -> None:
        raise NotImplementedError

    def create_ticket(self, subject: str, body: str) -> None:
        raise NotImplementedError

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        raise NotImplementedError

    def listing(self) -> dict[int, dict[str, Any]]:
        """Every ticket: id -> its fields as the ticket list gives them (one or two requests,
        so the reads between commands barely touch the rate limits the runs see)."""
        raise NotImplementedError

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def snapshot(self) -> dict[int, dict[str, Any]]:
        """Every ticket with its comments (``_comments``): read once, after the last run."""
        return {
            tid: {**ticket, "_comments": self.comments(tid)}
            for tid, ticket in self.listing().items()
        }

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        """Group id -> name, agent or user id -> email, custom field key -> title."""
        raise NotImplementedError


def _pages(desk: Desk, path: str, key: str | None, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged list (Zendesk ``next_page``, Freshdesk ``page``)."""
    out: list[dict[str, Any]] = []
    if key is None:  # Freshdesk: a bare list a page, ?page=N
        page = 1
        while True:
            items = desk.get(path, per_page=100, page=page, **params)
            out.extend(items)
            if len(items) < 100:
                return out
            page += 1
    url: str | None = f"{desk.base}{path}"
    first = True
    while url:
        answer = desk.http.get(url, params=params if first else None, timeout=30)
        answer.raise_for_status()
        data = answer.json()
        out.extend(data[key])
        url = data.get("next_page")
        first = False
    return out


class ZendeskDesk(Desk):
    kind = "zendesk"

    def create_fields(self) -> None:
        text = {"type": "text", "title": "Order number"}
        drop = {
            "type": "tagger",
            "title": "Product",
            "custom_field_options": [{"name": n, "value": v} for n, v in PRODUCT_OPTIONS],
        }
        for spec in (text, drop):
            self.send("POST", "/api/v2/ticket_fields.json", {"ticket_field": spec})

    def create_ticket(self, subject: str, body: str) -> None:
        ticket = {"subject": subject, "comment": {"body": body, "public": True}, "status": "new"}
        self.send("POST", "/api/v2/tickets.json", {"ticket": ticket})

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        comment = {"body": body, "public": True, "author_id": requester_id}
        self.send("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": comment}})

    def listing(self) -> dict[int, dict[str, Any]]:
        tickets = _pages(self, "/api/v2/tickets.json", "tickets", per_page=100)
        return {int(t["id"]): t for t in tickets}

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return _pages(self, f"/api/v2/tickets/{ticket_id}/comments.json", "comments")

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        groups = {
            int(g["id"]): str(g["name"]) for g in _pages(self, "/api/v2/groups.json", "groups")
        }
        users = {
            int(u["id"]): str(u.get("email") or u.get("name"))
            for u in _pages(self, "/api/v2/users.json", "users")
        }
        fields = {
            str(f["id"]): str(f["title"])
            for f in _pages(self, "/api/v2/ticket_fields.json", "ticket_fields")
        }
        return groups, users, fields

    def audits(self) -> list[dict[str, Any]]:
        """Every write's audit, through the ticket event export, oldest first."""
        events: list[dict[str, Any]] = []
        seen: set[int] = set()
        start = 0
        while True:
            data = self.get(
                "/api/v2/incremental/ticket_events.json",
                start_time=start,
                include="comment_events",
            )
            for event in data["ticket_events"]:
                if int(event["id"]) not in seen:  # a full page repeats its last second
                    seen.add(int(event["id"]))
                    events.append(event)
            if data.get("end_of_stream") or int(data["end_time"]) <= start:
                return events
            start = int(data["end_time"])


class FreshdeskDesk(Desk):
    kind = "freshdesk"

    def create_fields(self) -> None:
        text = {
            "label": "Order number",
            "label_for_customers": "Order number",
            "type": "custom_text",
        }
        drop = {
            "label": "Product",
            "label_for_customers": "Product",
            "type": "custom_dropdown",
            "choices": [
                {"value": n, "position": i} for i, (n, _) in enumerate(PRODUCT_OPTIONS, start=1)
            ],
        }
        for spec in (text, drop):
            self.send("POST", "/api/v2/admin/ticket_fields", spec)

    def create_ticket(self, subject: str, body: str) -> None:
        ticket = {
            "subject": subject,
            "description": f"<p>{body}</p>",
            "email": "fingerprint.customer@example.com",
            "status": 2,
            "priority": 1,
        }
        self.send("POST", "/api/v2/tickets", ticket)

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        note = {"body": f"<p>{body}</p>", "incoming": True, "private": False}
        note["user_id"] = requester_id
        self.send("POST", f"/api/v2/tickets/{ticket_id}/notes", note)

    def listing(self) -> dict[int, dict[str, Any]]:
        tickets = _pages(
            self,
            "/api/v2/tickets",
            None,
            updated_since="2000-01-01T00:00:00Z",
            include="description",
        )
        return {int(t["id"]): t for t in tickets}

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return _pages(self, f"/api/v2/tickets/{ticket_id}/conversations", None)

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        groups = {int(g["id"]): str(g["name"]) for g in _pages(self, "/api/v2/groups", None)}
        agents = {
            int(a["id"]): str(a.get("contact", {}).get("email") or a["id"])
            for a in _pages(self, "/api/v2/agents", None)
        }
        fields = {str(f["name"]): str(f["label"]) for f in self.get("/api/v2/ticket_fields")}
        return groups, agents, fields
