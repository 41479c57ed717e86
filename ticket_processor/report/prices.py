"""What the LLM's tokens cost: the price list, ``TICKETBOT_PRICES``, and the pricer a run
counts its cost with. Its own module so that a run prices its tokens without importing the
report's aggregation (and the rich tables the report draws)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError
from ..models import BATCH_PRICE_SHARE

# USD per million (input, output) tokens, from the providers' public price lists. A model
# name matches its longest listed prefix, so dated snapshots ("gpt-4o-mini-2024-07-18")
# price like their family; anything else (llama3.1 on Ollama, vLLM) is free to us.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
}


def parse_prices(text: str) -> dict[str, tuple[float, float]]:
    """Parse ``"gpt-4o-mini=0.15/0.60,llama3.1=0/0"`` (USD per million input/output tokens)."""
    prices: dict[str, tuple[float, float]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, pair = item.partition("=")
        inp, _, out = pair.partition("/")
        try:
            price = (float(inp), float(out))
        except ValueError:
            raise ConfigError(
                f"TICKETBOT_PRICES: {item!r} is not model=INPUT/OUTPUT "
                "(USD per million tokens, e.g. gpt-4o-mini=0.15/0.60)"
            ) from None
        if not name.strip() or min(price) < 0 or not all(map(math.isfinite, price)):
            raise ConfigError(f"TICKETBOT_PRICES: {item!r} needs a model name and prices >= 0")
        prices[name.strip()] = price
    return prices


def price_for(model: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The price of ``model``: exact name, else its longest listed prefix, else free."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else (0.0, 0.0)


def billed_share(event: Mapping[str, Any]) -> float:
    """The share of the list price a ``ticket_triaged`` event's tokens cost."""
    return BATCH_PRICE_SHARE if event.get("billing") == "batch" else 1.0


def pricer(
    prices: Mapping[str, tuple[float, float]] = DEFAULT_PRICES,
) -> Callable[[str | None, int, int], float]:
    """``price(model, prompt_tokens, completion_tokens) -> USD`` for the pipeline's cost figure."""

    def price(model: str | None, prompt_tokens: int, completion_tokens: int) -> float:
        if not model:
            return 0.0
        price_in, price_out = price_for(model, prices)
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000

    return price
