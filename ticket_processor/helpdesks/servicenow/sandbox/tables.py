"""The tables the ServiceNow sandbox serves: their columns and defaults, reference columns, choice
labels, journal fields, display columns and numbering, as a Personal Developer Instance has them.

Pure data and small pure functions: the store writes by it, ``shape`` renders by it.
"""

from __future__ import annotations

# Columns every record has, as every table on an instance extends ``sys_metadata``'s fields.
SYSTEM_COLUMNS = (
    "sys_id",
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
)

_TASK = {
    "number": "",
    "short_description": "",
    "description": "",
    "state": "1",
    "impact": "3",
    "urgency": "3",
    "priority": "5",
    "category": "",
    "subcategory": "",
    "assignment_group": "",
    "assigned_to": "",
    "skills": "",  # glide_list of cmn_skill sys_ids: what an agent needs to take the task
    "opened_by": "",
    "contact_type": "",
    "opened_at": "",
    "resolved_at": "",
    "closed_at": "",
    "close_code": "",
    "close_notes": "",
    "active": "true",
    "work_notes": "",
    "comments": "",
    "u_ai_summary": "",
}

# table -> column -> the value a new record gets (every served column is listed).
COLUMNS: dict[str, dict[str, str]] = {
    "incident": {
        **_TASK,
        "hold_reason": "",
        "caller_id": "",
        "parent_incident": "",
        "problem_id": "",
        "watch_list": "",
        "resolved_by": "",
        "closed_by": "",
        # How often it was reopened after it was resolved (the instance's reopen rule counts
        # it); what ticketbot's risk head reads as a bad outcome.
        "reopen_count": "0",
    },
    "sn_customerservice_case": {
        **_TASK,
        "contact": "",
        "account": "",
        "parent": "",
        "resolved_by": "",
        "closed_by": "",
    },
    "problem": {
        "number": "",
        "short_description": "",
        "description": "",
        "state": "101",
        "impact": "3",
        "urgency": "3",
        "priority": "5",
        "assignment_group": "",
        "assigned_to": "",
        "opened_by": "",
        "opened_at": "",
        "active": "true",
        "work_notes": "",
        "comments": "",
    },
    "sys_journal_field": {"element_id": "", "name": "", "element": "", "value": ""},
    # The data dictionary: a row is a table's column; inserting one (an admin's) adds the
    # column to that table (``ServiceNowStore``), as the instance alters the table.
    "sys_dictionary": {
        "name": "",
        "element": "",
        "column_label": "",
        "internal_type": "string",
        "max_length": "40",
        "choice": "0",
        "active": "true",
        "read_only": "false",
        "mandatory": "false",
        "default_value": "",
    },
    # Access controls: a field-level ACL is named ``<table>.<column>``; its operation is
    # ``read`` or ``write`` (the instance's reference to ``sys_security_operation``, kept here
    # as the operation's name, its display value). The roles it requires (any one of them)
    # are its ``sys_security_acl_role`` rows; an ACL without roles lets anyone through.
    "sys_security_acl": {
        "name": "",
        "operation": "",
        "type": "record",
        "active": "true",
        "admin_overrides": "true",
        "description": "",
        "condition": "",
        "script": "",
    },
    "sys_security_acl_role": {"sys_security_acl": "", "sys_user_role": ""},
    "sys_choice": {
        "name": "",
        "element": "",
        "value": "",
        "label": "",
        "dependent_value": "",
        "inactive": "false",
        "language": "en",
        "sequence": "",
    },
    "sys_user": {
        "user_name": "",
        "name": "",
        "first_name": "",
        "last_name": "",
        "email": "",
        "active": "true",
        "vip": "false",
        "time_zone": "",
        "preferred_language": "",
        "company": "",  # ref core_company: the customer company the user works for
    },
    "sys_user_group": {"name": "", "active": "true", "description": "", "email": "", "manager": ""},
    "sys_user_grmember": {"user": "", "group": ""},
    "sys_user_role": {"name": "", "description": ""},
    "sys_user_has_role": {"user": "", "role": "", "state": "active", "inherited": "false"},
    "label": {
        "name": "",
        "viewable_by": "everyone",
        "type": "standard",
        "active": "true",
        "owner": "",
    },
    "label_entry": {"label": "", "table": "", "table_key": "", "title": "", "url": ""},
    "kb_knowledge_base": {"title": "", "description": "", "active": "true", "owner": ""},
    "kb_knowledge": {
        "number": "",
        "short_description": "",
        "text": "",
        "workflow_state": "draft",
        "kb_knowledge_base": "",
        "kb_category": "",
        "language": "en",
        "valid_to": "2100-01-01",
        "active": "true",
        "author": "",
        "published": "",
        # Article-level user criteria (Knowledge Management v3): comma-separated
        # ``user_criteria`` sys_ids; empty, the knowledge base's own readers.
        "can_read_user_criteria": "",
        "cannot_read_user_criteria": "",
    },
    # Who may read (a named condition on users, groups, roles, companies), as articles name it.
    "user_criteria": {
        "name": "",
        "active": "true",
        "user": "",
        "group": "",
        "role": "",
        "company": "",
        "match_all": "false",
    },
    "sys_template": {
        "name": "",
        "table": "",
        "template": "",
        "active": "true",
        "short_description": "",
        "global": "true",
        "user": "",
    },
    "sys_number": {"category": "", "prefix": "", "number": "", "maximum_digits": "7"},
    "customer_account": {"name": "", "number": "", "customer": "true"},
    # Service levels: definitions, the schedules they count in, and each task's running SLA.
    "contract_sla": {
        "name": "",
        "type": "SLA",
        "target": "response",
        "collection": "incident",
        "duration": "1970-01-01 08:00:00",
        "schedule": "",
        "start_condition": "",
        "active": "true",
    },
    "cmn_schedule": {"name": "", "time_zone": "", "type": ""},
    "cmn_schedule_span": {
        "schedule": "",
        "name": "",
        "type": "",
        "start_date_time": "",
        "end_date_time": "",
        "repeat_type": "weekly",
        "days_of_week": "",
        "all_day": "false",
    },
    "task_sla": {
        "task": "",
        "sla": "",
        "stage": "in_progress",
        "active": "true",
        "start_time": "",
        "end_time": "",
        "planned_end_time": "",
        "has_breached": "false",
        "percentage": "0",
        "business_percentage": "0",
        "schedule": "",
        "timezone": "",
    },
    # Surveys (the Assessments and Surveys application): a survey sent for a record, and the
    # taker's answer to each of its questions.
    "asmt_assessment_instance": {
        "number": "",
        "metric_type": "",
        "state": "ready",
        "trigger_table": "",
        "trigger_id": "",
        "task_id": "",
        "user": "",
        "taken_on": "",
    },
    "asmt_metric_result": {"instance": "", "metric": "", "actual_value": "", "string_value": ""},
    "core_company": {"name": "", "customer": "true", "u_tier": ""},  # u_: an instance's own
    "cmn_skill": {"name": "", "active": "true", "description": ""},
    "sys_user_has_skill": {"user": "", "skill": "", "skill_level": ""},
    "awa_presence_state": {"name": "", "available": "false"},
    "awa_agent_presence": {"agent": "", "current_presence_state": ""},
    # What an audited table's deletions leave (``audit_delete.py``).
    "sys_audit_delete": {"tablename": "", "documentkey": "", "display_value": "", "payload": ""},
}

