"""Prices in USD per 1M tokens, for the cost_usd budget and reports.

These are OpenAI's list prices for standard (non-batch) processing as published in 2025.
A dated snapshot is priced by its family (the longest matching name prefix). Teams on
other prices (Azure, negotiated, new models) override or add entries under
``[tool.evalkit.prices."model-name"]`` with ``input``, ``cached_input`` and ``output``.
"""

from __future__ import annotations

from .config import Price

PRICES: dict[str, Price] = {
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


def cost_usd(
    model: str,
    input_tokens: int,
    cached_tokens: int,
    output_tokens: int,
    overrides: dict[str, Price] | None = None,
) -> float | None:
    price = price_for(model, overrides)
    if price is None:
        return None
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    fresh = max(input_tokens - cached_tokens, 0)
    total = fresh * price.input + cached_tokens * cached_rate + output_tokens * price.output
    return round(total / 1_000_000, 10)
