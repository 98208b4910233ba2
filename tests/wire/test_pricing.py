"""Prices: list prices by family prefix, a project's overrides over them, and the kept
answers for list prices (every sample of a run asks the same model's rates)."""

from __future__ import annotations

from evalkit.wire import pricing
from evalkit.wire.pricing import Price, cost_usd, rates_for


def test_list_rates_are_kept_and_overrides_are_read_each_time() -> None:
    mini = "gpt-4.1-mini-2025-04-14"
    listed = rates_for(mini)
    assert listed is not None and listed.input == 0.40 and listed.cached_input == 0.10
    assert rates_for(mini) is listed  # kept
    assert rates_for(mini, rate="batch") == pricing.Rates(0.20, 0.05, 0.80)
    own = {mini: Price(input=1.0, output=2.0)}
    assert rates_for(mini, own) == pricing.Rates(1.0, 1.0, 2.0)
    own[mini] = Price(input=3.0)  # an override is never served from the kept answers
    assert rates_for(mini, own) == pricing.Rates(3.0, 3.0, 0.0)
    assert rates_for(mini) is listed
    assert rates_for("llama-local") is None and cost_usd("llama-local", 10, 0, 10) is None
    assert cost_usd(mini, 1_000_000, 0, 0) == 0.40


def test_the_kept_answers_stay_bounded_whatever_names_a_server_reports() -> None:
    for i in range(5000):
        rates_for(f"model-{i}")
    assert pricing._listed.cache_info().currsize <= 1024
    assert rates_for("gpt-4o-2024-08-06") == pricing.Rates(2.50, 1.25, 10.00)
