"""A case with scripted tool results is a loop of model turns over the one request path.

The model answers; each tool call it makes is answered from the case's script (a call with
no scripted result ends the loop and fails the case, naming the tool and its arguments);
the loop ends with an answer that calls no tool, or at ``max_turns``. Every turn is one
request through the run's answerer, so each is recorded under its own hash and replay
walks the same trajectory offline. Without a script, one turn is made and the checks see
its tool calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import CaseError, CircuitOpen
from ..project.plan import PlannedCase, turn_request
from ..project.recordings import Owner
from ..wire.request import Request
from ..wire.response import Response
from ..wire.tools import ToolCall, result_item
from .answerers import Answerer


@dataclass
class Turn:
    request: Request
    response: Response
    calls: list[ToolCall]
    results: list[tuple[ToolCall, str]] = field(default_factory=list)


@dataclass
class Trajectory:
    turns: list[Turn] = field(default_factory=list)
    error: str | None = None  # why the loop stopped short (the case fails)
    remedy: str | None = None
    not_run: str | None = None  # a later turn was never answered (errors.CaseError.not_run)

    @property
    def final(self) -> Response:
        return self.turns[-1].response

    @property
    def calls(self) -> list[ToolCall]:
        return [c for t in self.turns for c in t.calls]

    def total(self, field_name: str) -> int:
        return sum(int(getattr(t.response, field_name)) for t in self.turns)

    @property
    def latency_ms(self) -> float:
        return sum(t.response.latency_ms for t in self.turns)

    @property
    def ttft_ms(self) -> float | None:
        """The slowest first token of any turn (each turn keeps the user waiting)."""
        values = [t.response.ttft_ms for t in self.turns if t.response.ttft_ms is not None]
        return max(values) if values else None

    @property
    def retries(self) -> int:
        return sum(t.response.retries for t in self.turns)


def _wire(request: Request) -> list[dict[str, object]]:
    items = request.body.get("messages", request.body.get("input", []))
    return list(items) if isinstance(items, list) else []


def next_turn(
    planned: PlannedCase, request: Request, response: Response, number: int
) -> tuple[Turn, Request | None, str | None]:
    """Turn ``number`` (0 first) answered: the turn with its scripted results, the next
    turn's request (None: the loop ends here), and why it stopped short, if it did. The
    one rule of a loop, for the engine and for the estimate (engine/estimate.py)."""
    target = planned.target
    script = planned.case.tool_results
    turn = Turn(request, response, response.tool_calls(number))
    if script is None or not turn.calls or number >= target.max_turns - 1:
        return turn, None, None
    items = [*_wire(request), *response.continuation()]
    for call in turn.calls:
        scripted = script.answer(call)
        if scripted is None:
            return (
                turn,
                None,
                f"the model called {call.name} with {call.arguments or '{}'} in turn "
                f"{number + 1}, and tool_results has no result for that call: add one",
            )
        turn.results.append((call, scripted.text()))
        items.append(result_item(call, scripted.text(), target.api))
    return turn, turn_request(target, items, request.sample), None


async def run_turns(
    answerer: Answerer, owner: Owner, planned: PlannedCase, first: Request
) -> Trajectory:
    """Every turn of one sample. A failure of the first turn raises (there is no answer);
    a later one ends the trajectory with its error."""
    trajectory = Trajectory()
    request = first
    response = await answerer.answer(owner, request)
    for number in range(planned.target.max_turns):
        turn, following, error = next_turn(planned, request, response, number)
        trajectory.turns.append(turn)
        if error is not None:
            trajectory.error = error
            return trajectory
        if following is None:
            break
        request = following
        try:  # a later turn is keyed by what the model said: marked, not planned
            response = await answerer.answer(owner, request, f"turn {number + 2}")
        except CircuitOpen:
            raise
        except CaseError as exc:
            trajectory.error, trajectory.remedy = f"turn {number + 2}: {exc}", exc.remedy
            trajectory.not_run = exc.not_run
            return trajectory
    return trajectory
