"""The base of a helpdesk kind's settings model, and the URL check every URL setting shares.

Each helpdesk folder's ``kind.py`` subclasses ``HelpdeskSettings`` with the variables that kind
reads; ``settings.py`` composes the kinds' models into ``Settings``, so this sits below both:
it knows pydantic, the error tree and the scrubber's URL credentials, nothing of a helpdesk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, get_args

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ..errors import ConfigError
from .scrub import url_credentials
from .setting import declared_hints, declared_variables, error_text

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

    # Field -> variable and variable -> hint, from the fields declared with ``setting()`` (a
    # subclass may add to them by hand, as a kind outside the package might).
    ENV_VARS: ClassVar[Mapping[str, str]] = {}
    HINTS: ClassVar[Mapping[str, str]] = {}
    # Fields whose value identifies a person (scrubbed from shared output like a secret).
    IDENTITY_FIELDS: ClassVar[tuple[str, ...]] = ()
    # URL fields whose ``user:password@`` counts as a secret.
    CREDENTIAL_URL_FIELDS: ClassVar[tuple[str, ...]] = ()
    # Secret fields that earn a warning when too short to be masked.
    WARN_IF_SHORT: ClassVar[tuple[str, ...]] = ()
    # The channels this kind's tickets carry (``Ticket.channel``), which ``TICKETBOT_SCOPE``'s
    # ``channel=`` may name; a value outside them earns a warning (no ticket would match it).
    # Empty: not checked.
    CHANNELS: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.ENV_VARS = {**declared_variables(cls), **cls.__dict__.get("ENV_VARS", {})}
        cls.HINTS = {**declared_hints(cls), **cls.__dict__.get("HINTS", {})}

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
            message = f"{var}: {error_text(cls, error)}"
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
