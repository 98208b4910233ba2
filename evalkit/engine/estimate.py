"""What a run will send and cost, before any call: ``evalkit estimate`` and the cost cap.

For every planned request that will be sent (recorded ones are replayed, so they are not
counted unless the mode re-records): the input tokens, counted with the model's tokenizer
(OpenAI's own encodings, exact for OpenAI models and an estimate for others), the schema and
tools included; the output tokens expected (the mean of what this case answered under other
prompt versions or models, from its recording file, when there is any; else the request's
``max_tokens``) and their upper bound (``max_tokens`` / ``max_completion_tokens`` /
``max_output_tokens`` times ``n``; without one, the model's largest output); and the cost at
the standard and at the batch rate (pricing.py).

A case with scripted tool results is a loop of up to ``max_turns`` requests, each later
one keyed by what the model said. What is recorded is walked offline (the same rule as a
run: engine/turns.py ``next_turn``); from the first turn that would be sent, every turn
``max_turns`` still allows is counted, its input bounded honestly: the turn before's input,
plus that turn's whole output (``max_tokens``), plus its tool calls' results (at most one
call a turn with ``parallel_tool_calls: false``, else as many as the output could name: one
per the cheapest call's name and arguments), each the size of the largest scripted result
plus the call's ids and framing. Without an output limit nothing bounds those turns: the
estimate says so (n/a), and a cost cap refuses the run.

The checks' own calls (a judge, embeddings for ``similar``) depend on the answers, so they
are not in the estimate; the cost cap (engine/costcap.py) counts them as they are sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import Mode, Settings
from ..errors import ConfigError, EstimateOverCap
from ..project.plan import PlannedCase
from ..project.recordings import Owner, RecordingStore
from ..wire import tokens
from ..wire.pricing import Rate, rates_for
from ..wire.request import Request
from ..wire.response import Response
from .turns import next_turn

LIMIT_KEYS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
# The largest output a model family can give, for requests without a limit (longest prefix).
OUTPUT_CEILING = {
    "gpt-5": 128_000,
    "gpt-4.1": 32_768,
    "gpt-4o": 16_384,
    "gpt-4o-mini": 16_384,
    "o1": 100_000,
    "o3": 100_000,
    "o3-mini": 100_000,
    "o4-mini": 100_000,
    "gpt-3.5-turbo": 4_096,
}


# What a tool call adds to the next turn's input beyond its arguments and result: its id
# twice (the assistant's call, the tool's answer; ~24 characters each) and the framing of
# the tool message. Generous on purpose: the bound must hold.
CALL_OVERHEAD = 48
TURN_OVERHEAD = 16  # the assistant message's own framing


def input_tokens(request: Request) -> int:
    """The input the API will count: messages (tool calls, their ids and results included),
    plus the schema and tools sent with them."""
    body = request.body
    total = tokens.input_tokens(request.endpoint, body)
    for key in ("response_format", "text", "tools"):
        if key in body:
            total += tokens.count(request.model, json.dumps(body[key]))
    items = body.get("messages", body.get("input"))
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):  # a later turn: tool calls and results are not `content`
            extra = {k: v for k, v in item.items() if k not in ("role", "content") and v}
            if extra:
                total += tokens.count(request.model, json.dumps(extra))
    return total


def choices(request: Request) -> int:
    n = request.body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1


def output_limit(request: Request) -> int | None:
    """The most output tokens the request can produce; None when nothing bounds it."""
    if request.endpoint == "embeddings":
        return 0
    for key in LIMIT_KEYS:
        limit = request.body.get(key)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            return limit * choices(request)
    model = request.model
    family = max(
        (f for f in OUTPUT_CEILING if model == f or model.startswith(f + "-")),
        key=len,
        default=None,
    )
    return OUTPUT_CEILING[family] * choices(request) if family else None


def upper_bound_usd(request: Request, settings: Settings, rate: Rate) -> float:
    """The most ``request`` can cost; a ConfigError when that cannot be known (a model with
    no price, or no output limit), since a cap must never count it as $0."""
    found = rates_for(request.model, settings.prices, rate)
    if found is None:
        raise ConfigError(unknown_price(request.model))
    limit = output_limit(request)
    if limit is None:
        raise ConfigError(
            f"cannot bound the cost of a {request.model} request: it has no max_tokens "
            "(max_completion_tokens, max_output_tokens) and evalkit does not know the model's "
            "largest output; set one in the suite's params to use --max-cost"
        )
    return found.cost(input_tokens(request), 0, limit)


def unknown_price(model: str) -> str:
    return (
        f"model {model} has no known price, so --max-cost cannot bound what it spends: add "
        f'[tool.evalkit.prices."{model}"] with input and output (USD per 1M tokens; '
        "batch_input and batch_output default to half)"
    )


@dataclass
class SuiteEstimate:
    """One suite (under one variant), or the total of several."""

    name: str
    cases: int = 0
    to_send: int = 0
    recorded: int = 0
    input_tokens: int = 0
    output_expected: int = 0
    output_upper: int = 0
    from_recordings: int = 0  # requests whose expected output came from recordings
    unbounded: int = 0  # requests that nothing bounds (no limit, unknown model)
    later_turns: int = 0  # of to_send: tool-loop turns max_turns allows, at their bound
    live_expected: float | None = 0.0
    live_upper: float | None = 0.0
    batch_expected: float | None = 0.0
    batch_upper: float | None = 0.0
    models: set[str] = field(default_factory=set)

    def add_cost(self, name: str, value: float | None) -> None:
        current = getattr(self, name)
        setattr(self, name, None if current is None or value is None else current + value)

    def fold(self, other: SuiteEstimate) -> None:
        for name in (
            "cases",
            "to_send",
            "recorded",
            "input_tokens",
            "output_expected",
            "output_upper",
            "from_recordings",
            "unbounded",
            "later_turns",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("live_expected", "live_upper", "batch_expected", "batch_upper"):
            self.add_cost(name, getattr(other, name))
        self.models |= other.models

    def cost(self, rate: Rate, upper: bool = True) -> float | None:
        prefix = "batch" if rate == "batch" else "live"
        return getattr(self, f"{prefix}_{'upper' if upper else 'expected'}")  # type: ignore[no-any-return]


@dataclass
class Estimate:
    mode: Mode
    suites: list[SuiteEstimate] = field(default_factory=list)
    unknown_prices: set[str] = field(default_factory=set)

    @property
    def total(self) -> SuiteEstimate:
        total = SuiteEstimate("total")
        for suite in self.suites:
            total.fold(suite)
        return total

    def text(self) -> str:
        """A plain table (it may end up in an error message, a log or a terminal)."""
        sends = (
            "every request is sent"
            if self.mode in (Mode.RERECORD, Mode.LIVE)
            else ("recorded requests are replayed, not sent")
        )
        head = [
            "suite",
            "cases",
            "to send",
            "recorded",
            "input tok",
            "output tok exp/max",
            "live $ exp/max",
            "batch $ exp/max",
        ]
        rows = [head]
        shown = [*self.suites, self.total] if len(self.suites) != 1 else self.suites
        for s in shown:
            rows.append(
                [
                    s.name,
                    f"{s.cases:,}",
                    f"{s.to_send:,}",
                    f"{s.recorded:,}",
                    f"{s.input_tokens:,}",
                    f"{s.output_expected:,}/{_upper_tokens(s)}",
                    f"{_usd(s.live_expected)}/{_usd(s.live_upper)}",
                    f"{_usd(s.batch_expected)}/{_usd(s.batch_upper)}",
                ]
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [f"estimate before any call ({self.mode.value} mode: {sends})"]
        for row in rows:
            lines.append(
                "  ".join(
                    cell.ljust(w) if i == 0 else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                ).rstrip()
            )
        total = self.total
        exact = sorted(m for m in total.models if tokens.exact_for(m))
        other = sorted(m for m in total.models if not tokens.exact_for(m))
        if exact:
            lines.append(f"input tokens: exact (OpenAI's tokenizer) for {', '.join(exact)}")
        if other:
            lines.append(
                f"input tokens: an estimate for {', '.join(other)} (counted with OpenAI's "
                "tokenizer; that server counts with its own)"
            )
        if total.to_send:
            lines.append(
                f"output expected: from the case's recorded answers (other prompt versions, models) for "
                f"{total.from_recordings:,} of {total.to_send:,} requests, else max_tokens"
            )
        if total.later_turns:
            lines.append(
                f"{total.later_turns:,} of the requests to send are later turns of tool loops "
                "(every turn max_turns allows), counted at their upper bound: each one's input "
                "grows by the turn before's whole output and its scripted tool results"
            )
        if total.unbounded:
            lines.append(
                f"{total.unbounded:,} request(s) have no max_tokens and a model whose largest "
                "output is unknown: their upper bound is unknown (n/a)"
            )
        for model in sorted(self.unknown_prices):
            lines.append(
                f'no price for {model}: its cost is n/a; add [tool.evalkit.prices."{model}"]'
            )
        lines.append(
            "checks' own calls (judge, similar) depend on the answers and are not included"
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        def one(s: SuiteEstimate) -> dict[str, Any]:
            return {
                "suite": s.name,
                "cases": s.cases,
                "requests_to_send": s.to_send,
                "later_turns": s.later_turns,
                "recorded": s.recorded,
                "input_tokens": s.input_tokens,
                "output_tokens_expected": s.output_expected,
                "output_tokens_upper": None if s.unbounded else s.output_upper,
                "cost_live_expected_usd": s.live_expected,
                "cost_live_upper_usd": s.live_upper,
                "cost_batch_expected_usd": s.batch_expected,
                "cost_batch_upper_usd": s.batch_upper,
            }

        return {
            "mode": self.mode.value,
            "suites": [one(s) for s in self.suites],
            "total": one(self.total),
            "unknown_prices": sorted(self.unknown_prices),
            "exact_input_tokens": sorted(m for m in self.total.models if tokens.exact_for(m)),
        }


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _upper_tokens(s: SuiteEstimate) -> str:
    return "n/a" if s.unbounded else f"{s.output_upper:,}"


def recorded_outputs(store: RecordingStore, owner: Owner, endpoint: str) -> list[int]:
    """Output tokens of the case's own answers already recorded (any prompt version or
    model): what it is likely to answer this time."""
    return [
        Response(endpoint=e.request.endpoint, body=e.response).output_tokens
        for e in store.entries(owner).values()
        if e.purpose is None and e.request.endpoint == endpoint
    ]


def estimate(
    planned: Iterable[PlannedCase], settings: Settings, store: RecordingStore, mode: Mode
) -> Estimate:
    """What running ``planned`` under ``mode`` will send and cost (see the module)."""
    result = Estimate(mode)
    by_suite: dict[tuple[str, str | None], SuiteEstimate] = {}
    resend = mode in (Mode.RERECORD, Mode.LIVE)
    for case in planned:
        name = case.suite.name + (f"[{case.target.variant}]" if case.target.variant else "")
        line = by_suite.setdefault((case.suite.name, case.target.variant), SuiteEstimate(name))
        line.cases += 1
        owner = Owner(case.suite.name, case.case.id)
        try:
            for request in case.requests:
                _add_sample(line, result, case, request, settings, store, owner, resend)
        finally:
            store.forget(owner)  # read once; a big suite is not held in memory
    result.suites = list(by_suite.values())
    return result


def _add_sample(
    line: SuiteEstimate,
    result: Estimate,
    case: PlannedCase,
    first: Request,
    settings: Settings,
    store: RecordingStore,
    owner: Owner,
    resend: bool,
) -> None:
    """One sample: its recorded turns walked offline, then what would be sent."""
    request, number = first, 0
    while True:
        recorded = None if resend else store.get(owner, request)
        if recorded is None:
            break
        line.recorded += 1
        _, following, _ = next_turn(case, request, recorded, number)
        if following is None:
            return  # replayed whole: nothing to send
        request, number = following, number + 1
    _add_request(line, result, request, settings, store, owner)
    if case.case.tool_results is not None:
        later = case.target.max_turns - number - 1
        _add_later_turns(line, result, case, request, later, settings)


def _calls_per_turn(case: PlannedCase, limit: int) -> int:
    """The most scripted calls one turn can make: one without parallel tool calls, else as
    many as ``limit`` output tokens can name (the cheapest call: its name and ``{}``)."""
    if case.target.parallel_tool_calls is False:
        return 1
    script = case.case.tool_results
    names = {r.name for r in script.results} if script is not None else set()
    cheapest = min((tokens.count(case.target.model, n) + 1 for n in names), default=1)
    return max(1, limit // max(cheapest, 1))


def _add_later_turns(
    line: SuiteEstimate,
    result: Estimate,
    case: PlannedCase,
    sent: Request,
    later: int,
    settings: Settings,
) -> None:
    """The turns after ``sent`` that ``max_turns`` allows, each at its upper bound."""
    if later <= 0:
        return
    model = sent.model
    limit = output_limit(sent)
    line.to_send += later
    line.later_turns += later
    line.models.add(model)
    if limit is None:
        line.unbounded += later
        for prefix in ("live", "batch"):
            line.add_cost(f"{prefix}_expected", None)
            line.add_cost(f"{prefix}_upper", None)
        return
    script = case.case.tool_results
    results = [tokens.count(model, r.text()) for r in script.results] if script else []
    biggest = max(results, default=0)
    growth = limit + TURN_OVERHEAD + _calls_per_turn(case, limit) * (biggest + CALL_OVERHEAD)
    expected_growth = limit + TURN_OVERHEAD + biggest + CALL_OVERHEAD  # one call a turn
    before = input_tokens(sent)
    # expected: a turn per scripted result (a model calls each tool once, then answers)
    expected_turns = min(later, len(results))
    for turn in range(1, later + 1):
        upper_in, expected_in = before + turn * growth, before + turn * expected_growth
        expected = turn <= expected_turns
        line.input_tokens += upper_in
        line.output_expected += limit if expected else 0
        line.output_upper += limit
        for rate, prefix in (("standard", "live"), ("batch", "batch")):
            found = rates_for(model, settings.prices, rate)  # type: ignore[arg-type]
            if found is None:
                result.unknown_prices.add(model)
            cost = found.cost(expected_in, 0, limit) if found and expected else 0.0
            line.add_cost(f"{prefix}_expected", cost if found else None)
            line.add_cost(f"{prefix}_upper", found.cost(upper_in, 0, limit) if found else None)


def _add_request(
    line: SuiteEstimate,
    result: Estimate,
    request: Request,
    settings: Settings,
    store: RecordingStore,
    owner: Owner,
) -> None:
    line.to_send += 1
    line.models.add(request.model)
    count = input_tokens(request)
    line.input_tokens += count
    limit = output_limit(request)
    seen = recorded_outputs(store, owner, request.endpoint)
    if seen:
        expected = round(sum(seen) / len(seen)) * choices(request)
        if limit is not None:
            expected = min(expected, limit)
        line.from_recordings += 1
    else:
        expected = limit or 0
    line.output_expected += expected
    if limit is None:
        line.unbounded += 1
    else:
        line.output_upper += limit
    for rate, prefix in (("standard", "live"), ("batch", "batch")):
        found = rates_for(request.model, settings.prices, rate)  # type: ignore[arg-type]
        if found is None:
            result.unknown_prices.add(request.model)
        line.add_cost(f"{prefix}_expected", found.cost(count, 0, expected) if found else None)
        upper = found.cost(count, 0, limit) if found and limit is not None else None
        line.add_cost(f"{prefix}_upper", upper)


def check_models(planned: Iterable[PlannedCase]) -> set[str]:
    """Models the checks call on their own (a judge's, the embeddings of ``similar``)."""
    models: set[str] = set()
    for case in planned:
        for spec in case.case.asserts:
            model = getattr(spec.args, "model", None)
            if isinstance(model, str) and model:
                models.add(model)
    return models


def check_cap(
    planned: Sequence[PlannedCase],
    settings: Settings,
    store: RecordingStore,
    mode: Mode,
    rate: Rate,
    spent_before: float = 0.0,
) -> Estimate | None:
    """With ``max_cost_usd`` set, refuse a run whose upper bound could cross it (or cannot
    be bounded) before anything is sent; returns the estimate it looked at."""
    cap = settings.max_cost_usd
    if cap is None or not mode.calls_api:
        return None
    found = estimate(planned, settings, store, mode)
    total = found.total
    if found.unknown_prices:
        raise ConfigError(unknown_price(sorted(found.unknown_prices)[0]))
    for model in sorted(check_models(planned)):  # a judge's or an embedding's calls
        if rates_for(model, settings.prices) is None:
            raise ConfigError(unknown_price(model))
    if total.unbounded:
        example = next((r for p in planned for r in p.requests if output_limit(r) is None), None)
        if example is None:  # a later turn of a loop whose first was recorded
            raise ConfigError(
                "cannot bound the cost of a tool loop's later turns: its requests have no "
                "max_tokens (max_completion_tokens, max_output_tokens); set one in the suite's "
                "params to use --max-cost"
            )
        upper_bound_usd(example, settings, rate)  # raises, naming the model
    upper = total.cost(rate)
    assert upper is not None
    spent = f" plus ${spent_before:.4f} already spent by this run" if spent_before else ""
    if upper + spent_before > cap:
        raise EstimateOverCap(
            f"this run could cost up to ${upper:.4f} at the {rate} rate{spent}, over the "
            f"${cap:g} cap (--max-cost / max_cost_usd): it was not started. Raise the cap, "
            "run fewer suites, or lower max_tokens.\n" + found.text(),
        )
    return found
