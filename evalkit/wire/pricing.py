"""Prices in USD per 1M tokens, for the cost_usd budget, estimates, the cost cap and reports.

These are OpenAI's list prices for standard processing as published in 2025, and, for the
GPT-5.x snapshots the example moved to, as OpenAI's pricing page listed them in 2026
(gpt-5.4 and gpt-5.4-mini from March 2026, gpt-5.5 from April 2026). The Batch API
charges half of each (input, cached input, output) unless an entry says otherwise with
``batch_input``, ``batch_cached_input`` or ``batch_output``. A dated snapshot is priced by
its family (the longest matching name prefix). Teams on other prices (Azure, negotiated, new
models) override or add entries under ``[tool.evalkit.prices."model-name"]`` with ``input``,
``cached_input``, ``output`` and the batch fields.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Price(BaseModel):
    """USD per 1M tokens. The batch rates default to half the standard ones (pricing.py)."""

    model_config = ConfigDict(extra="forbid")
    input: float = Field(ge=0, allow_inf_nan=False)
    output: float = Field(0.0, ge=0, allow_inf_nan=False)
    cached_input: float | None = Field(None, ge=0, allow_inf_nan=False)
    batch_input: float | None = Field(None, ge=0, allow_inf_nan=False)
    batch_cached_input: float | None = Field(None, ge=0, allow_inf_nan=False)
    batch_output: float | None = Field(None, ge=0, allow_inf_nan=False)


Rate = Literal["standard", "batch"]
BATCH_DISCOUNT = 0.5  # the Batch API's price relative to the standard one

PRICES: dict[str, Price] = {
    "gpt-5.5": Price(input=5.00, cached_input=0.50, output=30.00),
    "gpt-5.4": Price(input=2.50, cached_input=0.25, output=15.00),
    "gpt-5.4-mini": Price(input=0.75, cached_input=0.075, output=4.50),
    "gpt-5.2": Price(input=1.75, cached_input=0.175, output=14.00),
    "gpt-5": Price(input=1.25, cached_input=0.125, output=10.00),
    "gpt-5-mini": Price(input=0.25, cached_input=0.025, output=2.00),
    "gpt-5-nano": Price(input=0.05, cached_input=0.005, output=0.40),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
    "o3": Price(input=2.00, cached_input=0.50, output=8.00),
    "o3-mini": Price(input=1.10, cached_input=0.55, output=4.40),
    "o4-mini": Price(input=1.10, cached_input=0.275, output=4.40),
    "o1": Price(input=15.00, cached_input=7.50, output=60.00),
    "gpt-3.5-turbo": Price(input=0.50, output=1.50),
    "text-embedding-3-small": Price(input=0.02),
    "text-embedding-3-large": Price(input=0.13),
    "text-embedding-ada-002": Price(input=0.10),
}


def price_for(model: str, overrides: dict[str, Price] | None = None) -> Price | None:
    """The price of a model: an exact override, else the longest known family prefix."""
    table = {**PRICES, **(overrides or {})}
    if model in table:
        return table[model]
    family = max((name for name in table if model.startswith(name + "-")), key=len, default=None)
    return table[family] if family else None


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens at one rate (standard or batch)."""

    input: float
    cached_input: float
    output: float

    def cost(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        fresh = max(input_tokens - cached_tokens, 0)
        total = fresh * self.input + cached_tokens * self.cached_input + output_tokens * self.output
        return round(total / 1_000_000, 10)


def rates(price: Price, rate: Rate = "standard") -> Rates:
    """A price's rates for standard or batch processing (batch: half, unless the table says)."""
    cached = price.cached_input if price.cached_input is not None else price.input
    if rate == "standard":
        return Rates(price.input, cached, price.output)

    def half(given: float | None, standard: float) -> float:
        return given if given is not None else standard * BATCH_DISCOUNT

    batch_input = half(price.batch_input, price.input)
    batch_cached = (
        price.batch_cached_input
        if price.batch_cached_input is not None
        else (cached * BATCH_DISCOUNT if price.cached_input is not None else batch_input)
    )
    return Rates(batch_input, batch_cached, half(price.batch_output, price.output))


@functools.lru_cache(maxsize=1024)  # names a server reports are many at worst: bounded
def _listed(model: str, rate: Rate) -> Rates | None:
    """A model's rates by list price alone (PRICES is fixed, so the answer is kept)."""
    price = price_for(model)
    return None if price is None else rates(price, rate)


def rates_for(
    model: str, overrides: dict[str, Price] | None = None, rate: Rate = "standard"
) -> Rates | None:
    """The model's rates, with ``overrides`` (a project's ``prices``) over the list. Without
    overrides, the answer is kept: every sample of a run asks it of the same model."""
    if not overrides:
        return _listed(model, rate)
    price = price_for(model, overrides)
    return None if price is None else rates(price, rate)


def cost_usd(
    model: str,
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    overrides: dict[str, Price] | None = None,
    rate: Rate = "standard",
) -> float | None:
    """What the tokens cost at ``rate``; None when the model has no known price."""
    found = rates_for(model, overrides, rate)
    return None if found is None else found.cost(input_tokens, cached_tokens, output_tokens)
