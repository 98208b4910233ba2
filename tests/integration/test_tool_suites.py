"""Tools, conversations, streaming and images: suites that use them, recorded against the
testing server through the SDK (both APIs), replayed offline, and the bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.project.loader import load_suite
from evalkit.results.folder import latest_results
from evalkit.testing import Faults, Rule, Script, TestingServer, ToolCallSpec

from ..conftest import API_KEY, Project

TOOLS = '''
from typing import ClassVar
from pydantic import BaseModel


class LookupOrder(BaseModel):
    """Look up an order."""

    order_id: str


class Refund(BaseModel):
    """Refund an order."""

    tool_name: ClassVar[str] = "refund_payment"
    order_id: str
    reason: str
'''
PROMPT = """{% message "system" %}
Support for {{ company }}. Look orders up first.
{% endmessage %}
{% message "user" %}
{{ body }}
{% endmessage %}
"""
SCRIPT = Script(
    rules=[
        Rule(when=[r"\[tool result refund_payment\]"], reply="Refunded."),
        Rule(
            when=[r"\[tool result lookup_order\].*delivered"],
            tool_calls=[
                ToolCallSpec(
                    name="refund_payment", arguments={"order_id": "B2", "reason": "broken"}
                )
            ],
        ),
        Rule(when=[r"\[tool result lookup_order\].*shipped"], reply="It has shipped."),
        Rule(
            when=["B2"],
            tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": "B2"})],
        ),
        Rule(
            when=["A1"],
            tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": "A1"})],
        ),
        Rule(
            when=["Z9"], tool_calls=[ToolCallSpec(name="lookup_order", arguments={"order_id": 9})]
        ),
    ]
)
SUITE = """suite: agent
prompt: agent@v1
model: gpt-4.1-mini-2025-04-14
api: {api}
params: {{temperature: 0}}
vars: {{company: Acme}}
tools:
  - schemas.agent:LookupOrder
  - schemas.agent:Refund
  - {{name: escalate, description: Hand over to a human, parameters: {{type: object, properties: {{reason: {{type: string}}}}, required: [reason]}}}}
max_turns: 4
stream: {stream}
budget: {{turns: 3{ttft}}}
assert:
  - tool_args_valid
cases:
  - id: shipped
    vars: {{body: "Where is A1?"}}
    tool_results:
      - {{name: lookup_order, result: {{status: shipped}}}}
    assert:
      - {{type: tool_called, name: lookup_order, args: {{order_id: A1}}, times: 1}}
      - {{type: tool_called, name: refund_payment, not: true}}
      - {{type: equals, path: "tool_calls[0].arguments.order_id", value: A1}}
      - {{type: contains, value: shipped}}
      - snapshot
  - id: refund
    vars: {{body: "Refund B2, it broke"}}
    tool_results:
      - {{name: lookup_order, args: {{order_id: B2}}, result: {{status: delivered}}}}
      - {{name: refund_payment, result: {{ok: true}}}}
    history:
      - {{role: assistant, content: "Hello, how can I help?"}}
    assert:
      - {{type: tool_sequence, names: [lookup_order, refund_payment], order: exact}}
      - {{type: contains, path: "tool_calls[1].arguments.reason", value: broken}}
      - {{type: equals, value: Refunded.}}
