"""What a helpdesk kind is: the descriptor that names its parts, and what they are handed.

Every helpdesk folder (``helpdesks/<kind>/``) has a ``kind.py`` holding a ``HelpdeskSettings``
subclass (``common/helpdesk_settings.py``: the environment variables it reads, their validation
and hints, how to tell what is missing) and one ``HelpdeskKind`` (its name, how to build the
adapter, its sandbox, its seed); ``registry.py`` lists the kinds. ``settings.py`` composes the
kinds' settings models without importing them: the registry is handed to it (``run/connect``).

The adapter, the seed, the sandbox and the test desk are named by dotted path
(``package.module:attribute``, as Django names its backends) and imported only when asked for:
a run against Zendesk never imports the Freshdesk adapter, and package code never imports a
sandbox statically.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from ..common.helpdesk_settings import HelpdeskSettings
from ..models import Helpdesk
from ..resilience.bounds import HELPDESK_MAX_BYTES
from ..resilience.pacing import RateLimitThrottle
from ..resilience.retry import Retrier
from .capabilities import IncidentLinking
from .deletions import DeletionReader
from .deliveries import WebhookReceiver
from .samples import SeedOutcome, SeedTicket
from .sla import SlaReader
from .webhook_setup import WebhookSetup
from .write_budget import HelpdeskWriteBudget


@dataclass(frozen=True)
class Wiring:
    """What ``connect`` hands every adapter besides its settings: shared resilience and clocks."""

    retrier: Retrier
    throttle: RateLimitThrottle
    timeout: tuple[float, float]
    marker: str
    pool_size: int = 16
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    max_bytes: int | None = HELPDESK_MAX_BYTES  # one answer, decompressed (the setting)
    # ``serve``: a write batch of tickets planned together (a burst of new ones) is read again
    # in one list request where the helpdesk reads tickets one by one (Freshdesk).
    burst_reads: bool = False
    # The account's write budget every process shares (TICKETBOT_LLM_BUDGET), or None.
    write_budget: HelpdeskWriteBudget | None = None


class AdapterBuilder(Protocol):
    """Builds a kind's ``Helpdesk`` from its validated settings."""

    def __call__(self, desk: HelpdeskSettings, wiring: Wiring) -> Helpdesk: ...


class Seeder(Protocol):
    """Creates sample tickets in a kind's helpdesk (and, with ``samples``, in ticketbot's own
    sandbox, the sample groups and help centre); ``on_progress(n)``: n more tickets done."""

    def __call__(
        self,
        helpdesk: Helpdesk,
        tickets: Sequence[SeedTicket],
        *,
        samples: bool,
        on_progress: Callable[[int], None] | None = None,
    ) -> SeedOutcome: ...


def _load(ref: str) -> object:
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class HelpdeskKind:
    """One helpdesk ticketbot can triage, as the registry lists it.

    ``name`` is what ``TICKETBOT_HELPDESK``, ``--helpdesk`` and ``accounts.toml`` say; ``label``
    how messages name it. ``adapter`` and ``seed`` are ``module:function`` paths (an
    ``AdapterBuilder``, a ``Seeder``); ``sandbox`` is the module of its local sandbox that the
    ``sandbox`` and ``demo`` commands drive (see ``sandbox/entry.py``); ``desk`` the
    ``module:function`` that serves its sandbox as a test desk (see ``sandbox/desks.py``), for
    the tests, the crash campaign and the benchmarks.
    ``account_variables`` are what a user sets to use a real account (the demo says them);
    ``sandbox_variables`` what points ticketbot at its local sandbox, each with where the value
    comes from: ``url`` (where it listens) or the name of a ``sandbox`` flag (the banner says
    them);
    ``plans`` the rate-limit plans its sandbox serves (``sandbox --plan``; its test checks them
    against the sandbox's own table);
    ``webhooks`` the ``module:attribute`` of its ``WebhookSetup`` (``webhook_setup.py``): the
    webhook and triggers that make it call ``serve``;
    ``reply_stamps`` whether its reply discovery reads the stamps of ticketbot's own writes
    that the reply book keeps (Freshdesk reads the conversation of a ticket changed since;
    Zendesk's event export names each comment's author and needs none).

    The optional capabilities (``capabilities.py``); a kind without one says so by leaving it
    empty, and what needs it is skipped with one log line:
    ``receiver`` the ``module:attribute`` of its ``WebhookReceiver`` (``deliveries.py``): how
    ``serve`` believes its webhook calls at ``/webhooks/<name>``; empty: no webhooks;
    ``gather_between`` the seconds ``serve`` waits after a delivery for more before it reads
    and triages them together (Freshdesk reads tickets one by one, so a burst read in one list
    request saves its rate limit; 0: triage at once);
    ``linking`` how it links the reports of one incident (``IncidentLinking``), or None when it
    cannot: the incidents pass is skipped;
    ``answers`` whether its adapter can post a public answer and set a ticket's status
    (``answers/deliver.AnswerDesk``); without, a run with answers on answers nothing and says so.
    ``slas`` the ``module:function`` of its SLA read (``sla.SlaReader``): the service-level
    clocks it keeps on open tickets and its business hours; empty: the SLA pass is skipped.
    ``deletions`` the ``module:function`` of its deletion read (``deletions.DeletionReader``):
    tickets and people deleted or redacted in the helpdesk, which the next run forgets; empty:
    nothing is followed.
    """

    name: str
    label: str
    settings: type[HelpdeskSettings]
    adapter: str
    seed: str
    sandbox: str
    desk: str
    account_variables: tuple[str, ...] = field(default=())
    sandbox_variables: tuple[tuple[str, str], ...] = field(default=())
    plans: tuple[str, ...] = field(default=())
    webhooks: str = ""
    reply_stamps: bool = True
    receiver: str = ""
    gather_between: float = 0.0
    linking: IncidentLinking | None = None
    answers: bool = True
    slas: str = ""
    deletions: str = ""

    def deletion_reader(self) -> DeletionReader | None:
        return cast(DeletionReader, _load(self.deletions)) if self.deletions else None

    def sla_reader(self) -> SlaReader | None:
        return cast(SlaReader, _load(self.slas)) if self.slas else None

    def webhook_receiver(self) -> WebhookReceiver | None:
        return cast(WebhookReceiver, _load(self.receiver)) if self.receiver else None

    def webhook_setup(self) -> WebhookSetup:
        return cast(WebhookSetup, _load(self.webhooks))

    def adapter_builder(self) -> AdapterBuilder:
        return cast(AdapterBuilder, _load(self.adapter))

    def seeder(self) -> Seeder:
        return cast(Seeder, _load(self.seed))