# table -> column -> the table it references.
_TASK_REFS = {
    "assignment_group": "sys_user_group",
    "assigned_to": "sys_user",
    "opened_by": "sys_user",
    "resolved_by": "sys_user",
    "closed_by": "sys_user",
}
REFERENCES: dict[str, dict[str, str]] = {
    "incident": {
        **_TASK_REFS,
        "caller_id": "sys_user",
        "parent_incident": "incident",
        "problem_id": "problem",
    },
    "sn_customerservice_case": {
        **_TASK_REFS,
        "contact": "sys_user",
        "account": "customer_account",
        "parent": "sn_customerservice_case",
    },
    "problem": {
        "assignment_group": "sys_user_group",
        "assigned_to": "sys_user",
        "opened_by": "sys_user",
    },
    "sys_user": {"company": "core_company"},
    "sys_user_group": {"manager": "sys_user"},
    "sys_user_grmember": {"user": "sys_user", "group": "sys_user_group"},
    "sys_user_has_skill": {"user": "sys_user", "skill": "cmn_skill"},
    "awa_agent_presence": {"agent": "sys_user", "current_presence_state": "awa_presence_state"},
    "sys_user_has_role": {"user": "sys_user", "role": "sys_user_role"},
    "sys_security_acl_role": {
        "sys_security_acl": "sys_security_acl",
        "sys_user_role": "sys_user_role",
    },
    "label": {"owner": "sys_user"},
    "label_entry": {"label": "label"},
    "kb_knowledge_base": {"owner": "sys_user"},
    "kb_knowledge": {"kb_knowledge_base": "kb_knowledge_base", "author": "sys_user"},
    "sys_template": {"user": "sys_user"},
    "contract_sla": {"schedule": "cmn_schedule"},
    "cmn_schedule_span": {"schedule": "cmn_schedule"},
    "task_sla": {"sla": "contract_sla", "schedule": "cmn_schedule"},
}

