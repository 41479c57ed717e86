"""The settings' names: every variable ticketbot reads and the field it sets, the defaults other
parts share, and the hints an error about a variable adds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..common.helpdesk_settings import HelpdeskSettings

DEFAULT_MODEL = "gpt-4o-mini"
# TICKETBOT_SMTP_URL's form in messages: placeholders in angle brackets, which the masking of
# URL credentials leaves readable (``user:password@`` would print as ``***@``).
SMTP_FORM = "smtp://<user>:<password>@<host>:<port>"
# Duplicates (a customer writing twice, an outage's flood) arrive close together: the most
# recent 5,000 analyses catch them. The cache is read whole at the start of every run, so an
# uncapped one would grow a run's memory with the backlog (TICKETBOT_CACHE_ENTRIES).
DEFAULT_CACHE_ENTRIES = 5_000
# PagerDuty's Events API v2 endpoint (its documentation's address).
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
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
    "spam_gate": "TICKETBOT_SPAM_GATE",
    "keep_days": "TICKETBOT_KEEP_DAYS",
    "alert_webhook": "TICKETBOT_ALERT_WEBHOOK",
    "pagerduty_routing_key": "TICKETBOT_PAGERDUTY_ROUTING_KEY",
    "pagerduty_url": "TICKETBOT_PAGERDUTY_URL",
    "smtp_url": "TICKETBOT_SMTP_URL",
    "alert_email": "TICKETBOT_ALERT_EMAIL",
    "alert_email_from": "TICKETBOT_ALERT_EMAIL_FROM",
    "teams_webhook": "TICKETBOT_TEAMS_WEBHOOK",
    "alert_json_url": "TICKETBOT_ALERT_JSON_URL",
    "alert_json_secret": "TICKETBOT_ALERT_JSON_SECRET",
    "success_objective": "TICKETBOT_SUCCESS_OBJECTIVE",
    "prices": "TICKETBOT_PRICES",
    "scope": "TICKETBOT_SCOPE",
    "routes_file": "TICKETBOT_ROUTES",
    "fields_file": "TICKETBOT_FIELDS",
    "summary_field": "TICKETBOT_SUMMARY_FIELD",
    "apply_at": "TICKETBOT_APPLY_AT",
    "shadow": "TICKETBOT_SHADOW",
    "retriage": "TICKETBOT_RETRIAGE",
    "cascade": "TICKETBOT_CASCADE",
    "cascade_fields": "TICKETBOT_CASCADE_FIELDS",
    "shadow_labels": "TICKETBOT_SHADOW_LABELS",
    "suggest_at": "TICKETBOT_SUGGEST_AT",
    "learned_model": "TICKETBOT_LEARNED_MODEL",
    "kb_suggestions": "TICKETBOT_KB_SUGGESTIONS",
    "agent_language": "TICKETBOT_AGENT_LANGUAGE",
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
    "audit_raw_subjects": "TICKETBOT_AUDIT_RAW_SUBJECTS",
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

HINTS: dict[str, str] = {
    "TICKETBOT_MODEL": "a comma-separated list such as gpt-4o-mini,llama3.1",
    "TICKETBOT_KB_MAX_AGE": "seconds, or a number with s, m, h or d such as 24h",
    "TICKETBOT_INCIDENT_WINDOW": "seconds, or a number with s, m, h or d such as 7d",
    "TICKETBOT_INCIDENT_FOLLOW": "group,priority, group, priority or none",
    "TICKETBOT_TAG_PREFIX": "up to 20 lower-case letters, digits or underscores",
}

# Read outside ``Settings`` (the account profile, in ``commands/common``), still ticketbot's.
OTHER_VARS = ("TICKETBOT_ACCOUNT", "TICKETBOT_ACCOUNTS")
PREFIX = "TICKETBOT_"


class HelpdeskKindSettings(Protocol):
    """What settings needs of a helpdesk kind (``helpdesks.descriptor.HelpdeskKind``): its
    settings model. ``read_settings`` takes them by kind name, the default kind first."""

    @property
    def settings(self) -> type[HelpdeskSettings]: ...


def known_variables(kinds: Mapping[str, HelpdeskKindSettings]) -> tuple[str, ...]:
    """Every variable ticketbot reads: its own, every helpdesk kind's, the account profile's."""
    desks = [var for kind in kinds.values() for var in kind.settings.ENV_VARS.values()]
    return tuple(sorted({*ENV_VARS.values(), *desks, *OTHER_VARS}))
