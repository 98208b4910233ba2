"""engine/estimate.py on tool loops: the upper bound covers every turn ``max_turns`` allows
(measured against what a live run really sends), what is recorded is walked offline, and a
loop nothing bounds makes the estimate say so and the cost cap refuse."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.main import main
from evalkit.config import Mode, load_settings
from evalkit.engine.estimate import estimate
from evalkit.project.open import open_project
from evalkit.project.recordings import RecordingStore
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer, ToolCallSpec

from ..conftest import API_KEY, Project

TOOLS = '''
from pydantic import BaseModel


class LookupOrder(BaseModel):
    """Look up an order."""

    order_id: str
'''
PROMPT = '{% message "user" %}{{ body }}{% endmessage %}\n'
# the model never stops calling the tool: every turn max_turns allows is sent
LOOPING = Script(
    rules=[
        Rule(
            when=["order"],
            tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": "A1"})],
        ),
    ]
)


def suite(max_turns: int = 5, params: str = "{max_tokens: 60}", parallel: str = "") -> str:
    return (
        "suite: agent\nprompt: agent@v1\nmodel: gpt-4.1-mini-2025-04-14\n"
        f"params: {params}\n{parallel}tools:\n  - schemas.agent:LookupOrder\n"
        f"max_turns: {max_turns}\ncases:\n"
        + "".join(
            f'  - id: c{i}\n    vars: {{body: "Where is order A{i}?"}}\n'
            "    tool_results:\n"
            "      - {name: lookup_order, result: {status: shipped, eta: 2026-11-30, "
            'carrier: "a carrier with a rather long name", notes: [one, two, three]}}\n'
            for i in range(3)
        )
    )


@pytest.fixture
def agent(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    project.write("schemas/agent.py", TOOLS)
    project.write("prompts/agent/v1.j2", PROMPT)
    project.write("suites/triage.yaml", suite())
    return project


@pytest.fixture
def looping(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with TestingServer(LOOPING, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


def planned_estimate(project: Project, mode: Mode = Mode.RECORD):  # type: ignore[no-untyped-def]
    opened = open_project([project.root / "suites"])
    settings = load_settings(project.root)
    store = RecordingStore(settings.snapshots_dir / "recordings")
    return estimate(opened.plan(None), opened.settings, store, mode).total


@pytest.mark.parametrize(
    ("max_turns", "parallel"),
    [(2, ""), (5, ""), (5, "parallel_tool_calls: false\n"), (8, "parallel_tool_calls: false\n")],
)
def test_the_upper_bound_holds_for_what_a_tool_loop_really_sends(
    agent: Project, looping: TestingServer, max_turns: int, parallel: str
) -> None:
    agent.write("suites/triage.yaml", suite(max_turns, parallel=parallel))
    bound = planned_estimate(agent)
    assert bound.to_send == 3 * max_turns and bound.later_turns == 3 * (max_turns - 1)
    assert main(["record"]) == 0  # the loop never ends: each case stops at max_turns
    sent = looping.stats.requests
    results = latest_results(max((agent.root / ".evalkit/runs").iterdir()))
    input_sent = sum(s.input_tokens for r in results for s in r.samples)
    output_sent = sum(s.output_tokens for r in results for s in r.samples)
    cost_sent = sum(r.cost_usd or 0 for r in results)
    assert sent == 3 * max_turns <= bound.to_send
    assert input_sent <= bound.input_tokens, (input_sent, bound.input_tokens)
    assert output_sent <= bound.output_upper
    assert bound.live_upper is not None and cost_sent <= bound.live_upper
    # and once recorded, a replay walks every turn offline: nothing to send
    again = planned_estimate(agent)
    assert (again.to_send, again.recorded, again.later_turns) == (0, 3 * max_turns, 0)


def test_a_loop_recorded_up_to_an_edit_is_counted_from_there(
    agent: Project, looping: TestingServer
) -> None:
    assert main(["record"]) == 0
    agent.write("suites/triage.yaml", suite().replace("eta: 2026-11-30", "eta: 2026-12-01"))
    found = planned_estimate(agent)
    # turn 1 is recorded (the scripted result is only in turn 2's request); from turn 2 on,
    # every turn max_turns allows is counted
    assert (found.recorded, found.to_send, found.later_turns) == (3, 12, 9)


def test_without_an_output_limit_a_loop_cannot_be_bounded_and_the_cap_refuses(
    agent: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    agent.write(
        "suites/triage.yaml",
        suite(params="{temperature: 0}").replace("gpt-4.1-mini-2025-04-14", "my-model-2025-01-01"),
    )
    agent.write(
        "pyproject.toml",
        '[tool.evalkit.prices."my-model-2025-01-01"]\ninput = 1.0\noutput = 2.0\n',
    )
    found = planned_estimate(agent)
    assert found.unbounded == found.to_send == 15 and found.live_upper is None
    assert main(["estimate", "--json", str(agent.root / "e.json")]) == 0
    data = json.loads((agent.root / "e.json").read_text())
    assert data["total"]["output_tokens_upper"] is None
    assert "upper bound is unknown (n/a)" in capsys.readouterr().out
    assert main(["run", "--mode", "live", "--max-cost", "100"]) == 2
    assert "cannot bound the cost" in capsys.readouterr().err


def test_the_cap_refuses_a_loop_whose_later_turns_cross_it(
    agent: Project, looping: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    found = planned_estimate(agent)
    assert found.live_upper is not None
    # a cap above the first turns' cost but below every turn's: refused before any call
    agent.write("suites/triage.yaml", suite(max_turns=1))
    one_turn = planned_estimate(agent).live_upper
    agent.write("suites/triage.yaml", suite())
    assert one_turn is not None and one_turn < found.live_upper
    cap = (one_turn + found.live_upper) / 2
    assert main(["record", "--max-cost", f"{cap:.8f}"]) == 2
    assert "it was not started" in capsys.readouterr().err
    assert looping.stats.requests == 0
