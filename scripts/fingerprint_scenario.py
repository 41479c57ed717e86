"""One scenario of the run fingerprint: a helpdesk and an engine, from seeding to the last run."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from scripts import free_port
from scripts.fingerprint_base import (
    _RELISTED,
    _TICKET_REF,
    BACKFILL_TICKETS,
    EXPORT_LAG,
    EXTRA_TICKETS,
    FIELDS_TOML,
    GAP,
    LEARNED,
    REPLIES,
    ROUTES_TOML,
    SEED_COUNT,
    SERVE_SECRET,
    SERVED_TICKETS,
    Normaliser,
    Webhook,
    _api_calls,
    _comparable,
    _delivery,
    _drop_ids,
    _llm_calls_since,
    _llm_stats,
    _ready,
    _sleep_until,
    _wait_for,
    digest,
)
from scripts.fingerprint_desks import (
    Desk,
    FreshdeskDesk,
    Sandbox,
    ZendeskDesk,
    child_env,
    sandbox,
    ticketbot,
)

# fp_scenario --------------------------------------------------------------------------------------

# -- one scenario -----------------------------------------------------------------------------


def ticket_keys(raw: Mapping[int, Mapping[str, Any]]) -> dict[int, str]:
    """Ticket id -> its subject (ids differ between runs; the subjects are unique)."""
    by_subject: dict[str, list[tuple[str, int]]] = {}
    for tid, ticket in raw.items():
        text = str(ticket.get("description") or ticket.get("description_text") or "")
        by_subject.setdefault(str(ticket.get("subject")), []).append((digest(text), tid))
    keys: dict[int, str] = {}
    for subject, group in by_subject.items():
        for n, (_, tid) in enumerate(sorted(group)):
            keys[tid] = subject if n == 0 else f"{subject} #{n + 1}"
    return keys


@dataclass
class Scenario:
    helpdesk: str
    engine: str
    quick: bool
    python: str
    hook: Webhook
    workdir: Path
    norm: Normaliser = field(default_factory=Normaliser)
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    windows: list[tuple[str, float, float]] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)
    log_lines_seen: int = 0

    @property
    def name(self) -> str:
        return f"{self.helpdesk}/{self.engine}"

    @property
    def cli_engine(self) -> str:
        """What ``--engine`` the commands are given (``learned``: ``llm`` with no LLM)."""
        return "llm" if self.engine == LEARNED else self.engine

    def run(self) -> dict[str, Any]:
        with sandbox(
            self.helpdesk, llm=self.engine == "llm", workdir=self.workdir, python=self.python
        ) as box:
            return self._run(box)

    def _run(self, box: Sandbox) -> dict[str, Any]:
        s = box.settings
        session = requests.Session()
        desk: Desk
        if self.helpdesk == "zendesk":
            base = s["ZENDESK_URL"]
            session.auth = (f"{s['ZENDESK_EMAIL']}/token", s["ZENDESK_API_TOKEN"])
            desk = ZendeskDesk(base, session)
        else:
            base = s["FRESHDESK_URL"]
            session.auth = (s["FRESHDESK_API_KEY"], "X")
            desk = FreshdeskDesk(base, session)
        self.norm.urls[base] = "<sandbox>"
        self.norm.paths[str(self.workdir)] = "<tmp>"
        hook_path = f"/hook/{self.helpdesk}-{self.engine}"
        self.norm.urls[f"{self.hook.base}{hook_path}"] = "<webhook>"
        (self.workdir / "routes.toml").write_text(ROUTES_TOML, "utf-8")
        (self.workdir / "fields.toml").write_text(FIELDS_TOML, "utf-8")
        env = child_env({**s, "TICKETBOT_HELPDESK": self.helpdesk})
        env.update(
            {
                "TICKETBOT_STATE_DIR": str(self.workdir / "state"),
                "TICKETBOT_LOG_DIR": str(self.workdir / "logs"),
                "TICKETBOT_ROUTES": str(self.workdir / "routes.toml"),
                "TICKETBOT_FIELDS": str(self.workdir / "fields.toml"),
                "TICKETBOT_ALERT_WEBHOOK": f"{self.hook.base}{hook_path}",
                "TICKETBOT_WORKERS": "1",
            }
        )
        llm_stats: str | None = None
        if self.engine == "llm":
            llm_base = s["OPENAI_BASE_URL"]
            self.norm.urls[llm_base.removesuffix("/v1")] = "<llm>"
            llm_stats = llm_base.removesuffix("/v1") + "/stats"

        def command(phase: str, args: list[str]) -> None:
            desk.reset_stats()
            before_llm = _llm_stats(session, llm_stats)
            self.hook.take(hook_path)
            started = time.time()
            done = ticketbot(args, env=env, workdir=self.workdir, python=self.python)
            ended = time.time()
            self.windows.append((phase, started, ended))
            stats = desk.stats()
            calls = _api_calls(stats.get("requests", {}))
            relisted = self.helpdesk == "freshdesk" and phase == "run3"
            stdout = self.norm.text(done.stdout)
            if relisted:
                stdout = _RELISTED.sub("skipped=<timing>", stdout)
            record: dict[str, Any] = {
                "command": " ".join(args),
                "exit_code": done.exit_code,
                "stdout": stdout.splitlines(),
                "api_calls": calls,
                "api_counters": {
                    k: v
                    for k, v in stats.items()
                    if k not in ("requests", "requests_total", "jobs_pending", "jobs")
                },
                "api_calls_total": sum(n for n in calls.values() if isinstance(n, int)),
            }
            if llm_stats is not None:
                record["llm_calls"] = _llm_calls_since(session, llm_stats, before_llm)
            record["log"] = self._log_events(relisted=relisted)
            record["webhook"] = [
                self._ticket_refs(self.norm.value(p)) for p in self.hook.take(hook_path)
            ]
            if done.exit_code != 0:
                record["stderr"] = self.norm.text(done.stderr).splitlines()[-20:]
            self.phases[phase] = record
            time.sleep(GAP)

        command("seed", ["seed", "--count", str(SEED_COUNT)])
        started = time.time()
        desk.create_fields()
        for subject, body in EXTRA_TICKETS:
            desk.create_ticket(subject, body)
        self.windows.append(("extra tickets", started, time.time()))
        time.sleep(GAP)
        run = ["run", "--engine", self.cli_engine, "--workers", "1"]
        state = desk.listing()
        self.keys = ticket_keys(state)
        for phase in ("run1", "run2"):
            command(phase, run)
            state = self._changes(phase, desk, state)
        if not self.quick:
            self._replies(desk, state)
            replied = time.time()
            if self.helpdesk == "zendesk":
                _sleep_until(replied + EXPORT_LAG)
            for phase in ("run3", "run4"):
                command(phase, run)
                state = self._changes(phase, desk, state)
        state = self._served(desk, env, state, llm_stats, session)
        for subject, body in BACKFILL_TICKETS:
            desk.create_ticket(subject, body)
        self.keys = ticket_keys(desk.listing())
        time.sleep(GAP)
        since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        command("backfill", ["backfill", "--since", since, "--no-batch", "--workers", "1"])
        state = self._changes("backfill", desk, state)
        command("run5", run)
        state = self._changes("run5", desk, state)
        out: dict[str, Any] = {
            "seed_extra_tickets": [subject for subject, _ in EXTRA_TICKETS],
            "phases": self.phases,
            "tickets": self._tickets(desk, desk.snapshot()),
        }
        if isinstance(desk, ZendeskDesk) and not self.quick:
            _sleep_until(self.windows[-1][2] + EXPORT_LAG)
            out["audits"] = self._audits(desk.audits())
        return out

    def _served(
        self,
        desk: Desk,
        env: Mapping[str, str],
        state: Mapping[int, Mapping[str, Any]],
        llm_stats: str | None,
        session: requests.Session,
    ) -> dict[int, dict[str, Any]]:
        """``ticketbot serve`` started, two tickets created and delivered to it as the
        helpdesk's webhook would, served until both carry the marker, then stopped (SIGTERM)."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        desk.reset_stats()
        before_llm = _llm_stats(session, llm_stats)
        started = time.time()
        errors = (self.workdir / "serve.stderr").open("w", encoding="utf-8")
        command = [self.python, "-m", "ticket_processor", "serve", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--engine", self.cli_engine],
            cwd=self.workdir,
            env={**env, "TICKETBOT_SERVE_SECRET": SERVE_SECRET},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_for(lambda: _ready(base), 60, "serve did not become ready")
            # Its catch-up (what was created while no server ran) over before the new tickets
            # exist: else whether the catch-up or the webhook brings them is a race.
            _wait_for(lambda: bool(self._logged("serve_caught_up")), 60, "serve never caught up")
            for subject, text in SERVED_TICKETS:
                desk.create_ticket(subject, text)
            listed = desk.listing()
            self.keys = ticket_keys(listed)
            new = sorted(tid for tid in listed if tid not in state)
            for tid in new:
                raw, headers = _delivery(self.helpdesk, tid)
                answer = requests.post(
                    f"{base}/webhooks/{self.helpdesk}", data=raw, headers=headers, timeout=10
                )
                answer.raise_for_status()

            def marked() -> bool:
                # From serve's own log, not the helpdesk: the phase's API calls are serve's.
                done = {event.get("ticket_id") for event in self._logged("ticket_triaged")}
                return all(tid in done for tid in new)

            _wait_for(marked, 120, "serve did not triage the delivered tickets", every=3.0)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                exit_code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                exit_code = process.wait()
            errors.close()
        self.windows.append(("served", started, time.time()))
        stats = desk.stats()
        calls = _api_calls(stats.get("requests", {}))
        record: dict[str, Any] = {
            "command": "serve (two signed deliveries)",
            "exit_code": exit_code,
            "api_calls": calls,
            "api_calls_total": sum(n for n in calls.values() if isinstance(n, int)),
            "log": self._log_events(relisted=False),
        }
        if llm_stats is not None:
            record["llm_calls"] = _llm_calls_since(session, llm_stats, before_llm)
        self.phases["served"] = record
        time.sleep(GAP)
        return self._changes("served", desk, state)

    def _logged(self, name: str) -> list[dict[str, Any]]:
        """The events called ``name`` in the log directory so far (every command's)."""
        found = []
        for path in (self.workdir / "logs").glob("*.jsonl"):
            for line in path.read_text("utf-8").splitlines():
                if f'"{name}"' in line:
                    event = json.loads(line)
                    if event.get("event") == name:
                        found.append(event)
        return found

    def _replies(self, desk: Desk, state: Mapping[int, Mapping[str, Any]]) -> None:
        ids = {key: tid for tid, key in self.keys.items()}
        # All three in one second: Freshdesk's list is paged by the second of ``updated_at``,
        # so replies straddling two seconds would change what the next runs list again.
        _sleep_until(int(time.time()) + 1.05)
        started = time.time()
        for subject, text in REPLIES:
            tid = ids[subject]
            desk.reply(tid, int(state[tid]["requester_id"]), text)
        self.windows.append(("replies", started, time.time()))
        self.phases["replies"] = {
            "posted": [{"ticket": subject, "text": text} for subject, text in REPLIES]
        }
        time.sleep(GAP)

    def _changes(
        self, phase: str, desk: Desk, before: Mapping[int, Mapping[str, Any]]
    ) -> dict[int, dict[str, Any]]:
        after = desk.listing()
        changed = sorted(
            self.keys.get(tid, f"<new ticket {tid}>")
            for tid in set(before) | set(after)
            if _comparable(before.get(tid)) != _comparable(after.get(tid))
        )
        self.phases[phase]["changed"] = changed
        self.phases[phase]["changed_count"] = len(changed)
        return after

    def _ticket_refs(self, value: Any) -> Any:
        """Ticket ids in an alert's text (``#12``, ``.../tickets/12``) as the tickets' keys."""
        if isinstance(value, dict):
            return {k: self._ticket_refs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._ticket_refs(v) for v in value]
        if isinstance(value, str):
            return _TICKET_REF.sub(lambda m: f"{m[1]}[{self.keys.get(int(m[2]), m[2])}]", value)
        return value

    def _log_events(self, *, relisted: bool) -> list[Any]:
        lines: list[str] = []
        for path in sorted((self.workdir / "logs").glob("*.jsonl")):
            lines.extend(path.read_text("utf-8").splitlines())
        new, self.log_lines_seen = lines[self.log_lines_seen :], len(lines)
        events = []
        for line in new:
            if not line.strip():
                continue
            event = json.loads(line)
            tid = event.get("ticket_id")
            if isinstance(tid, int) and tid in self.keys:
                event["ticket_id"] = self.keys[tid]
            if relisted and event.get("event") == "run_finished":
                event.update({k: "<timing>" for k in ("skipped", "tickets_seen") if k in event})
            events.append(self.norm.value(_drop_ids(event)))
        # Workers finish in their own order: sort by content, so only what was logged counts.
        return sorted(events, key=lambda e: json.dumps(e, sort_keys=True))

    def _tickets(
        self, desk: Desk, state: Mapping[int, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        groups, people, fields = desk.names()
        out: dict[str, dict[str, Any]] = {}
        for tid, raw in state.items():
            comments = raw["_comments"]
            ordinal = {int(c["id"]): f"c{n}" for n, c in enumerate(comments, start=1)}
            requester = raw.get("requester_id")
            notes = []
            for c in comments:
                author = c.get("author_id", c.get("user_id"))
                if desk.kind == "zendesk":
                    public = bool(c.get("public"))
                else:
                    public = not bool(c.get("private"))
                notes.append(
                    {
                        "n": ordinal[int(c["id"])],
                        "author": "requester" if author == requester else "agent",
                        "public": public,
                        "incoming": c.get("incoming"),
                        "body": self.norm.text(str(c.get("body")), ordinal),
                    }
                )
            if desk.kind == "zendesk":
                custom = {
                    fields.get(str(f["id"]), str(f["id"])): f["value"]
                    for f in raw.get("custom_fields") or []
                }
                assignee = raw.get("assignee_id")
            else:
                custom = {fields.get(k, k): v for k, v in (raw.get("custom_fields") or {}).items()}
                assignee = raw.get("responder_id")
            group = raw.get("group_id")
            out[self.keys.get(tid, f"<new ticket {tid}>")] = {
                "status": raw.get("status"),
                "priority": raw.get("priority"),
                "tags": sorted(raw.get("tags") or []),
                "group": None if group is None else groups.get(int(group), f"<group {group}>"),
                "assignee": None
                if assignee is None
                else people.get(int(assignee), f"<agent {assignee}>"),
                "custom_fields": {k: custom[k] for k in sorted(custom)},
                "comments": notes,
                "description_sha": digest(
                    str(raw.get("description") or raw.get("description_text") or "")
                ),
            }
        return out

    def _audits(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def phase_of(stamp: float) -> str:
            for phase, start, end in self.windows:
                if int(start) - 1 <= stamp <= end + 1:
                    return phase
            return "between commands"

        counters: dict[str, int] = {}
        out = []
        for event in sorted(events, key=lambda e: int(e["id"])):
            key = self.keys.get(int(event["ticket_id"]), f"<new ticket {event['ticket_id']}>")
            counters[key] = counters.get(key, 0) + 1
            children = []
            for child in event.get("child_events") or []:
                item = {
                    k: v
                    for k, v in child.items()
                    if k not in ("id", "via", "via_reference_id", "html_body", "plain_body")
                    and not k.endswith("_id")
                }
                if "body" in item:
                    item["body_sha"] = digest(self.norm.text(str(item.pop("body"))))
                if "attachments" in item:
                    item.pop("attachments")
                if "metadata" in item:
                    item.pop("metadata")
                children.append(self.norm.value(_drop_ids(item)))
            out.append(
                {
                    "ticket": key,
                    "write": counters[key],
                    "phase": phase_of(float(event["timestamp"])),
                    "changes": children,
                }
            )
        return sorted(out, key=lambda a: (a["ticket"], a["write"]))
