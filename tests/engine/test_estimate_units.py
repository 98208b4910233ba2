"""engine/estimate.py's pure parts, in process: what bounds a request's output, what its
input counts, the cost upper bound and its refusals, how suite lines add up (an unknown
cost stays unknown), and what the table and the JSON say. No project, no server."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from evalkit.config import Mode, Settings
from evalkit.engine.estimate import (
    OUTPUT_CEILING,
    Estimate,
    SuiteEstimate,
    check_cap,
    choices,
    input_tokens,
    output_limit,
    upper_bound_usd,
)
from evalkit.errors import ConfigError
from evalkit.project.recordings import RecordingStore
from evalkit.wire import tokens
from evalkit.wire.pricing import Price
from evalkit.wire.request import Request

MODEL = "gpt-4.1-mini-2025-04-14"


def chat(**body: Any) -> Request:
    return Request(
        endpoint="chat.completions",
        body={"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **body},
    )


# -- choices and output_limit ------------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(None, 1), (1, 1), (3, 3), (0, 1), (-2, 1)])
def test_choices_counts_n_only_when_it_is_a_positive_int(n: Any, expected: int) -> None:
    assert choices(chat() if n is None else chat(n=n)) == expected


@pytest.mark.parametrize("n", [True, "3", 2.0])
def test_choices_ignores_an_n_that_is_not_an_int(n: Any) -> None:
    assert choices(chat(n=n)) == 1


def test_an_embedding_produces_no_output() -> None:
    request = Request(
        endpoint="embeddings", body={"model": "text-embedding-3-small", "input": ["a"]}
    )
    assert output_limit(request) == 0


@pytest.mark.parametrize("key", ["max_completion_tokens", "max_tokens", "max_output_tokens"])
def test_each_limit_key_bounds_the_output_times_n(key: str) -> None:
    assert output_limit(chat(**{key: 50})) == 50
    assert output_limit(chat(**{key: 50, "n": 4})) == 200


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    assert output_limit(chat(max_tokens=900, max_completion_tokens=30)) == 30


def test_a_zero_limit_is_a_limit() -> None:
    assert output_limit(chat(max_tokens=0)) == 0


@pytest.mark.parametrize("bad", [True, -1, "50", 5.5, None])
def test_a_limit_that_is_not_a_non_negative_int_falls_back_to_the_ceiling(bad: Any) -> None:
    # gpt-4.1 has a known ceiling: a bad max_tokens must not be read as 1 (True) or -1
    assert output_limit(chat(max_tokens=bad)) == OUTPUT_CEILING["gpt-4.1"]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("gpt-5-nano", "gpt-5"),
    ],
)
def test_without_a_limit_the_longest_family_prefix_gives_the_ceiling(
    model: str, family: str
) -> None:
    request = Request(endpoint="chat.completions", body={"model": model, "messages": []})
    assert output_limit(request) == OUTPUT_CEILING[family]
    two = Request(endpoint="chat.completions", body={"model": model, "messages": [], "n": 2})
    assert output_limit(two) == 2 * OUTPUT_CEILING[family]


@pytest.mark.parametrize("model", ["gpt-4.10", "gpt-4ox", "llama-3", "", "my-gpt-4o"])
def test_a_model_outside_every_family_has_no_bound(model: str) -> None:
    # a family matches only whole: the name itself or the name followed by "-"
    request = Request(endpoint="chat.completions", body={"model": model, "messages": []})
    assert output_limit(request) is None


# -- input_tokens ------------------------------------------------------------------------


def test_input_counts_the_messages_like_the_tokenizer_module() -> None:
    request = chat()
    assert input_tokens(request) == tokens.input_tokens("chat.completions", request.body)


def test_tools_and_a_schema_are_counted_on_top_of_the_messages() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    base = input_tokens(chat())
    with_tools = input_tokens(chat(tools=tools))
    with_both = input_tokens(chat(tools=tools, response_format=schema))
    assert with_tools == base + tokens.count(MODEL, json.dumps(tools))
    assert with_both == with_tools + tokens.count(MODEL, json.dumps(schema))


def test_a_later_turns_tool_calls_and_ids_are_counted() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    ]
    request = Request(endpoint="chat.completions", body={"model": MODEL, "messages": messages})
    plain = tokens.input_tokens("chat.completions", request.body)
    extra = tokens.count(MODEL, json.dumps({"tool_calls": [call]})) + tokens.count(
        MODEL, json.dumps({"tool_call_id": "call_1"})
    )
    assert input_tokens(request) == plain + extra


def test_empty_extras_and_non_dict_items_add_nothing() -> None:
    messages: list[Any] = [{"role": "user", "content": "hi", "name": "", "tool_calls": []}]
    request = Request(endpoint="chat.completions", body={"model": MODEL, "messages": messages})
    assert input_tokens(request) == tokens.input_tokens("chat.completions", request.body)
    responses = Request(endpoint="responses", body={"model": MODEL, "input": "hello there"})
    assert input_tokens(responses) == tokens.count(MODEL, "hello there") + tokens.PER_MESSAGE


# -- upper_bound_usd ---------------------------------------------------------------------


def test_the_upper_bound_is_the_input_plus_the_whole_output_at_the_rate() -> None:
    price = Price(input=2.0, output=10.0)
    settings = Settings(prices={"house-model": price})
    request = Request(
        endpoint="chat.completions",
        body={"model": "house-model", "messages": [{"role": "user", "content": "x"}]},
    )
    bounded = request.model_copy(update={"body": {**request.body, "max_tokens": 1000}})
    counted = input_tokens(bounded)
    standard = upper_bound_usd(bounded, settings, "standard")
    assert standard == pytest.approx((counted * 2.0 + 1000 * 10.0) / 1e6)
    assert upper_bound_usd(bounded, settings, "batch") == pytest.approx(standard / 2)


def test_an_unpriced_model_refuses_with_the_table_to_add() -> None:
    request = Request(
        endpoint="chat.completions", body={"model": "mystery-9", "messages": [], "max_tokens": 5}
    )
    with pytest.raises(ConfigError) as raised:
        upper_bound_usd(request, Settings(), "standard")
    assert '[tool.evalkit.prices."mystery-9"]' in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_priced_model_without_any_output_bound_refuses_naming_it() -> None:
    settings = Settings(prices={"house-model": Price(input=1.0, output=1.0)})
    request = Request(endpoint="chat.completions", body={"model": "house-model", "messages": []})
    with pytest.raises(ConfigError, match="cannot bound the cost of a house-model request"):
        upper_bound_usd(request, settings, "standard")


# -- SuiteEstimate -------------------------------------------------------------------------


def test_an_unknown_cost_stays_unknown_once_added() -> None:
    line = SuiteEstimate("s")
    line.add_cost("live_upper", 1.5)
    assert line.live_upper == 1.5
    line.add_cost("live_upper", None)
    assert line.live_upper is None
    line.add_cost("live_upper", 2.0)
    assert line.live_upper is None
    assert line.live_expected == 0.0  # the other costs are untouched


def test_fold_adds_every_count_and_unions_the_models() -> None:
    rng = random.Random(20)
    counts = [
        "cases",
        "to_send",
        "recorded",
        "input_tokens",
        "output_expected",
        "output_upper",
        "from_recordings",
        "unbounded",
        "later_turns",
    ]
    lines = []
    for i in range(5):
        line = SuiteEstimate(f"s{i}", models={f"m{i}", "shared"})
        for name in counts:
            setattr(line, name, rng.randrange(1000))
        line.live_expected = rng.random()
        line.batch_upper = rng.random()
        lines.append(line)
    total = SuiteEstimate("total")
    for line in lines:
        total.fold(line)
    for name in counts:
        assert getattr(total, name) == sum(getattr(line, name) for line in lines)
    assert total.live_expected == pytest.approx(sum(line.live_expected or 0 for line in lines))
    assert total.models == {"shared", "m0", "m1", "m2", "m3", "m4"}
    lines[2].batch_upper = None
    again = SuiteEstimate("total")
    for line in lines:
        again.fold(line)
    assert again.batch_upper is None and again.live_expected is not None


def test_cost_picks_the_rate_and_the_bound() -> None:
    line = SuiteEstimate(
        "s", live_expected=1.0, live_upper=2.0, batch_expected=3.0, batch_upper=4.0
    )
    assert line.cost("standard") == 2.0
    assert line.cost("standard", upper=False) == 1.0
    assert line.cost("batch") == 4.0
    assert line.cost("batch", upper=False) == 3.0


# -- Estimate: the table and the JSON -------------------------------------------------------


def two_suites() -> Estimate:
    a = SuiteEstimate(
        "alpha",
        cases=2,
        to_send=2,
        input_tokens=1200,
        output_expected=40,
        output_upper=100,
        live_expected=0.25,
        live_upper=0.5,
        batch_expected=0.125,
        batch_upper=0.25,
        models={MODEL},
    )
    b = SuiteEstimate(
        "beta[fast]",
        cases=1,
        to_send=1,
        recorded=3,
        input_tokens=10,
        output_expected=5,
        unbounded=1,
        live_upper=None,
        batch_upper=None,
        models={"llama-local"},
    )
    return Estimate(Mode.RECORD, [a, b], unknown_prices={"llama-local"})


def test_the_table_has_a_total_row_only_for_several_suites() -> None:
    text = two_suites().text()
    rows = [line.split()[0] for line in text.splitlines()[1:5]]
    assert rows == ["suite", "alpha", "beta[fast]", "total"]
    one = Estimate(Mode.RECORD, [two_suites().suites[0]]).text()
    assert "total" not in [line.split()[0] for line in one.splitlines()[1:]]


def test_the_table_reads_counts_with_separators_and_unknowns_as_na() -> None:
    text = two_suites().text()
    alpha = next(line for line in text.splitlines() if line.startswith("alpha"))
    assert "1,200" in alpha and "40/100" in alpha and "0.2500/0.5000" in alpha
    beta = next(line for line in text.splitlines() if line.startswith("beta"))
    assert "5/n/a" in beta and "0.0000/n/a" in beta
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert "1,210" in total and "45/n/a" in total  # one unbounded suite: the total is unknown


def test_the_table_columns_line_up() -> None:
    lines = two_suites().text().splitlines()[1:5]
    # every row right-aligns its numbers: the rows end at the same column
    assert len({len(line) for line in lines}) == 1


def test_the_notes_name_what_is_exact_unbounded_and_unpriced() -> None:
    text = two_suites().text()
    assert f"input tokens: exact (OpenAI's tokenizer) for {MODEL}" in text
    assert "input tokens: an estimate for llama-local" in text
    assert "1 request(s) have no max_tokens" in text
    assert 'no price for llama-local: its cost is n/a; add [tool.evalkit.prices."llama-local"]' in (
        text
    )
    assert "for 0 of 3 requests" in text
    assert "later turns" not in text
    assert text.splitlines()[0] == (
        "estimate before any call (record mode: recorded requests are replayed, not sent)"
    )


@pytest.mark.parametrize("mode", [Mode.RERECORD, Mode.LIVE])
def test_modes_that_resend_say_so(mode: Mode) -> None:
    assert "every request is sent" in Estimate(mode, []).text().splitlines()[0]


def test_an_empty_estimate_has_no_per_request_notes() -> None:
    text = Estimate(Mode.REPLAY, []).text()
    assert "output expected" not in text and "request(s)" not in text
    assert text.splitlines()[-1].startswith("checks' own calls")


def test_the_json_has_every_suite_the_total_and_null_for_unknown_bounds() -> None:
    found = two_suites().to_json()
    assert found["mode"] == "record"
    assert [s["suite"] for s in found["suites"]] == ["alpha", "beta[fast]"]
    assert found["suites"][0]["output_tokens_upper"] == 100
    assert found["suites"][1]["output_tokens_upper"] is None
    assert found["total"]["input_tokens"] == 1210
    assert found["total"]["requests_to_send"] == 3
    assert found["total"]["cost_live_upper_usd"] is None
    assert found["total"]["cost_live_expected_usd"] == pytest.approx(0.25)
    assert found["unknown_prices"] == ["llama-local"]
    assert found["exact_input_tokens"] == [MODEL]
    json.dumps(found)  # it is what --json prints


# -- check_cap's early returns ----------------------------------------------------------------


def test_no_cap_or_a_replay_never_estimates(tmp_path: Any) -> None:
    store = RecordingStore(tmp_path / "recordings")
    assert check_cap([], Settings(), store, Mode.LIVE, "standard") is None
    capped = Settings(max_cost_usd=1.0)
    assert check_cap([], capped, store, Mode.REPLAY, "standard") is None


def test_an_empty_plan_under_a_cap_is_allowed_and_costs_nothing(tmp_path: Any) -> None:
    store = RecordingStore(tmp_path / "recordings")
    found = check_cap([], Settings(max_cost_usd=0.01), store, Mode.LIVE, "standard")
    assert found is not None and found.suites == []
    assert found.total.cost("standard") == 0.0
