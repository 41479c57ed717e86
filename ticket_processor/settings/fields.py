"""Every setting, declared once: its variable, type, default, one-line help and where it
applies (``common.setting.setting``). ``Settings`` (the package's face, in ``__init__``) adds the
checks that read several settings together and the values resolved from them; the docs' settings
page (``docs/reference/settings.md``), ``ticketbot config`` and the near-miss warnings read these
fields, so a new setting is a field here and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, SecretStr, SerializeAsAny

from ..common.helpdesk_settings import HelpdeskSettings
from ..common.setting import EVERY_COMMAND, setting
from .service import ServiceSettings
from .values import FOLLOW_PATTERN, parse_duration, parse_workers
from .variables import DEFAULT_CACHE_ENTRIES, DEFAULT_MODEL, PAGERDUTY_URL


class DeclaredSettings(ServiceSettings):
    """The settings' fields (the bounds, the store, the dashboard's and serve's in
    ``ServiceSettings``); ``Settings`` is this with its checks and resolved values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Every kind's settings, each validated by its own model, by kind name (the kinds
    # ``read_settings`` was given). Before ``helpdesk``, whose check reads them.
    desks: dict[str, SerializeAsAny[HelpdeskSettings]]
    # Which helpdesk runs: one of ``desks`` (``read_settings`` defaults it to the first).
    helpdesk: str = setting(
        ...,
        env="TICKETBOT_HELPDESK",
        help="Which helpdesk ticketbot works on: `zendesk`, `freshdesk` or `servicenow` (default "
        "`zendesk`).",
        applies=EVERY_COMMAND,
    )
    openai_api_key: SecretStr | None = setting(
        None,
        env="OPENAI_API_KEY",
        help="The key for OpenAI or an OpenAI-compatible endpoint; without it or "
        "`OPENAI_BASE_URL`, the learned model triages.",
    )
    openai_base_url: str | None = setting(
        None,
        env="OPENAI_BASE_URL",
        help="An OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp); unset with a key: OpenAI.",
    )
    models: tuple[str, ...] = setting(
        (DEFAULT_MODEL,),
        env="TICKETBOT_MODEL",
        help="The model, or a comma-separated fallback list tried in order.",
        hint="a comma-separated list such as gpt-4o-mini,llama3.1",
    )
    state_dir: Path = setting(
        Path(".ticketbot"),
        env="TICKETBOT_STATE_DIR",
        help="The state directory: cursor, breakers, cache, lock, audit store, models.",
        applies=EVERY_COMMAND,
    )
    cache_dir: Path | None = setting(
        None,
        env="TICKETBOT_CACHE_DIR",
        help="Where files ticketbot can make again are kept (the encoder's 65 MB token table), "
        "shared by every installation and state directory that names it. Unset: each state "
        "directory keeps its own.",
        applies="run, backfill, serve",
    )
    log_dir: Path = setting(
        Path("logs"),
        env="TICKETBOT_LOG_DIR",
        help="Where the JSON-lines logs go, one file a day.",
        applies=EVERY_COMMAND,
    )
    taxonomy_file: Path | None = setting(
        None,
        env="TICKETBOT_TAXONOMY",
        help="Your own taxonomy (TOML; copy `ticket_processor/default_taxonomy.toml`); unset: "
        "the built-in one.",
    )
    tag_prefix: Annotated[str, Field(pattern=r"^[a-z0-9_]{0,20}$")] = setting(
        "ai_",
        env="TICKETBOT_TAG_PREFIX",
        help="The prefix of every tag ticketbot adds.",
        hint="up to 20 lower-case letters, digits or underscores",
    )
    workers: Annotated[int | Literal["auto"], BeforeValidator(parse_workers)] = setting(
        "auto",
        env="TICKETBOT_WORKERS",
        help="Concurrent tickets: 1-256, or `auto` (starts at 4 and doubles while the LLM's "
        "latency holds, under its announced limits; without an LLM, the cores, at most 8).",
    )
    confidence_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = setting(
        0.5,
        env="TICKETBOT_CONFIDENCE_THRESHOLD",
        help="Below this confidence, no priority change, no route acts (so no group and no "
        "escalation; a route with `confidence_below` does) and an `ai_low_confidence` tag; the "
        "note says so.",
    )
    llm_timeout: Annotated[float, Field(gt=0, le=600)] = setting(
        30.0, env="TICKETBOT_LLM_TIMEOUT", help="Seconds an LLM call may take."
    )
    http_timeout: Annotated[float, Field(gt=0, le=600)] = setting(
        30.0,
        env="TICKETBOT_HTTP_TIMEOUT",
        help="Seconds a helpdesk call may take.",
        applies=EVERY_COMMAND,
    )
    max_input_tokens: Annotated[int, Field(ge=100, le=100_000)] = setting(
        2000,
        env="TICKETBOT_MAX_INPUT_TOKENS",
        help="The ticket text's budget in tokens sent to the LLM; longer bodies are cut.",
    )
    reply_draft: bool = setting(
        False, env="TICKETBOT_REPLY_DRAFT", help="Also ask the LLM for a reply draft in the note."
    )
    # The spam gate (spam/): new tickets no customer wrote are tagged and kept from answers,
    # escalation and incidents; false: every ticket is triaged as a customer's.
    spam_gate: bool = setting(
        True,
        env="TICKETBOT_SPAM_GATE",
        help="Judge each new ticket's sender (spam, phishing, machines' mail); `false`: every "
        "ticket is a customer's.",
    )
    # Senders the gate knows as customers (addresses, or @domains): the head alone only
    # suggests on their tickets, as on any requester of an organisation.
    spam_known_senders: tuple[str, ...] = setting(
        (),
        env="TICKETBOT_SPAM_KNOWN_SENDERS",
        help="Customers' addresses or `@domains`, comma-separated, whose tickets the spam gate "
        "only suggests on unless the helpdesk or the LLM agrees.",
        hint="a comma-separated list such as billing@acme.example,@partner.example",
    )
    keep_days: Annotated[int, Field(ge=1, le=3650)] = setting(
        30,
        env="TICKETBOT_KEEP_DAYS",
        help="Days of logs and audit-store rows kept.",
        applies=EVERY_COMMAND,
    )
    alert_webhook: SecretStr | None = setting(
        None,
        env="TICKETBOT_ALERT_WEBHOOK",
        help="A Slack-compatible webhook for alerts (a run that failed, the success objective "
        "missed).",
    )
    # -- escalations where people are (alerts/channels.py; docs/how-to/escalations.md) --
    # PagerDuty's Events API v2: the integration's routing key (a secret) and its endpoint.
    pagerduty_routing_key: SecretStr | None = setting(
        None,
        env="TICKETBOT_PAGERDUTY_ROUTING_KEY",
        help="A PagerDuty Events API v2 integration key: escalations page; unset: no paging.",
    )
    pagerduty_url: str = setting(
        PAGERDUTY_URL, env="TICKETBOT_PAGERDUTY_URL", help="The Events API v2 endpoint."
    )
    # E-mail: smtp://user:password@host:port (or smtps://; the password makes it a secret),
    # the recipients (comma-separated) and the sender (default ticketbot@<this host>).
    smtp_url: SecretStr | None = setting(
        None,
        env="TICKETBOT_SMTP_URL",
        help="`smtp://user:password@host:port` (STARTTLS when offered) or `smtps://...`, for "
        "escalation mails and the daily summary; unset: no mail.",
    )
    alert_email: Annotated[str | None, Field(validate_default=True)] = setting(
        None,
        env="TICKETBOT_ALERT_EMAIL",
        help="The recipients of those mails, comma-separated (with `TICKETBOT_SMTP_URL`).",
    )
    alert_email_from: str | None = setting(
        None,
        env="TICKETBOT_ALERT_EMAIL_FROM",
        help="The sender of those mails; unset: `ticketbot@<this host>`.",
    )
    teams_webhook: SecretStr | None = setting(
        None,
        env="TICKETBOT_TEAMS_WEBHOOK",
        help="A Microsoft Teams incoming webhook or Workflows URL for escalation cards.",
    )
    alert_json_url: SecretStr | None = setting(
        None,
        env="TICKETBOT_ALERT_JSON_URL",
        help="A JSON webhook for escalations, each post signed with "
        "`TICKETBOT_ALERT_JSON_SECRET` (HMAC-SHA256).",
    )
    alert_json_secret: Annotated[SecretStr | None, Field(validate_default=True)] = setting(
        None,
        env="TICKETBOT_ALERT_JSON_SECRET",
        help="The secret the JSON webhook's posts are signed with (with "
        "`TICKETBOT_ALERT_JSON_URL`).",
    )
    success_objective: Annotated[float, Field(ge=0.0, le=1.0)] = setting(
        0.95,
        env="TICKETBOT_SUCCESS_OBJECTIVE",
        help="The share of tickets that must be triaged; below it `health` is degraded and an "
        "alert goes out.",
        applies="run, health, report",
    )
    prices: str | None = setting(
        None,
        env="TICKETBOT_PRICES",
        help="USD per million tokens for the cost figures, `model=IN/OUT,...`; unset: OpenAI's "
        "list prices.",
        applies="run, report",
    )
    saved_seconds_per_triage: Annotated[float, Field(ge=0, le=86400)] = setting(
        30.0,
        env="TICKETBOT_SAVED_SECONDS_PER_TRIAGE",
        help="Agent's seconds one triaged ticket saves, in `report`'s time saved.",
        applies="report",
    )
    saved_seconds_per_suggestion: Annotated[float, Field(ge=0, le=86400)] = setting(
        10.0,
        env="TICKETBOT_SAVED_SECONDS_PER_SUGGESTION",
        help="Agent's seconds one suggestion an agent kept saves (a field, a draft).",
        applies="report",
    )
    saved_seconds_per_answer: Annotated[float, Field(ge=0, le=86400)] = setting(
        120.0,
        env="TICKETBOT_SAVED_SECONDS_PER_ANSWER",
        help="Agent's seconds one answer sent to a customer saves.",
        applies="report",
    )
    customer_ratings_every: Annotated[float, Field(ge=0, le=30 * 86400)] = setting(
        0.0,
        env="TICKETBOT_CUSTOMER_RATINGS_EVERY",
        help="Seconds between two reads of the customers' satisfaction ratings by a run (the "
        "helpdesk's own, for `report`'s satisfaction by who answered), e.g. `21600`; 0: off.",
        applies="run",
    )
    scope: str | None = setting(
        None,
        env="TICKETBOT_SCOPE",
        help="Which tickets ticketbot may touch, e.g. `brand=1;channel=email,web` (keys "
        "`brand`, `group`, `form`, `channel`); unset: every ticket.",
    )
    routes_file: Path | None = setting(
        None,
        env="TICKETBOT_ROUTES",
        help="Routing and escalation rules (`routes.toml`); unset: no routing.",
    )
    fields_file: Path | None = setting(
        None,
        env="TICKETBOT_FIELDS",
        help="What to fill into the helpdesk's own fields (`fields.toml`); unset: nothing.",
    )
    actions_file: Path | None = setting(
        None,
        env="TICKETBOT_ACTIONS",
        help="The team's actions (`actions.toml`): lookups in a shop or billing system and "
        "changes an agent approves; unset: none.",
    )
    summary_field: str | None = setting(
        None,
        env="TICKETBOT_SUMMARY_FIELD",
        help="The text field ticketbot keeps a running summary of the conversation in (its "
        "title or id; Freshdesk: its `cf_` name; ServiceNow: the column's name, such as "
        "`u_ai_summary`); unset: no summary.",
    )
    assignment: Literal["off", "skills", "agents"] = setting(
        "off",
        env="TICKETBOT_ASSIGNMENT",
        help="Who answers: `off`, `skills` (set the ticket's skills for the helpdesk's own "
        "routing) or `agents` (ticketbot assigns an available agent with every skill).",
    )
    agent_capacity: Annotated[int, Field(ge=1, le=10_000)] = setting(
        20,
        env="TICKETBOT_AGENT_CAPACITY",
        help="Open tickets an agent may hold when ticketbot assigns, where the helpdesk keeps "
        "no capacity of its own.",
    )
    skills_file: Path | None = setting(
        None,
        env="TICKETBOT_SKILLS",
        help="Each category's skill, the organisation's tier field and VIP tiers, the groups "
        "ticketbot assigns in (`skills.toml`); unset: the language skill only.",
    )
    two_way_reply: bool = setting(
        False,
        env="TICKETBOT_TWO_WAY_REPLY",
        help="An agent's internal note starting `/reply` is translated into the customer's "
        "language by the LLM and sent as their public reply.",
    )
    answer_mode: Literal["off", "draft", "send", "auto"] = setting(
        "off",
        env="TICKETBOT_ANSWER_MODE",
        help="Answer the customer from the help centre: `off`, `draft` (an internal draft), "
        "`send` (a public reply) or `auto` (the ladder decides per category).",
    )
    answers_file: Path | None = setting(
        None,
        env="TICKETBOT_ANSWERS",
        help="The answers policy per category (`answers.toml`, checked by "
        "`ticketbot answers check`).",
    )
    apply_at: str | None = setting(
        None,
        env="TICKETBOT_APPLY_AT",
        help="Per field, the calibrated confidence to apply at (`category=0.95,urgency=0.9`, "
        "or one number; 1: never, only suggest); unset: what the calibration chose.",
    )
    suggest_at: str | None = setting(
        None,
        env="TICKETBOT_SUGGEST_AT",
        help="Per field, the calibrated confidence to suggest at (as `TICKETBOT_APPLY_AT`); "
        "unset: 0.5.",
    )
    shadow: bool = setting(
        False,
        env="TICKETBOT_SHADOW",
        help="Shadow mode: triage and plan, write nothing to the helpdesk, log the decisions.",
    )
    retriage: bool = setting(
        True,
        env="TICKETBOT_RETRIAGE",
        help="Re-triage a triaged ticket when its customer replies; `false`: first messages only.",
    )
    cascade: bool = setting(
        False,
        env="TICKETBOT_CASCADE",
        help="The learned model first, the LLM only where it is unsure.",
    )
    cascade_fields: str = setting(
        "category,urgency,sentiment",
        env="TICKETBOT_CASCADE_FIELDS",
        help="The fields the learned model must be sure of for the cascade to spare the LLM call.",
    )
    shadow_labels: str | None = setting(
        None,
        env="TICKETBOT_SHADOW_LABELS",
        help="Where agents' labels are, for shadow mode's agreement "
        "(`category=tag:team_cat_;urgency=field:Urgency`); unset: ticketbot's own tags.",
    )
    learned_model: Path | None = setting(
        None,
        env="TICKETBOT_LEARNED_MODEL",
        help="The learned engine's model file (`ticketbot learn` writes it); unset: "
        "`<state dir>/learned-model.zip`, else the bundled one.",
    )
    # Help-centre suggestions in the note (kb): how many (0: off), the index's maximum age.
    kb_suggestions: Annotated[int, Field(ge=0, le=10)] = setting(
        3,
        env="TICKETBOT_KB_SUGGESTIONS",
        help="Help-centre articles suggested in the note; `0` turns suggestions off.",
    )
    # The agents' language (ISO 639-1); a route's group may name its own (``agent_language``).
    agent_language: str = setting(
        "en",
        env="TICKETBOT_AGENT_LANGUAGE",
        help="The language agents read (ISO 639-1): the note's, and with an LLM the "
        "translation of a message in another language.",
    )
    kb_max_age: Annotated[float, Field(gt=0, le=365 * 86400), BeforeValidator(parse_duration)] = (
        setting(
            86400.0,
            env="TICKETBOT_KB_MAX_AGE",
            help="A run syncs the help-centre index, and the ready-made replies and solved "
            "tickets once synced, when older than this (`3600`, `90m`, `24h`, `2d`).",
            hint="seconds, or a number with s, m, h or d such as 24h",
        )
    )
    # Similar solved tickets (``solved/``): the shared words' rule is off by default, as it
    # showed the right solved ticket less often on help centres it was not chosen on.
    solved_shared_words: bool = setting(
        False,
        env="TICKETBOT_SOLVED_SHARED_WORDS",
        help="Show a similar solved ticket below a cosine of 0.6 only when it shares 3 content "
        "words with the new ticket: fewer unrelated ones, fewer right ones too.",
    )
    # Service levels (``sla/``): off by default, as every feature that writes on tickets
    # ticketbot did not just triage (it reads the whole open queue each run).
    sla: bool = setting(
        False,
        env="TICKETBOT_SLA",
        help="Watch the helpdesk's service-level targets on open tickets and act before a "
        "likely breach (tag `ai_sla_at_risk`, a note line, one priority step where ticketbot "
        "set the priority, `sla_risk` routes).",
        applies="run",
    )
    sla_horizon: Annotated[float, Field(gt=0, le=7 * 86400), BeforeValidator(parse_duration)] = (
        setting(
            3600.0,
            env="TICKETBOT_SLA_HORIZON",
            help="How far ahead a breach is looked for: a ticket likely to breach within it "
            "is at risk (`60m`, `2h`; in business time for a business-hours target).",
            hint="seconds, or a number with s, m, h or d such as 60m",
            applies="run",
        )
    )
    knowledge_dir: Path | None = setting(
        None,
        env="TICKETBOT_KNOWLEDGE_DIR",
        help="A folder of your own documents (Markdown, text, HTML) searched beside the help "
        "centre; internal unless marked `visibility: public`. Unset: none.",
        applies="run, backfill, serve, kb sync",
    )
    # Names in the environment or .env that set nothing (misspelt, lower case): one line each.
    name_warnings: tuple[str, ...] = ()
    # Analyses the content-hash cache keeps across runs (LRU), held for the whole run: ~0.5 KB
    # each in memory (packed JSON), 5,000 ~3 MB. A backfill's batch is never larger.
    cache_entries: Annotated[int, Field(ge=1, le=1_000_000)] = setting(
        DEFAULT_CACHE_ENTRIES,
        env="TICKETBOT_CACHE_ENTRIES",
        help="LLM analyses the content-hash cache keeps across runs (about 0.5 KB of memory each).",
    )

    # -- many tickets about one thing (ticket_processor/incidents) --
    # Incidents and repeat tickets: off by default, as it changes tickets' type and links.
    incidents: bool = setting(
        False,
        env="TICKETBOT_INCIDENTS",
        help="Group one outage's reports into an incident, and flag a customer's repeat ticket.",
    )
    incident_window: Annotated[
        float, Field(ge=3600, le=90 * 86400), BeforeValidator(parse_duration)
    ] = setting(
        7 * 86400.0,
        env="TICKETBOT_INCIDENT_WINDOW",
        help="How far back the recent tickets are remembered and the baseline reaches (`7d`, "
        "`48h`, seconds).",
        hint="seconds, or a number with s, m, h or d such as 7d",
    )
    auto_merge: bool = setting(
        False,
        env="TICKETBOT_AUTO_MERGE",
        help="Merge a repeat ticket into the earlier one (similarity at least 0.90) instead of "
        "only flagging it.",
    )
    incident_follow: Annotated[str, Field(pattern=FOLLOW_PATTERN)] = setting(
        "group,priority",
        env="TICKETBOT_INCIDENT_FOLLOW",
        help="What a linked report takes from its incident's problem or tracker ticket: "
        "`group,priority`, `group`, `priority` or `none`.",
        hint="group,priority, group, priority or none",
    )
    # Each run's figures for Prometheus (metrics/export.py): pushed to a Pushgateway (its URL may
    # carry credentials, so it is a secret) and/or written for node_exporter's textfile collector.
    metrics_pushgateway: SecretStr | None = setting(
        None,
        env="TICKETBOT_METRICS_PUSHGATEWAY",
        help="A Prometheus Pushgateway URL each run's figures are pushed to.",
        applies="run, backfill",
    )
    metrics_textfile: Path | None = setting(
        None,
        env="TICKETBOT_METRICS_TEXTFILE",
        help="A file each run's figures are written to for node_exporter's textfile collector.",
        applies="run, backfill",
    )
    llm_budget: SecretStr | None = setting(
        None,
        env="TICKETBOT_LLM_BUDGET",
        help="A `redis://` URL: one LLM budget shared by every process on the same key; unset: "
        "each process paces itself.",
    )
    llm_budget_key: str | None = setting(
        None,
        env="TICKETBOT_LLM_BUDGET_KEY",
        help="The shared budget's key prefix; unset: one per API key and endpoint.",
    )
    llm_rpm: Annotated[int, Field(ge=1, le=10_000_000)] | None = setting(
        None,
        env="TICKETBOT_LLM_RPM",
        help="LLM calls a minute the provider allows the organisation; unset: what its headers "
        "announce.",
    )
    llm_tpm: Annotated[int, Field(ge=1, le=10_000_000_000)] | None = setting(
        None,
        env="TICKETBOT_LLM_TPM",
        help="LLM tokens a minute the provider allows the organisation; unset: what its headers "
        "announce.",
    )
    helpdesk_writes_per_minute: Annotated[int, Field(ge=1, le=1_000_000)] | None = setting(
        None,
        env="TICKETBOT_HELPDESK_WRITES_PER_MINUTE",
        help="The helpdesk account's writes a minute, shared by every process; unset: the "
        "helpdesk's documented limit.",
    )
