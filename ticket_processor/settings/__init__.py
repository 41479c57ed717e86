"""Settings: one validated model, read once by the command (``commands/common.load``).

Only the composition root (``run/``) and the commands hold a ``Settings``; every other part is
handed the values it needs (an option record such as ``passes/types.RunOptions``, or parameters).

Each helpdesk's own variables (``ZENDESK_*``, ``FRESHDESK_*``) are its kind's settings model
(a ``HelpdeskSettings`` in ``helpdesks/<kind>/kind.py``); this module composes them: every
kind's settings are read and validated, ``TICKETBOT_HELPDESK`` chooses which one runs. The kinds
are handed in (``read.read_settings(..., kinds=...)``; ``run/connect.load_settings`` passes
``helpdesks.registry.KINDS``), so settings sits below the helpdesks and never imports one.

Precedence, highest first: a command-line flag, the real environment, a ``.env`` file, the
default — the convention of python-dotenv and twelve-factor apps: a ``.env`` never overrides
what the environment says. Every error names the variable and how to fix it. Secrets are
``SecretStr`` so they never print, not even in a traceback or a ``repr``.

A ``.env`` is read by python-dotenv without expansion (``${VAR}`` stays as written; quotes
around a value are removed, a `` #`` after an unquoted one starts a comment, which Docker's
``--env-file`` would keep as part of the value). A
name ticketbot does not know is never dropped without a word: an unknown ``TICKETBOT_*`` name,
an ``OPENAI_*``, ``ZENDESK_*`` or ``FRESHDESK_*`` name close to a known one (``OPENAI_BASEURL``,
``ZENDESK_APITOKEN``), in the environment or the ``.env``, and a lower-case name in the ``.env``
(names are case sensitive, so ``ticketbot_workers`` sets nothing) each give a warning naming
the closest known variable (``name_warnings``). A near miss of ``OPENAI_BASE_URL`` while it is
unset is refused: the fallback would send ticket text to OpenAI's public endpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    SerializeAsAny,
    ValidationInfo,
    field_validator,
)

from ..common.helpdesk_settings import HelpdeskSettings, check_url
from ..common.scrub import Scrubber, short_secret_warnings, url_credentials
from ..errors import either
from ..models import ISO_639_1
from ..resilience.bounds import (
    BATCH_MAX_BYTES,
    HELPDESK_MAX_BYTES,
    LLM_MAX_BYTES,
    WEBHOOK_MAX_BYTES,
)
from .values import (
    FOLLOW_PATTERN,
    parse_duration,
    parse_thresholds,
    parse_workers,
    scope_channels,
)
from .variables import DEFAULT_CACHE_ENTRIES, DEFAULT_MODEL, ENV_VARS, PAGERDUTY_URL, SMTP_FORM

DeskT = TypeVar("DeskT", bound=HelpdeskSettings)


class Settings(BaseModel):
    """Every knob ticketbot has, validated. Build it with ``read_settings``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Every kind's settings, each validated by its own model, by kind name (the kinds
    # ``read_settings`` was given). Before ``helpdesk``, whose check reads them.
    desks: dict[str, SerializeAsAny[HelpdeskSettings]]
    # Which helpdesk runs: one of ``desks`` (``read_settings`` defaults it to the first).
    helpdesk: str
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    state_dir: Path = Path(".ticketbot")
    log_dir: Path = Path("logs")
    taxonomy_file: Path | None = None
    tag_prefix: Annotated[str, Field(pattern=r"^[a-z0-9_]{0,20}$")] = "ai_"
    # Concurrent tickets; "auto": as many LLM calls as the endpoint's latency and limits sustain.
    workers: Annotated[int | Literal["auto"], BeforeValidator(parse_workers)] = "auto"
    confidence_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    llm_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    http_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_input_tokens: Annotated[int, Field(ge=100, le=100_000)] = 2000
    reply_draft: bool = False
    # The spam gate (spam/): new tickets no customer wrote are tagged and kept from answers,
    # escalation and incidents; false: every ticket is triaged as a customer's.
    spam_gate: bool = True
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 30
    alert_webhook: SecretStr | None = None
    # -- escalations where people are (alerts/channels.py; README, "Escalation channels") --
    # PagerDuty's Events API v2: the integration's routing key (a secret) and its endpoint.
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: str = PAGERDUTY_URL
    # E-mail: smtp://user:password@host:port (or smtps://; the password makes it a secret),
    # the recipients (comma-separated) and the sender (default ticketbot@<this host>).
    smtp_url: SecretStr | None = None
    alert_email: Annotated[str | None, Field(validate_default=True)] = None
    alert_email_from: str | None = None
    # Microsoft Teams: a channel's incoming webhook or Workflows URL (it carries its key).
    teams_webhook: SecretStr | None = None
    # A JSON webhook signed with HMAC-SHA256: the URL and the signing secret.
    alert_json_url: SecretStr | None = None
    alert_json_secret: Annotated[SecretStr | None, Field(validate_default=True)] = None
    # Share of tickets that must be triaged (not failed); below it health degrades and alerts.
    success_objective: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    # Per-model USD per million tokens, "model=IN/OUT,..." over report.DEFAULT_PRICES.
    prices: str | None = None
    # Which tickets ticketbot may touch ("brand=1;channel=email,web"); see writeback/scope.py.
    scope: str | None = None
    # Routing and escalation rules (routes.toml); None: no routing, nothing changes.
    routes_file: Path | None = None
    # What ticketbot fills into the helpdesk's own fields (fields.toml); None: nothing.
    fields_file: Path | None = None
    # The helpdesk text field ticketbot keeps a running summary of the conversation in (its
    # title, or its id; Freshdesk: its cf_ name); None: no summary is written.
    summary_field: str | None = None
    # Answering the customer (answers/): the global mode (off, draft, send, auto) and the
    # per-category policy file (answers.toml: modes, thresholds, the auto ladder).
    answer_mode: Literal["off", "draft", "send", "auto"] = "off"
    answers_file: Path | None = None
    # Per field, the calibrated confidence to apply at and to suggest at ("category=0.95,
    # urgency=0.9", or one number for all); unset: what the engine's calibration chose.
    apply_at: str | None = None
    suggest_at: str | None = None
    # Shadow mode: runs triage and plan but write nothing; decisions go to the log.
    shadow: bool = False
    # Re-triage on customers' replies (run/replies.py); false: first messages only.
    retriage: bool = True
    # The learned model first, the LLM only where it is not sure enough (triage/cascade.py).
    cascade: bool = False
    # The fields the learned model must be sure of for the cascade to spare the LLM call.
    cascade_fields: str = "category,urgency,sentiment"
    # Each run's figures for Prometheus (metrics/export.py): pushed to a Pushgateway (its URL may
    # carry credentials, so it is a secret) and/or written for node_exporter's textfile collector.
    metrics_pushgateway: SecretStr | None = None
    metrics_textfile: Path | None = None
    # One LLM budget for every process on the same key (llm_client/budget.py): a Redis URL (it
    # may carry a password: a secret), the key prefix (default: one per API key and endpoint),
    # and the calls and tokens a minute the provider allows the organisation.
    llm_budget: SecretStr | None = None
    llm_budget_key: str | None = None
    llm_rpm: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    llm_tpm: Annotated[int, Field(ge=1, le=10_000_000_000)] | None = None
    # The helpdesk account's writes a minute in that budget (default: the helpdesk's documented).
    helpdesk_writes_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = None

    @field_validator("cascade_fields")
    @classmethod
    def _check_cascade_fields(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in ("category", "urgency", "sentiment", "subcategory")]
        if not names or unknown:
            raise ValueError(
                "must list fields among category, urgency, sentiment, subcategory, comma-separated"
            )
        return ",".join(names)

    # Where agents' labels are, for the shadow agreement: "category=tag:team_cat_;urgency=
    # field:Urgency" (as `learn --label`); unset: ticketbot's own tag names.
    shadow_labels: str | None = None
    # The learned engine's model file; unset: <state dir>/learned-model.zip, else the bundled one.
    learned_model: Path | None = None
    # Help-centre suggestions in the note (kb): how many (0: off), and how old the local
    # index may be before a run syncs it (seconds; the variable also takes 30m, 24h, 2d).
    kb_suggestions: Annotated[int, Field(ge=0, le=10)] = 3
    # The language agents read (ISO 639-1): the note's labels, sentences and suggestions, and,
    # with an LLM, its summary and the translation of a customer's message in another language.
    # A route's group may name its own (routes.toml, ``agent_language``).
    agent_language: str = "en"
    kb_max_age: Annotated[float, Field(gt=0, le=365 * 86400), BeforeValidator(parse_duration)] = (
        86400.0
    )
    # Names in the environment or .env that set nothing (misspelt, lower case): one line each.
    name_warnings: tuple[str, ...] = ()
    # Analyses the content-hash cache keeps across runs (LRU), held for the whole run: ~0.5 KB
    # each in memory (packed JSON), 5,000 ~3 MB. A backfill's batch is never larger.
    cache_entries: Annotated[int, Field(ge=1, le=1_000_000)] = DEFAULT_CACHE_ENTRIES

    # -- bounds on every outbound call (docs/operations.md, "Bounds on outbound calls") --
    # A webhook post (alerts, escalations) in all, answer included: a webhook that trickles
    # its answer must not hold the run (and its lock).
    webhook_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    # The most bytes one answer may bring, counted after decompression; past it the call
    # fails with a message naming the variable. Each is far above the largest legitimate
    # answer of its kind: a webhook says "ok"; a chat completion of max_tokens 1200 is ~10 KB
    # (a model list a few hundred KB); a 1,000-ticket Zendesk export page at Zendesk's
    # 64 KB-per-comment limit is at most ~70 MB (typical: 2-5 MB); a batch output file is
    # read a line at a time, each line under the LLM cap, so its cap costs no memory.
    webhook_max_bytes: Annotated[int, Field(ge=1024)] = WEBHOOK_MAX_BYTES
    llm_max_bytes: Annotated[int, Field(ge=1024)] = LLM_MAX_BYTES
    helpdesk_max_bytes: Annotated[int, Field(ge=1024)] = HELPDESK_MAX_BYTES
    batch_max_bytes: Annotated[int, Field(ge=1024)] = BATCH_MAX_BYTES

    # -- the audit store (ticket_processor/audit, docs/audit.md) --
    # Where every decision is stored: unset, audit.sqlite3 in the state directory; a
    # postgresql://user:password@host/db URL, a PostgreSQL database many accounts share.
    # Secret: the URL carries the database's password.
    database_url: SecretStr | None = None
    # Subjects stored as the helpdesk has them (card numbers, e-mails and names included) rather
    # than redacted as the LLM gets them: for an installation whose store is as private as the
    # helpdesk. Rows already stored keep what they were stored with.
    audit_raw_subjects: bool = False

    # -- the dashboard (`ticketbot dashboard`, README "The dashboard") --
    # The token a browser or a client signs in with; without it the dashboard is read-only and
    # refuses any --host beyond loopback.
    dashboard_token: SecretStr | None = None
    # A reverse proxy's header naming the signed-in user (e.g. X-Forwarded-User): trusted as
    # authentication only when set, for a dashboard reachable through that proxy alone.
    dashboard_proxy_header: str | None = None
    # The review queue (accept or correct suggestions, which writes to the helpdesk).
    dashboard_review: bool = False

    # -- ``ticketbot serve`` (README, "serve") --
    # Zendesk: the webhook's signing secret; Freshdesk: the shared secret of its custom header.
    serve_secret: SecretStr | None = None
    # The triage API's bearer token.
    serve_token: SecretStr | None = None
    # -- many tickets about one thing (ticket_processor/incidents) --
    # Incidents and repeat tickets: off by default, as it changes tickets' type and links.
    incidents: bool = False
    # How far back the recent tickets are remembered (seconds; also 12h, 7d).
    incident_window: Annotated[
        float, Field(ge=3600, le=90 * 86400), BeforeValidator(parse_duration)
    ] = 7 * 86400.0
    # Merge a repeat ticket into the earlier one (the helpdesk's merge), not only flag it.
    auto_merge: bool = False
    # What a linked report takes from its incident's problem or tracker ticket.
    incident_follow: Annotated[str, Field(pattern=FOLLOW_PATTERN)] = "group,priority"

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            names = tuple(part.strip() for part in value.split(",") if part.strip())
            if not names:
                raise ValueError("must name at least one model")
            return names
        return value

    @field_validator("helpdesk", mode="before")
    @classmethod
    def _check_helpdesk(cls, value: object, info: ValidationInfo) -> object:
        value = value.strip().lower() if isinstance(value, str) else value
        kinds = list(info.data.get("desks", {}))
        if value not in kinds:
            raise ValueError(f"Input should be {either([repr(name) for name in kinds])}")
        return value

    _check_url = field_validator("openai_base_url", mode="before")(check_url)

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database(cls, value: object) -> object:
        # Checked when read, so a dry run (which may open no store) refuses what a real run
        # would; the message never quotes the URL (it carries the password).
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and text.strip():
            scheme = text.strip().partition("://")[0].lower()
            if scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
                raise ValueError(
                    "must be a postgresql:// URL (postgresql://host:5432/database with the "
                    f"user and password before the host), not {scheme[:20]!r}"
                )
        return value

    @field_validator("agent_language", mode="before")
    @classmethod
    def _check_agent_language(cls, value: object) -> object:
        code = value.strip().lower() if isinstance(value, str) else value
        if not isinstance(code, str) or code not in ISO_639_1:
            raise ValueError("must be an ISO 639-1 language code such as en, de or fr")
        return code

    @field_validator("smtp_url", mode="before")
    @classmethod
    def _check_smtp(cls, value: object) -> object:
        # The message never quotes the URL: it carries the password. Its hint has placeholders
        # in angle brackets: a plain user:password@ would be masked as a URL's credentials.
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and text.strip():
            scheme = text.strip().partition("://")[0].lower()
            if scheme not in ("smtp", "smtps") or "://" not in text:
                raise ValueError(
                    f"must be {SMTP_FORM} (STARTTLS when the server offers "
                    f"it) or smtps://... (TLS from the start), not {scheme[:20]!r}"
                )
        return value

    @field_validator("alert_email")
    @classmethod
    def _check_mail_pair(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A TICKETBOT_SMTP_URL that failed its own check is absent here: its error says it all.
        given = "smtp_url" in info.data
        if given and bool(value and value.strip()) != (info.data["smtp_url"] is not None):
            raise ValueError(
                "TICKETBOT_SMTP_URL and TICKETBOT_ALERT_EMAIL go together (the server to send "
                "through and the recipients): set both, or neither"
            )
        for address in (value or "").replace(";", ",").split(","):
            address = address.strip()
            if address and ("@" not in address or any(c.isspace() for c in address)):
                raise ValueError(
                    f"{address!r} is not an e-mail address; give addresses separated by commas"
                )
        return value

    @field_validator("alert_json_secret")
    @classmethod
    def _check_json_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        given = "alert_json_url" in info.data  # absent: it failed its own check, said already
        if given and (value is not None) != (info.data["alert_json_url"] is not None):
            raise ValueError(
                "TICKETBOT_ALERT_JSON_URL and TICKETBOT_ALERT_JSON_SECRET go together (every "
                "post is signed with the secret): set both, or neither"
            )
        return value

    @field_validator("apply_at", "suggest_at")
    @classmethod
    def _check_thresholds(cls, value: str | None) -> str | None:
        parse_thresholds(value, setting="value")  # raises ValueError with what is wrong
        return value

    # -- resolved values -------------------------------------------------------------

    @property
    def desk(self) -> HelpdeskSettings:
        """The chosen helpdesk's settings (``TICKETBOT_HELPDESK``)."""
        return self.desks[self.helpdesk]

    def desk_settings(self, kind: type[DeskT]) -> DeskT:
        """The settings of the helpdesk whose model is ``kind``, chosen or not."""
        for desk in self.desks.values():
            if isinstance(desk, kind):
                return desk
        raise LookupError(f"no {kind.__name__} in these settings")

    @property
    def helpdesk_base_url(self) -> str:
        return self.desk.base_url

    def require_helpdesk(self) -> None:
        """Raise a ConfigError naming the first missing setting of the chosen helpdesk."""
        self.desk.require()

    @property
    def llm_configured(self) -> bool:
        """True when an LLM endpoint is configured (an OpenAI key or a compatible base URL)."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values, for scrubbing anything that might echo them.

        The userinfo of a URL setting (``https://user:pass@host``) and its secret-looking query
        values (``?api-key=...``) count as secrets too.
        """
        desks = tuple(secret for desk in self.desks.values() for secret in desk.secrets)
        values = (
            self.openai_api_key,
            self.alert_webhook,
            self.pagerduty_routing_key,
            self.smtp_url,
            self.teams_webhook,
            self.alert_json_url,
            self.alert_json_secret,
            self.metrics_pushgateway,
            self.llm_budget,
            self.dashboard_token,
            self.serve_secret,
            self.serve_token,
        )
        found = tuple(v.get_secret_value() for v in values if v and v.get_secret_value())
        database = self.database_url.get_secret_value() if self.database_url else None
        smtp = self.smtp_url.get_secret_value() if self.smtp_url else None
        return (
            desks
            + found
            + url_credentials(self.openai_base_url)
            + url_credentials(database)
            + url_credentials(smtp)
        )

    def scrubber(self) -> Scrubber:
        """The one scrubber for everything this configuration might leak (see ``common.scrub``)."""
        identities = tuple(who for desk in self.desks.values() for who in desk.identities)
        return Scrubber(self.secrets, identities=identities)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration that works but deserves a word on stderr (printed once by the CLI)."""
        named = {
            var: value
            for desk in self.desks.values()
            for var, value in desk.short_secret_candidates.items()
        }
        if self.openai_api_key is not None:
            named[ENV_VARS["openai_api_key"]] = self.openai_api_key.get_secret_value()
        return (
            self.name_warnings
            + tuple(short_secret_warnings(named))
            + self._scope_channel_warnings()
        )

    def _scope_channel_warnings(self) -> tuple[str, ...]:
        """A ``TICKETBOT_SCOPE`` channel the configured helpdesk's tickets never carry (a typo
        such as ``channel=emial``): every ticket would be silently out of scope."""
        desk = self.desks.get(self.helpdesk)
        known = desk.CHANNELS if desk is not None else ()
        unknown = [c for c in scope_channels(self.scope) if known and c not in known]
        if not unknown:
            return ()
        return (
            f"TICKETBOT_SCOPE: channel {', '.join(map(repr, unknown))} is not a channel of "
            f"{self.helpdesk} tickets, so no ticket matches it; the channels are "
            f"{', '.join(known)}",
        )
