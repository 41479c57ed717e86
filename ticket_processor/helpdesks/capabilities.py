"""What a helpdesk kind can do beyond the ``Helpdesk`` protocol, as its descriptor declares it.

The features ask a kind's descriptor (``registry.helpdesk_kind(name)``) instead of comparing its
name: a third kind is a folder and a registry entry, and what it leaves out is skipped. Each
capability is optional; a kind without it leaves the descriptor's field empty:

- ``HelpdeskKind.receiver``: its ``WebhookReceiver`` (``deliveries.py``), how ``serve`` believes
  its webhook calls; ``HelpdeskKind.webhooks``: its ``WebhookSetup`` (``webhook_setup.py``),
  what ``serve --print-setup`` prints and ``--apply`` makes;
- ``HelpdeskKind.gather_between``: how ``serve`` paces its reads;
- ``HelpdeskKind.linking``: how it links the reports of one incident and what its notes call the
  ticket they are linked to (this module); the link writes themselves are the adapter's
  ``links()`` (``incidents/plan.LinkOps``), merge among them;
- the adapter's ``answers()``/``links()`` (see ``models.Helpdesk``): what the answer and incident
  passes write through, None when it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class IncidentLinking:
    """How a kind links the reports of one incident.

    ``problem_type``: the link is the ticket's own type (Zendesk: each report an ``incident``
    whose ``problem_id`` is the group ticket, and the earliest eligible report of a new
    incident becomes the ``problem``); otherwise a separate group ticket is opened and the
    reports are associated with it (Freshdesk's tracker). ``group_noun``: what ticketbot's notes
    call the group ticket; ``group_says``: what the group ticket's own note says it now is, in
    the kind's words.
    """

    problem_type: bool
    group_noun: str
    group_says: str = "This ticket holds the incident: its reports are linked to it."


@dataclass(frozen=True)
class TagAuthor:
    """Who added a tag to a ticket, as the helpdesk records it: their id or name (``who``) and
    whether they are one of its agents (an end user, a customer, is not)."""

    who: str
    agent: bool


@runtime_checkable
class TagAuthors(Protocol):
    """A helpdesk that tells who added a tag (Zendesk: the ticket's audits): an approval by tag
    is honoured only from an agent. A kind without it has no way for a customer to tag a ticket
    after its creation, and the approval is honoured from whoever added the tag after the
    proposal (``actions``)."""

    def tag_author(self, ticket_id: int, tag: str) -> TagAuthor | None:
        """Who last added ``tag`` to the ticket; None: the helpdesk does not say."""
        ...
