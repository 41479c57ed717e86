"""The settings of the parts around a run, declared as ``fields`` declares the rest: the bounds
on every outbound call, the audit store, the dashboard and ``serve``. ``fields.DeclaredSettings``
takes them as its own (a subclass), so the settings page, ``ticketbot config`` and the near-miss
warnings read them with every other field; they are here only to keep each module short."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ..common.setting import EVERY_COMMAND, setting
from ..resilience.bounds import (
    BATCH_MAX_BYTES,
    HELPDESK_MAX_BYTES,
    LLM_MAX_BYTES,
    WEBHOOK_MAX_BYTES,
)


class ServiceSettings(BaseModel):
    """The outbound bounds', the audit store's, the dashboard's and serve's settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # -- bounds on every outbound call (docs/how-to/schedule.md, "Bounds on outbound calls") --
    # A webhook post (alerts, escalations) in all, answer included: a webhook that trickles
    # its answer must not hold the run (and its lock).
    webhook_timeout: Annotated[float, Field(gt=0, le=60)] = setting(
        5.0,
        env="TICKETBOT_WEBHOOK_TIMEOUT",
        help="Seconds an alert post may take in all, its answer included; an escalation "
        "channel's exchange (post or mail) gets at least 30.",
    )
    # The most bytes one answer may bring, counted after decompression; past it the call
    # fails with a message naming the variable. Each is far above the largest legitimate
    # answer of its kind: a webhook says "ok"; a chat completion of max_tokens 1200 is ~10 KB
    # (a model list a few hundred KB); a 1,000-ticket Zendesk export page at Zendesk's
    # 64 KB-per-comment limit is at most ~70 MB (typical: 2-5 MB); a batch output file is
    # read a line at a time, each line under the LLM cap, so its cap costs no memory.
    webhook_max_bytes: Annotated[int, Field(ge=1024)] = setting(
        WEBHOOK_MAX_BYTES,
        env="TICKETBOT_WEBHOOK_MAX_BYTES",
        help="The most bytes a webhook's answer may bring, counted decompressed.",
    )
    llm_max_bytes: Annotated[int, Field(ge=1024)] = setting(
        LLM_MAX_BYTES,
        env="TICKETBOT_LLM_MAX_BYTES",
        help="The most bytes an LLM answer may bring, counted decompressed.",
    )
    helpdesk_max_bytes: Annotated[int, Field(ge=1024)] = setting(
        HELPDESK_MAX_BYTES,
        env="TICKETBOT_HELPDESK_MAX_BYTES",
        help="The most bytes a helpdesk answer may bring, counted decompressed.",
        applies=EVERY_COMMAND,
    )
    batch_max_bytes: Annotated[int, Field(ge=1024)] = setting(
        BATCH_MAX_BYTES,
        env="TICKETBOT_BATCH_MAX_BYTES",
        help="The most bytes an LLM batch's output file may bring, counted decompressed.",
        applies="backfill",
    )

    # -- the audit store (ticket_processor/audit, docs/reference/audit-store.md) --
    # Where every decision is stored: unset, audit.sqlite3 in the state directory; a
    # postgresql://user:password@host/db URL, a PostgreSQL database many accounts share.
    # Secret: the URL carries the database's password.
    database_url: SecretStr | None = setting(
        None,
        env="TICKETBOT_DATABASE_URL",
        help="`postgresql://user:password@host/db`: the audit store, serve's delivery queue and "
        "the write claims in PostgreSQL; unset: SQLite in the state directory.",
        applies=EVERY_COMMAND,
    )
    # Subjects stored as the helpdesk has them (card numbers, e-mails and names included) rather
    # than redacted as the LLM gets them: for an installation whose store is as private as the
    # helpdesk. Rows already stored keep what they were stored with.
    audit_raw_subjects: bool = setting(
        False,
        env="TICKETBOT_AUDIT_RAW_SUBJECTS",
        help="`true`: the audit store keeps subjects as the helpdesk has them; else redacted "
        "as the LLM gets them.",
    )

    # -- customers' data encrypted at rest (ticket_processor/common/sealed.py) --
    # The key the team holds, in a file `ticketbot privacy keygen` wrote, or the key itself
    # (secret). Set: the audit store's text columns and the state files that hold customers'
    # text are written encrypted (AES-256-GCM); without it, encrypted data is refused.
    encryption_key_file: Path | None = setting(
        None,
        env="TICKETBOT_ENCRYPTION_KEY_FILE",
        help="The key file (`ticketbot privacy keygen FILE` writes one): customers' text in the "
        "audit store and the state files is kept encrypted with it. Unset: not encrypted.",
        applies=EVERY_COMMAND,
    )
    encryption_key: SecretStr | None = setting(
        None,
        env="TICKETBOT_ENCRYPTION_KEY",
        help="The key itself (base64, as a key file holds it), where a secret store hands it "
        "over; `TICKETBOT_ENCRYPTION_KEY_FILE` wins when both are set.",
        applies=EVERY_COMMAND,
    )

    # How often a run reads what the helpdesk deleted (privacy/follow.py): a deletion is
    # followed whatever this says; it sets how soon, against the requests each read costs.
    deletions_every: Annotated[int, Field(ge=0, le=1440)] = setting(
        15,
        env="TICKETBOT_DELETIONS_EVERY",
        help="Minutes between two reads of the tickets and people deleted in the helpdesk, "
        "which the next run forgets; 0: every run.",
    )

    # -- the dashboard (`ticketbot dashboard`, docs/how-to/dashboard.md) --
    # The token a browser or a client signs in with; without it the dashboard is read-only and
    # refuses any --host beyond loopback.
    dashboard_token: SecretStr | None = setting(
        None,
        env="TICKETBOT_DASHBOARD_TOKEN",
        help="The token a browser signs in to the dashboard with; unset: loopback only.",
        applies="dashboard",
    )
    # A reverse proxy's header naming the signed-in user (e.g. X-Forwarded-User): trusted as
    # authentication only when set, for a dashboard reachable through that proxy alone.
    dashboard_proxy_header: str | None = setting(
        None,
        env="TICKETBOT_DASHBOARD_PROXY_HEADER",
        help="A reverse proxy's header naming the signed-in user (e.g. `X-Forwarded-User`), "
        "trusted only when set.",
        applies="dashboard",
    )
    dashboard_review: bool = setting(
        False,
        env="TICKETBOT_DASHBOARD_REVIEW",
        help="The dashboard's review queue: accept or correct suggestions (writes to the "
        "helpdesk).",
        applies="dashboard",
    )
    qa: bool = setting(
        False,
        env="TICKETBOT_QA",
        help="A QA section on a solved or closed ticket's page: was the question answered, was "
        "the customer asked for the same thing twice, the agents' tone (word-list readings, no "
        "LLM call; one conversation read a minute per ticket).",
        applies="dashboard",
    )

    # -- ``ticketbot serve`` (docs/how-to/serve.md) --
    # Zendesk: the webhook's signing secret; Freshdesk: the shared secret of its custom header;
    # ServiceNow: the key its business rule signs each post's body with.
    serve_secret: SecretStr | None = setting(
        None,
        env="TICKETBOT_SERVE_SECRET",
        help="Zendesk's webhook signing secret, the shared secret of Freshdesk's "
        "`X-Ticketbot-Secret` header, or the key ServiceNow's business rule signs its posts "
        "with; unset: webhooks refused.",
        applies="serve",
    )
    serve_token: SecretStr | None = setting(
        None,
        env="TICKETBOT_SERVE_TOKEN",
        help="The triage API's bearer token; unset: the API is refused.",
        applies="serve",
    )