# The column a record's display value comes from (a reference to it shows this).
DISPLAY_COLUMN: dict[str, str] = {
    "incident": "number",
    "sn_customerservice_case": "number",
    "problem": "number",
    "sys_user": "name",
    "sys_user_group": "name",
    "sys_user_role": "name",
    "sys_security_acl": "name",
    "label": "name",
    "kb_knowledge_base": "title",
    "kb_knowledge": "number",
    "user_criteria": "name",
    "sys_template": "name",
    "customer_account": "name",
    "core_company": "name",
    "cmn_skill": "name",
    "awa_presence_state": "name",
    "sys_choice": "label",
    "sys_number": "prefix",
    "contract_sla": "name",
    "cmn_schedule": "name",
}

JOURNAL_COLUMNS = ("comments", "work_notes")
JOURNAL_LABELS = {"comments": "Additional comments", "work_notes": "Work notes"}

_IMPACT = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
_TASK_CHOICES = {
    "impact": _IMPACT,
    "urgency": _IMPACT,
    "priority": {
        "1": "1 - Critical",
        "2": "2 - High",
        "3": "3 - Moderate",
        "4": "4 - Low",
        "5": "5 - Planning",
    },
    "contact_type": {
        "email": "Email",
        "phone": "Phone",
        "self-service": "Self-service",
        "walk-in": "Walk-in",
        "chat": "Chat",
        "virtual_agent": "Virtual Agent",
    },
}
# table -> column -> value -> label (``category``/``subcategory`` come from ``sys_choice`` rows).
CHOICES: dict[str, dict[str, dict[str, str]]] = {
    "incident": {
        **_TASK_CHOICES,
        "state": {
            "1": "New",
            "2": "In Progress",
            "3": "On Hold",
            "6": "Resolved",
            "7": "Closed",
            "8": "Canceled",
        },
        "hold_reason": {
            "1": "Awaiting Caller",
            "3": "Awaiting Problem",
            "4": "Awaiting Vendor",
            "5": "Awaiting Change",
        },
    },
    "sn_customerservice_case": {
        **_TASK_CHOICES,
        "state": {
            "1": "New",
            "10": "Open",
            "18": "Awaiting Info",
            "6": "Resolved",
            "3": "Closed",
            "7": "Cancelled",
        },
    },
    "problem": {
        **_TASK_CHOICES,
        "state": {
            "101": "New",
            "102": "Assess",
            "103": "Root Cause Analysis",
            "104": "Fix in Progress",
            "106": "Resolved",
            "107": "Closed",
        },
    },
    "kb_knowledge": {
        "workflow_state": {
            "draft": "Draft",
            "review": "Review",
            "published": "Published",
            "pending_retirement": "Pending retirement",
            "retired": "Retired",
            "outdated": "Outdated",
        }
    },
}

# Tables numbered by ``sys_number``: table -> (prefix, first number, digits).
NUMBERING: dict[str, tuple[str, int, int]] = {
    "incident": ("INC", 10001, 7),
    "sn_customerservice_case": ("CS", 1001, 7),
    "problem": ("PRB", 40001, 7),
    "kb_knowledge": ("KB", 10001, 7),
}

# The tasks whose priority the instance computes, and the states that end them.
TASK_TABLES = ("incident", "sn_customerservice_case", "problem")
RESOLVED_STATES = {"incident": "6", "sn_customerservice_case": "6", "problem": "106"}
CLOSED_STATES = {
    "incident": ("7", "8"),
    "sn_customerservice_case": ("3", "7"),
    "problem": ("107",),
}

# ServiceNow's default priority lookup: (impact, urgency) -> priority.
_PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("2", "1"): "2",
    ("1", "3"): "3",
    ("2", "2"): "3",
    ("3", "1"): "3",
    ("2", "3"): "4",
    ("3", "2"): "4",
    ("3", "3"): "5",
}


def priority_of(impact: str, urgency: str) -> str:
    """The priority an instance computes from ``impact`` and ``urgency`` (5 when either is odd)."""
    return _PRIORITY.get((impact, urgency), "5")


def is_sys_id(value: str) -> bool:
    """Whether ``value`` looks like a sys_id (32 lowercase hex)."""
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
