"""The taxonomy: the categories ticketbot may assign, from a user-editable TOML file.

The LLM prompt quotes each category's description, the JSON schema limits the model to these
names, and the keyword rules read their keywords from here. Pure: parsing only, no I/O beyond
reading the file it is given.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError
from .models import CATEGORY_NAME


class Category(BaseModel):
    """One category: its name, the description the LLM sees, and what the rules look for."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: Annotated[str, Field(pattern=CATEGORY_NAME.pattern)]
    description: Annotated[str, Field(min_length=1, max_length=500)]


class Taxonomy(BaseModel):
    """The ordered set of categories; the last resort is ``fallback_category``."""

    model_config = ConfigDict(frozen=True, extra="allow")

    categories: tuple[Category, ...]
    fallback_category: str = "other"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(category.name for category in self.categories)

    def validate_category(self, name: str) -> str:
        """Return ``name`` if it is a category of this taxonomy, else raise ValueError."""
        if name not in self.names:
            raise ValueError(f"unknown category {name!r}; expected one of {', '.join(self.names)}")
        return name


def default_taxonomy_text() -> str:
    return resources.files("ticket_processor").joinpath("default_taxonomy.toml").read_text("utf-8")


def parse_taxonomy(text: str, *, source: str = "taxonomy") -> Taxonomy:
    """Parse taxonomy TOML; errors name the file and the offending entry."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    table = document.get("categories")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{source}: needs at least one [categories.NAME] table")
    rest = {key: value for key, value in document.items() if key != "categories"}
    try:
        categories = tuple(
            Category(name=name, **(spec if isinstance(spec, dict) else {}))
            for name, spec in table.items()
        )
        taxonomy = Taxonomy(categories=categories, **rest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{source}: {where}: {first['msg']}") from None
    if taxonomy.fallback_category not in taxonomy.names:
        raise ConfigError(
            f"{source}: fallback_category {taxonomy.fallback_category!r} is not a category"
        )
    return taxonomy


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at ``path`` (TICKETBOT_TAXONOMY), or the one ticketbot ships."""
    if path is None:
        return parse_taxonomy(default_taxonomy_text(), source="default taxonomy")
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(
            f"TICKETBOT_TAXONOMY: cannot read {path}: {exc.strerror}; fix the path or unset it"
        ) from None
    return parse_taxonomy(text, source=str(path))
