"""Tinydesk's settings and its descriptor: the whole of what the registry is told."""

from __future__ import annotations

from typing import ClassVar

from ticket_processor.common.helpdesk_settings import HelpdeskSettings
from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.descriptor import HelpdeskKind

HERE = __name__.rsplit(".", 1)[0]


class TinydeskSettings(HelpdeskSettings):
    ENV_VARS: ClassVar[dict[str, str]] = {"tinydesk_store": "TINYDESK_STORE"}

    tinydesk_store: str | None = None

    @property
    def base_url(self) -> str:
        self.require()
        return f"http://tinydesk.invalid/{self.tinydesk_store}"

    def require(self) -> None:
        if not self.tinydesk_store:
            raise ConfigError("TINYDESK_STORE is not set: the name of the in-memory store")


# No ``linking`` (no incidents) and ``answers=False``: what a run then skips, it says once.
KIND = HelpdeskKind(
    name="tinydesk",
    label="Tinydesk",
    settings=TinydeskSettings,
    adapter=f"{HERE}.adapter:build",
    seed=f"{HERE}.adapter:seed",
    sandbox=HERE,
    desk=f"{HERE}.desk:serve",
    receiver=f"{HERE}.deliveries:RECEIVER",
    account_variables=("TINYDESK_STORE",),
    answers=False,
)
