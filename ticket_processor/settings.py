"""Settings: one validated model, read once by the command (``commands/common.load``).

Only the composition root (``run/``) and the commands hold a ``Settings``; every other part is
handed the values it needs (an option record such as ``run/types.RunOptions``, or parameters).

Each helpdesk's own variables (``ZENDESK_*``, ``FRESHDESK_*``) are its kind's settings model
(a ``HelpdeskSettings`` in ``helpdesks/<kind>/kind.py``); this module composes them: every
kind's settings are read and validated, ``TICKETBOT_HELPDESK`` chooses which one runs. The kinds
are handed in (``read_settings(..., kinds=...)``; ``run/configure.load_settings`` passes
``helpdesks.registry.KINDS``), so settings sits below the helpdesks and never imports one.

Precedence, highest first: a command-line flag, the real environment, a ``.env`` file, the
default — the convention of python-dotenv and twelve-factor apps: a ``.env`` never overrides
what the environment says. Every error names the variable and how to fix it. Secrets are
``SecretStr`` so they never print, not even in a traceback or a ``repr``.

A ``.env`` is read as Docker's ``--env-file`` reads it: values are literal, ``${VAR}`` is not
expanded (the same file then means the same thing to ``ticketbot`` and to ``docker run``). A
name ticketbot does not know is never dropped without a word: an unknown ``TICKETBOT_*`` name,
an ``OPENAI_*``, ``ZENDESK_*`` or ``FRESHDESK_*`` name close to a known one (``OPENAI_BASEURL``,
``ZENDESK_APITOKEN``), in the environment or the ``.env``, and a lower-case name in the ``.env``
(names are case sensitive, so ``ticketbot_workers`` sets nothing) each give a warning naming
the closest known variable (``name_warnings``). A near miss of ``OPENAI_BASE_URL`` while it is
unset is refused: the fallback would send ticket text to OpenAI's public endpoint.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, TypeVar

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from .common.env_names import refuse_public_fallback, unknown_name_warnings
from .common.helpdesk_settings import HelpdeskSettings, check_url
from .common.scrub import Scrubber, display_url, short_secret_warnings, url_credentials
from .errors import ConfigError, either, plain_message
from .resilience.bounds import (
    BATCH_MAX_BYTES,
    HELPDESK_MAX_BYTES,
    LLM_MAX_BYTES,
    WEBHOOK_MAX_BYTES,
)

DEFAULT_MODEL = "gpt-4o-mini"
# Duplicates (a customer writing twice, an outage's flood) arrive close together: the most
# recent 5,000 analyses catch them. The cache is read whole at the start of every run, so an
# uncapped one would grow a run's memory with the backlog (TICKETBOT_CACHE_ENTRIES).
DEFAULT_CACHE_ENTRIES = 5_000
# The fields a calibrated threshold may name (TICKETBOT_APPLY_AT, TICKETBOT_SUGGEST_AT).
CALIBRATED_FIELDS = ("category", "subcategory", "urgency", "sentiment")

# Field name -> environment variable. The variable names are the user-facing contract; each
# helpdesk's own are in its kind's settings model (``HelpdeskSettings.ENV_VARS``).
ENV_VARS: dict[str, str] = {
    "helpdesk": "TICKETBOT_HELPDESK",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "models": "TICKETBOT_MODEL",
    "state_dir": "TICKETBOT_STATE_DIR",
    "log_dir": "TICKETBOT_LOG_DIR",
    "taxonomy_file": "TICKETBOT_TAXONOMY",
    "tag_prefix": "TICKETBOT_TAG_PREFIX",
    "workers": "TICKETBOT_WORKERS",
    "confidence_threshold": "TICKETBOT_CONFIDENCE_THRESHOLD",
    "llm_timeout": "TICKETBOT_LLM_TIMEOUT",
    "http_timeout": "TICKETBOT_HTTP_TIMEOUT",
    "max_input_tokens": "TICKETBOT_MAX_INPUT_TOKENS",
    "reply_draft": "TICKETBOT_REPLY_DRAFT",
    "keep_days": "TICKETBOT_KEEP_DAYS",
    "alert_webhook": "TICKETBOT_ALERT_WEBHOOK",
    "success_objective": "TICKETBOT_SUCCESS_OBJECTIVE",
    "prices": "TICKETBOT_PRICES",
    "scope": "TICKETBOT_SCOPE",
    "routes_file": "TICKETBOT_ROUTES",
    "fields_file": "TICKETBOT_FIELDS",
    "apply_at": "TICKETBOT_APPLY_AT",
    "shadow": "TICKETBOT_SHADOW",
    "retriage": "TICKETBOT_RETRIAGE",
    "cascade": "TICKETBOT_CASCADE",
    "cascade_fields": "TICKETBOT_CASCADE_FIELDS",
    "shadow_labels": "TICKETBOT_SHADOW_LABELS",
    "suggest_at": "TICKETBOT_SUGGEST_AT",
    "learned_model": "TICKETBOT_LEARNED_MODEL",
    "kb_suggestions": "TICKETBOT_KB_SUGGESTIONS",
    "kb_max_age": "TICKETBOT_KB_MAX_AGE",
    "cache_entries": "TICKETBOT_CACHE_ENTRIES",
    "webhook_timeout": "TICKETBOT_WEBHOOK_TIMEOUT",
    "webhook_max_bytes": "TICKETBOT_WEBHOOK_MAX_BYTES",
    "llm_max_bytes": "TICKETBOT_LLM_MAX_BYTES",
    "helpdesk_max_bytes": "TICKETBOT_HELPDESK_MAX_BYTES",
    "batch_max_bytes": "TICKETBOT_BATCH_MAX_BYTES",
    "metrics_pushgateway": "TICKETBOT_METRICS_PUSHGATEWAY",
    "metrics_textfile": "TICKETBOT_METRICS_TEXTFILE",
    "llm_budget": "TICKETBOT_LLM_BUDGET",
    "llm_budget_key": "TICKETBOT_LLM_BUDGET_KEY",
    "llm_rpm": "TICKETBOT_LLM_RPM",
    "llm_tpm": "TICKETBOT_LLM_TPM",
    "helpdesk_writes_per_minute": "TICKETBOT_HELPDESK_WRITES_PER_MINUTE",
    "database_url": "TICKETBOT_DATABASE_URL",
    "dashboard_token": "TICKETBOT_DASHBOARD_TOKEN",
    "dashboard_proxy_header": "TICKETBOT_DASHBOARD_PROXY_HEADER",
    "dashboard_review": "TICKETBOT_DASHBOARD_REVIEW",
    # ``ticketbot serve`` (serve/): webhooks in, the triage API, the delivery queue's engine.
    "serve_secret": "TICKETBOT_SERVE_SECRET",
    "serve_token": "TICKETBOT_SERVE_TOKEN",
    "answer_mode": "TICKETBOT_ANSWER_MODE",
    "answers_file": "TICKETBOT_ANSWERS",
    "incidents": "TICKETBOT_INCIDENTS",
    "incident_window": "TICKETBOT_INCIDENT_WINDOW",
    "auto_merge": "TICKETBOT_AUTO_MERGE",
    "incident_follow": "TICKETBOT_INCIDENT_FOLLOW",
}

_HINTS: dict[str, str] = {
    "TICKETBOT_MODEL": "a comma-separated list such as gpt-4o-mini,llama3.1",
    "TICKETBOT_KB_MAX_AGE": "seconds, or a number with s, m, h or d such as 24h",
    "TICKETBOT_INCIDENT_WINDOW": "seconds, or a number with s, m, h or d such as 7d",
    "TICKETBOT_INCIDENT_FOLLOW": "group,priority, group, priority or none",
    "TICKETBOT_TAG_PREFIX": "up to 20 lower-case letters, digits or underscores",
}
_FOLLOW = r"^(none|(group|priority)(, ?(group|priority))?)$"

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _parse_duration(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().lower()
        unit = _DURATION_UNITS.get(text[-1:]) if text else None
        number = text[:-1] if unit else text
        try:
            return float(number) * (unit or 1.0)
        except ValueError:
            raise ValueError("must be a duration such as 3600, 90m, 24h or 2d") from None
    return value


def _parse_workers(value: object) -> object:
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        number = int(text)
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 1 <= number <= 256:
        raise ValueError("must be auto or a number from 1 to 256")
    return number


class HelpdeskKindSettings(Protocol):
    """What settings needs of a helpdesk kind (``helpdesks.descriptor.HelpdeskKind``): its
    settings model. ``read_settings`` takes them by kind name, the default kind first."""

    @property
    def settings(self) -> type[HelpdeskSettings]: ...


def parse_thresholds(text: str | None, *, setting: str) -> dict[str, float]:
    """``"category=0.9,urgency=0.8"`` (or one number for every field) as a mapping; a bad entry
    raises ValueError naming ``setting``."""
    if not text or not text.strip():
        return {}
    text = text.strip()
    try:
        single = float(text)
    except ValueError:
        single = None
    if single is not None:
        if not 0 <= single <= 1:
            raise ValueError(f"{setting}: {text!r} is not between 0 and 1")
        return dict.fromkeys(CALIBRATED_FIELDS, single)
    found: dict[str, float] = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or name not in CALIBRATED_FIELDS:
            raise ValueError(
                f"{setting}: {part.strip()!r}: expected FIELD=NUMBER with FIELD one of "
                f"{', '.join(CALIBRATED_FIELDS)} (e.g. category=0.95,urgency=0.9)"
            )
        try:
            number = float(value)
        except ValueError:
            raise ValueError(
                f"{setting}: {part.strip()!r}: {value.strip()!r} is not a number"
            ) from None
        if not 0 <= number <= 1:
            raise ValueError(f"{setting}: {part.strip()!r}: must be between 0 and 1")
        found[name] = number
    return found


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
    workers: Annotated[int | Literal["auto"], BeforeValidator(_parse_workers)] = "auto"
    confidence_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    llm_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    http_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_input_tokens: Annotated[int, Field(ge=100, le=100_000)] = 2000
    reply_draft: bool = False
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 30
    alert_webhook: SecretStr | None = None
    # Share of tickets that must be triaged (not failed); below it health degrades and alerts.
    success_objective: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    # Per-model USD per million tokens, "model=IN/OUT,..." over report.DEFAULT_PRICES.
    prices: str | None = None
    # Which tickets ticketbot may touch ("brand=1;channel=email,web"); see run/scope.py.
    scope: str | None = None
    # Routing and escalation rules (routes.toml); None: no routing, nothing changes.
    routes_file: Path | None = None
    # What ticketbot fills into the helpdesk's own fields (fields.toml); None: nothing.
    fields_file: Path | None = None
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
    # Each run's figures for Prometheus (run/metrics.py): pushed to a Pushgateway (its URL may
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
    kb_max_age: Annotated[float, Field(gt=0, le=365 * 86400), BeforeValidator(_parse_duration)] = (
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
        float, Field(ge=3600, le=90 * 86400), BeforeValidator(_parse_duration)
    ] = 7 * 86400.0
    # Merge a repeat ticket into the earlier one (the helpdesk's merge), not only flag it.
    auto_merge: bool = False
    # What a linked report takes from its incident's problem or tracker ticket.
    incident_follow: Annotated[str, Field(pattern=_FOLLOW)] = "group,priority"

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
            self.metrics_pushgateway,
            self.llm_budget,
            self.dashboard_token,
            self.serve_secret,
            self.serve_token,
        )
        found = tuple(v.get_secret_value() for v in values if v and v.get_secret_value())
        database = self.database_url.get_secret_value() if self.database_url else None
        return desks + found + url_credentials(self.openai_base_url) + url_credentials(database)

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
        return self.name_warnings + tuple(short_secret_warnings(named))


def read_settings(
    environ: Mapping[str, str],
    *,
    kinds: Mapping[str, HelpdeskKindSettings],
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge ``.env`` < environment < flags and validate once, for the helpdesk ``kinds``
    (by name, the default first).

    ``overrides`` are flag values keyed by field name; ``None`` means "flag not given".
    """
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        check_env_file(env_file)
        file_values = read_env_file(env_file)
    known = known_variables(kinds)
    refuse_public_fallback(environ, file_values, env_file=env_file, known=known)
    name_warnings = unknown_name_warnings(environ, file_values, env_file=env_file, known=known)
    flags = {field: value for field, value in (overrides or {}).items() if value is not None}

    def gather(env_vars: Mapping[str, str]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for field, var in env_vars.items():
            for source in (file_values, environ):  # the environment wins over the file
                value = source.get(var)
                if value is not None and value != "":
                    raw[field] = value
            if field in flags:
                raw[field] = flags[field]
        return raw

    problems: list[str] = []
    desks: dict[str, HelpdeskSettings] = {}
    for name, kind in kinds.items():
        try:
            desks[name] = kind.settings(**gather(kind.settings.ENV_VARS))
        except ValidationError as exc:
            problems.extend(kind.settings.describe(exc))
    core = {"helpdesk": next(iter(kinds)), **gather(ENV_VARS)}
    try:
        settings = Settings(**core, desks=desks, name_warnings=name_warnings)
    except ValidationError as exc:
        problems[:0] = _describe(exc)
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


# Read outside ``Settings`` (the account profile, in ``commands/common``), still ticketbot's.
OTHER_VARS = ("TICKETBOT_ACCOUNT", "TICKETBOT_ACCOUNTS")
PREFIX = "TICKETBOT_"


def read_env_file(path: Path) -> dict[str, str | None]:
    """The ``.env``'s values, literal as Docker's ``--env-file`` takes them (no ``${VAR}``)."""
    return dict(dotenv_values(path, interpolate=False))


def known_variables(kinds: Mapping[str, HelpdeskKindSettings]) -> tuple[str, ...]:
    """Every variable ticketbot reads: its own, every helpdesk kind's, the account profile's."""
    desks = [var for kind in kinds.values() for var in kind.settings.ENV_VARS.values()]
    return tuple(sorted({*ENV_VARS.values(), *desks, *OTHER_VARS}))


def check_env_file(path: Path) -> None:
    """Raise a ``ConfigError`` naming ``path`` and the lines python-dotenv cannot parse.

    python-dotenv only logs a warning without the file's name and drops the setting, so a
    typo in ``.env`` silently changes what runs. A name without ``=`` counts as malformed too
    (python-dotenv reads it as "no value", so it sets nothing; it is usually a value pasted on
    a line of its own). The message gives line numbers, never the line's text: a malformed
    line is often a pasted secret.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the settings file ({why or exc})") from None
    bad = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raw = binding.original.string
            # A binding's text starts with the blank lines before it; count past them.
            bad.append(binding.original.line + len(raw) - len(raw.lstrip("\r\n")))
    if bad:
        where = f"line {bad[0]}" if len(bad) == 1 else f"lines {', '.join(map(str, bad))}"
        raise ConfigError(
            f"{path}, {where}: not a NAME=value line; fix or remove it "
            "(quote a value that holds spaces or #, and close every quote)"
        )


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        var = ENV_VARS.get(field, field)
        hint = _HINTS.get(var)
        said = str(error["msg"])  # a pattern is no help to a reader: the hint says it
        if error["type"] == "string_pattern_mismatch":
            said = f"{error['input']!r} is not a value it takes"
        message = f"{var}: {plain_message(said)}"
        lines.append(f"{message} ({hint})" if hint else message)
    return lines


def describe_settings(
    environ: Mapping[str, str], *, env_file: Path | None, settings: Settings
) -> list[dict[str, str]]:
    """Every setting's effective value (secrets masked) and where it came from: ``environment``,
    the ``.env`` file's name, or ``default``; ``settings`` are those ``read_settings`` read from
    the same sources."""
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        file_values = read_env_file(env_file)
    rows = []
    scrubber = settings.scrubber()
    for owner, name, var in _every_variable(settings):
        if environ.get(var):
            source = "environment"
        elif file_values.get(var):
            source = str(env_file)
        else:
            source = "default"
        value = getattr(owner, name)
        if isinstance(value, SecretStr):
            shown = (
                "****" + value.get_secret_value()[-2:]
                if len(value.get_secret_value()) >= 12
                else "****"
            )
        elif isinstance(value, tuple):
            shown = ",".join(str(v) for v in value)
        else:
            shown = "" if value is None else str(value)
            # A URL setting may carry credentials: user:password@, ?api-key=...
            shown = scrubber.text(display_url(shown) if "://" in shown else shown)
        rows.append({"variable": var, "value": shown or "(not set)", "source": source})
    return rows


def _every_variable(settings: Settings) -> list[tuple[BaseModel, str, str]]:
    """(the model holding it, field, variable) for every setting: the helpdesk choice, each
    kind's variables in registry order, then the rest."""
    core: list[tuple[BaseModel, str, str]] = [
        (settings, name, var) for name, var in ENV_VARS.items()
    ]
    desks: list[tuple[BaseModel, str, str]] = [
        (desk, name, var)
        for desk in settings.desks.values()
        for name, var in type(desk).ENV_VARS.items()
    ]
    return core[:1] + desks + core[1:]