"""


def write(
    project: Project, api: str = "chat", stream: bool = False, suite: str | None = None
) -> None:
    project.write("schemas/agent.py", TOOLS)
    project.write("prompts/agent/v1.j2", PROMPT)
    ttft = ", ttft_ms: 5000" if stream else ""
    project.write(
        "suites/triage.yaml",
        suite or SUITE.format(api=api, stream=str(stream).lower(), ttft=ttft),
    )


def results(project: Project) -> dict[str, object]:
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return {r.case: r for r in latest_results(folder)}


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with TestingServer(SCRIPT, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


@pytest.mark.parametrize("api", ["chat", "responses"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_loop_records_every_turn_and_replays_offline(
    project: Project,
    agent: TestingServer,
    monkeypatch: pytest.MonkeyPatch,
    api: str,
    stream: bool,
) -> None:
    write(project, api, stream)
    assert main(["record", "--snapshot-update"]) == 0
    recorded = results(project)
    refund = recorded["refund"].samples[0]  # type: ignore[attr-defined]
    assert [c["name"] for c in refund.tool_calls] == ["lookup_order", "refund_payment"]
    assert len(refund.turns) == 3 and refund.turns[0].tool_results[0]["name"] == "lookup_order"
    assert (refund.ttft_ms is not None) is stream
    path = project.root / "snapshots/recordings/agent/refund.json"
    entries = json.loads(path.read_text())["interactions"].values()
    assert sorted(e.get("purpose") or "-" for e in entries) == ["-", "turn 2", "turn 3"]
    body = next(e for e in entries if "purpose" not in e)["request"]["body"]
    tools = body["tools"]
    if api == "chat":
        assert tools[0]["function"]["name"] == "lookup_order" and tools[0]["function"]["strict"]
        assert tools[1]["function"]["name"] == "refund_payment"
        assert body.get("stream") is (True if stream else None)
    else:
        assert tools[0]["name"] == "lookup_order" and tools[0]["type"] == "function"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 0  # the whole trajectory replays offline
    replayed = results(project)["refund"].samples[0]  # type: ignore[attr-defined]
    assert replayed.tool_calls == refund.tool_calls and replayed.output == refund.output


def test_a_call_with_no_scripted_result_fails_naming_it(
    project: Project, agent: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = SUITE.format(api="chat", stream="false", ttft="").replace(
        "      - {name: refund_payment, result: {ok: true}}\n", ""
    )
    write(project, suite=suite)
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert (
        'the model called refund_payment with {"order_id":"B2","reason":"broken"} in turn 2' in out
    )
    assert "tool_results has no result for that call" in out


def test_invalid_arguments_from_the_model_fail_tool_args_valid(
    project: Project, agent: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = SUITE.format(api="chat", stream="false", ttft="").replace(
        "Where is A1?", "Where is Z9?"
    )
    write(project, suite=suite)
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert (
        "lookup_order was called with invalid arguments (order_id: Input should be a valid string)"
        in out
    )


def test_max_turns_and_the_turns_budget(
    project: Project, agent: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = SUITE.format(api="chat", stream="false", ttft="").replace(
        "max_turns: 4", "max_turns: 2"
    )
    write(project, suite=suite)
    assert main(["record"]) == 1
    refund = results(project)["refund"].samples[0]  # type: ignore[attr-defined]
    assert len(refund.turns) == 2 and refund.output == ""  # stopped with a call pending


def test_a_broken_stream_is_retried_and_never_recorded_half(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, stream=True)
    project.write("pyproject.toml", "[tool.evalkit]\nretry_base_s = 0.01\nmax_retries = 8\n")
    with TestingServer(
        SCRIPT, api_key=API_KEY, faults=Faults(stream_drop_rate=0.4, seed=2)
    ) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["record", "--snapshot-update"]) == 0
        assert server.stats.faults >= 1
    for path in project.recordings():
        for entry in json.loads(path.read_text())["interactions"].values():
            message = entry["response"]["choices"][0]["message"]
            assert message.get("content") or message.get("tool_calls")  # whole answers only
    assert sum(s.retries for r in results(project).values() for s in r.samples) >= 1  # type: ignore[attr-defined]


def test_time_to_first_token_is_gated_live_and_from_recordings(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    suite = SUITE.format(api="chat", stream="true", ttft=", ttft_ms: 150")
    write(project, suite=suite)
    with TestingServer(SCRIPT, api_key=API_KEY, ttft_ms=300) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["record"]) == 1
    assert "expected ttft_ms <= 150 ms, got 3" in capsys.readouterr().out
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 1  # the recorded ttft fails it again, offline
    assert "expected ttft_ms <= 150 ms" in capsys.readouterr().out


def test_images_are_sent_as_data_urls_and_recorded_by_hash(
    project: Project, agent: TestingServer, tmp_path: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    project.write("suites/cases/pic.png", "")
    (project.root / "suites/cases/pic.png").write_bytes(png)
    project.write(
        "prompts/agent/v1.j2",
        '{% message "user" %}{{ body }}{% image picture %}{% endmessage %}\n',
    )
    project.write("schemas/agent.py", TOOLS)
    project.write(
        "suites/triage.yaml",
        "suite: agent\nprompt: agent@v1\nmodel: gpt-4.1-mini-2025-04-14\n"
        "cases:\n  - id: pic\n    vars: {body: 'What is this?', picture: cases/pic.png}\n",
    )
    assert main(["record"]) == 0
    body = agent.stats.bodies[-1]
    part = body["messages"][0]["content"][1]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )
    recording = (project.root / "snapshots/recordings/agent/pic.json").read_text()
    assert "base64" not in recording and "image/png sha256:" in recording
    (project.root / "suites/cases/pic.png").write_bytes(png + b"\x01")
    assert main(["run"]) == 1  # a changed image is a changed request: no recording for it


@pytest.mark.parametrize(
    ("edit", "where", "fragment"),
    [
        (
            lambda s: s.replace("max_turns: 4", "max_turns: 4\ntool_choice: {name: nope}"),
            "suites/triage.yaml:12",
            "tool_choice names 'nope'",
        ),
        (
            lambda s: s.replace("{name: refund_payment, result", "{name: refund_money, result"),
            "suites/triage.yaml:",
            "tool_results names 'refund_money'",
        ),
        (
            lambda s: s.replace("stream: false", "stream: false\nbudget: {ttft_ms: 10}").replace(
                "budget: {turns: 3}\n", ""
            ),
            "suites/triage.yaml:",
            "ttft_ms measures streamed answers",
        ),
        (
            lambda s: s.replace("  - schemas.agent:Refund\n", "  - schemas.agent:Loose\n"),
            "schemas/agent.py",
            "free-form mapping",
        ),
        (
            lambda s: s.replace(
                "  - tool_args_valid\n", "  - {type: tool_called, name: teleport}\n"
            ),
            "suites/triage.yaml:",
            "'teleport' is not a tool of the suite",
        ),
    ],
)
def test_bad_tool_input_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str], edit: object, where: str, fragment: str
) -> None:
    write(project, suite=edit(SUITE.format(api="chat", stream="false", ttft="")))  # type: ignore[operator]
    project.write("schemas/agent.py", TOOLS + "\n\nclass Loose(BaseModel):\n    extra: dict\n")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(where) and fragment in err, err


def test_a_tool_check_in_a_suite_without_tools(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        (project.root / "suites/triage.yaml")
        .read_text()
        .replace("  - schema\n", "  - schema\n  - tool_args_valid\n"),
    )
    assert main(["check"]) == 2
    assert "a tool check in a suite without tools" in capsys.readouterr().err


def test_a_missing_image_is_a_template_error_at_load(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "prompts/triage/v1.j2",
        '{% message "user" %}\n{{ body }}\n{% image "nope.png" %}{% endmessage %}\n',
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prompts/triage/v1.j2:3:") and "image 'nope.png' cannot be read" in err


def test_tools_from_models_are_strict_function_schemas(project: Project) -> None:
    write(project)
    suite = load_suite(project.suite)
    lookup, refund, escalate = suite.base.tools
    assert (lookup.name, lookup.description) == ("lookup_order", "Look up an order.")
    assert refund.name == "refund_payment" and refund.parameters["additionalProperties"] is False
    assert escalate.model is None and not escalate.strict
    assert refund.validate_arguments('{"order_id": "A", "reason": "x"}') is None
    assert "not JSON" in (refund.validate_arguments("{oops") or "")
    assert "reason" in (escalate.validate_arguments("{}") or "")


def test_variants_may_change_tools_and_tool_choice(project: Project) -> None:
    write(project)
    text = (project.root / "suites/triage.yaml").read_text()
    project.write(
        "suites/triage.yaml",
        text
        + "variants:\n  forced: {tool_choice: {name: lookup_order}}\n  none: {tools: [], tool_choice: null}\n",
    )
    suite = load_suite(project.suite)
    assert suite.variants["forced"].tool_choice == {"name": "lookup_order"}
    assert suite.variants["none"].tools == ()


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ('strict: "false"', "strict: must be true or false"),
        ("strict: 1", "strict: must be true or false"),
        ("strict: yes please", "strict: must be true or false"),
        ("description: [a, b]", "description: Input should be a valid string"),
        ("name: 5", "a tool needs a `name`"),
    ],
)
def test_an_inline_tool_of_the_wrong_types_is_an_error_at_its_line(
    project: Project, capsys: pytest.CaptureFixture[str], field: str, fragment: str
) -> None:
    write(project)
    text = project.suite.read_text()
    start = text.index("  - {name: escalate")
    line = text[:start].count("\n") + 1
    name = "" if field.startswith("name") else "name: escalate, "
    entry = "  - {" + name + field + ", parameters: {type: object, properties: {}}}\n"
    end = text.index("\n", start) + 1
    project.suite.write_text(text[:start] + entry + text[end:])
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"suites/triage.yaml:{line}:") and fragment in err, err
