"""The vocabulary every layer shares: tickets, analyses, write-backs, tag names, languages,
and the helpdesk contract (its values and the ``Helpdesk`` protocol).

Pure data, no I/O. This package's face is these names, imported from it (``from ..models import
Ticket``); each is defined in the module that describes its part: ``names`` (languages, category
and tag names), ``ticket`` (a ticket, its field values, the change planned for it), ``analysis``
(what an engine concludes, and routing's decision), ``helpdesk`` (the ``Helpdesk`` protocol and
its values).
"""

from __future__ import annotations

from .analysis import (
    BATCH_PRICE_SHARE,
    ENGINES,
    Analysis,
    Engine,
    RouteDecision,
    Sentiment,
    Suggestion,
    TokenUsage,
    Triage,
    Urgency,
)
from .helpdesk import (
    Agent,
    Article,
    ArticleListing,
    ArticleVisibility,
    Conversation,
    Cursor,
    FieldOption,
    Group,
    Helpdesk,
    HelpdeskField,
    Message,
    Probe,
    Replan,
    ReplyPage,
    TicketPage,
    WriteJournal,
    WriteLimits,
    WriteOutcome,
)
from .names import (
    CATEGORY_NAME,
    ISO_639_1,
    LANGUAGE_CODE,
    SHORT_TAG_MAX,
    SUBCATEGORY_NAME,
    UNDETERMINED,
    closed_language,
    fit_tag,
    sanitise_tag,
)
from .ticket import (
    PRIORITY_RANK,
    Person,
    Priority,
    Status,
    Ticket,
    WriteBack,
)

__all__ = [
    "BATCH_PRICE_SHARE",
    "CATEGORY_NAME",
    "ENGINES",
    "ISO_639_1",
    "LANGUAGE_CODE",
    "PRIORITY_RANK",
    "SHORT_TAG_MAX",
    "SUBCATEGORY_NAME",
    "UNDETERMINED",
    "Agent",
    "Analysis",
    "Article",
    "ArticleListing",
    "ArticleVisibility",
    "Conversation",
    "Cursor",
    "Engine",
    "FieldOption",
    "Group",
    "Helpdesk",
    "HelpdeskField",
    "Message",
    "Person",
    "Priority",
    "Probe",
    "Replan",
    "ReplyPage",
    "RouteDecision",
    "Sentiment",
    "Status",
    "Suggestion",
    "Ticket",
    "TicketPage",
    "TokenUsage",
    "Triage",
    "Urgency",
    "WriteBack",
    "WriteJournal",
    "WriteLimits",
    "WriteOutcome",
    "closed_language",
    "fit_tag",
    "sanitise_tag",
]
