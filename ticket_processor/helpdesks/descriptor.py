"""What a helpdesk kind is: its settings model, and the descriptor that names its parts.

Every helpdesk folder (``helpdesks/<kind>/``) has a ``kind.py`` holding a ``HelpdeskSettings``
subclass (the environment variables it reads, their validation and hints, how to tell what is
missing) and one ``HelpdeskKind`` (its name, how to build the adapter, its sandbox, its seed);
``registry.py`` lists the kinds. This module sits below ``settings.py``, which composes the
kinds' settings, so it imports nothing that reads the settings.

The adapter, the seed, the sandbox and the test desk are named by dotted path
(``package.module:attribute``, as Django names its backends) and imported only when asked for:
a run against Zendesk never imports the Freshdesk adapter, and package code never imports a
sandbox statically.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ..common.scrub import url_credentials
from ..errors import ConfigError, plain_message
from ..models import Helpdesk
from ..resilience.bounds import HELPDESK_MAX_BYTES
from ..resilience.pacing import RateLimitThrottle
from ..resilience.retry import Retrier
from .samples import SeedOutcome, SeedTicket

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo


def check_url(value: object) -> object:
    """A URL setting: blank means unset; anything else must be http(s), without a final ``/``."""
    if isinstance(value, str):
        value = value.strip().rstrip("/")
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
    return value


def _is_secret(info: FieldInfo) -> bool:
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)


class HelpdeskSettings(BaseModel):
    """One helpdesk's settings, validated; a kind subclasses it with its own fields.

    Field names carry the kind's prefix (``zendesk_url``), so they are unique across kinds and
    an ``accounts.toml`` key is the field's name. ``ENV_VARS`` maps each field to its variable
    (the user-facing contract); ``HINTS`` adds a hint to a variable's validation error.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ENV_VARS: ClassVar[Mapping[str, str]] = {}
    HINTS: ClassVar[Mapping[str, str]] = {}
    # Fields whose value identifies a person (scrubbed from shared output like a secret).
    IDENTITY_FIELDS: ClassVar[tuple[str, ...]] = ()
    # URL fields whose ``user:password@`` counts as a secret.
    CREDENTIAL_URL_FIELDS: ClassVar[tuple[str, ...]] = ()
    # Secret fields that earn a warning when too short to be masked.
    WARN_IF_SHORT: ClassVar[tuple[str, ...]] = ()

    @property
    def base_url(self) -> str:
        """Where the helpdesk's API is; ``ConfigError`` naming the variable when unset."""
        raise NotImplementedError

    def require(self) -> None:
        """Raise a ``ConfigError`` naming the first missing setting, if any."""
        raise NotImplementedError

    @classmethod
    def secret_variables(cls) -> tuple[str, ...]:
        return tuple(
            cls.ENV_VARS[name] for name, info in cls.model_fields.items() if _is_secret(info)
        )

    @classmethod
    def plain_variables(cls) -> dict[str, str]:
        """Field -> variable of the settings that are no secret (``accounts.toml`` keys)."""
        return {
            name: cls.ENV_VARS[name]
            for name, info in cls.model_fields.items()
            if not _is_secret(info)
        }

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Self:
        """Validate field values; a ``ConfigError`` names each variable that is wrong."""
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError("; ".join(cls.describe(exc))) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        """The settings that ``environ`` (variable -> value, e.g. a sandbox's) means."""
        return cls.parse(
            {name: environ[var] for name, var in cls.ENV_VARS.items() if environ.get(var)}
        )

    @classmethod
    def describe(cls, exc: ValidationError) -> list[str]:
        """One ``VARIABLE: what is wrong (hint)`` line per error."""
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "?"
            var = cls.ENV_VARS.get(name, name)
            hint = cls.HINTS.get(var)
            message = f"{var}: {plain_message(str(error['msg']))}"
            lines.append(f"{message} ({hint})" if hint else message)
        return lines

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values set, and the credentials inside URL settings."""
        found: list[str] = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if _is_secret(info) and value is not None and value.get_secret_value():
                found.append(value.get_secret_value())
        for name in self.CREDENTIAL_URL_FIELDS:
            found.extend(url_credentials(getattr(self, name)))
        return tuple(found)

    @property
    def identities(self) -> tuple[str, ...]:
        return tuple(str(getattr(self, name) or "") for name in self.IDENTITY_FIELDS)

    @property
    def short_secret_candidates(self) -> dict[str, str]:
        """Variable -> value of the secrets to check for being too short to mask."""
        found = {}
        for name in self.WARN_IF_SHORT:
            value = getattr(self, name)
            if value is not None:
                found[self.ENV_VARS[name]] = value.get_secret_value()
        return found


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
    against the sandbox's own table).
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

    def adapter_builder(self) -> AdapterBuilder:
        return cast(AdapterBuilder, _load(self.adapter))

    def seeder(self) -> Seeder:
        return cast(Seeder, _load(self.seed))
