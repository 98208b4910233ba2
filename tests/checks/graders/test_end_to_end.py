"""Every grader in a suite: recorded against the testing server, replayed offline with the
same verdicts and scores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from evalkit.cli.main import main
from evalkit.config import Settings
from evalkit.project.loader import parse_assertions
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer

from ...conftest import API_KEY, RULES, SUITE, Project

GRADER_MODEL = "gpt-4.1-2025-04-14"

SCRIPT = Script(
    rules=[
        Rule(
            when=["Grade the summary", "Double charge"],
            reply={
                "steps": [{"description": "read", "conclusion": "names the charge"}],
                "result": 0.9,
            },
        ),
        Rule(when=["Grade the summary"], reply={"steps": [], "result": 0.1}),
        Rule(when=["Label the urgency", "Double charge"], reply={"steps": [], "result": "urgent"}),
        Rule(when=["Label the urgency"], reply={"steps": [], "result": "calm"}),
        *RULES.rules,
    ]
)

PYTHON = (
    "def grade(sample, item):\\n"
    "    return 1.0 if sample['output_json']['urgency'] == item['urgency'] else 0.0\\n"
)

GRADERS = f"""    vars: {{body: "I was charged twice, refund please", expected: billing, urgency: high}}
    expect: {{category: billing}}
    assert:
      - {{type: string_check, name: category, input: "{{{{ sample.output_json.category }}}}", reference: "{{{{ item.expected }}}}", operation: eq}}
      - {{type: string_check, input: "{{{{ sample.output_text }}}}", reference: REFUND, operation: ilike}}
      - {{type: text_similarity, input: "{{{{ sample.output_json.summary }}}}", reference: "Double charge, wants a refund", evaluation_metric: fuzzy_match, pass_threshold: 0.8}}
      - {{type: text_similarity, input: "{{{{ sample.output_json.summary }}}}", reference: "Double charge, wants refund", evaluation_metric: rouge_l, pass_threshold: 0.9}}
      - {{type: text_similarity, input: "{{{{ sample.output_json.summary }}}}", reference: "double charge refund", evaluation_metric: cosine, pass_threshold: 0.1}}
      - type: score_model
        model: {GRADER_MODEL}
        input:
          - {{role: system, content: "Grade the summary of a support ticket from 0 to 1."}}
          - {{role: user, content: "Ticket: {{{{ item.body }}}} Summary: {{{{ sample.output_json.summary }}}}"}}
        pass_threshold: 0.5
        sampling_params: {{seed: 1, temperature: 0}}
      - type: label_model
        model: {GRADER_MODEL}
        input: [{{role: user, content: "Label the urgency of: {{{{ sample.output_json.summary }}}}"}}]
        labels: [urgent, calm]
        passing_labels: [urgent]
      - {{type: python_grader, source: "{PYTHON}", pass_threshold: 1}}
      - type: multi
        graders:
          exact: {{type: string_check, input: "{{{{ sample.output_json.category }}}}", reference: billing, operation: eq}}
          close: {{type: text_similarity, input: "{{{{ sample.output_json.summary }}}}", reference: "Double charge", evaluation_metric: rouge_1}}
          judged:
            type: score_model
            model: {GRADER_MODEL}
            input: [{{role: user, content: "Grade the summary: {{{{ sample.output_json.summary }}}}"}}]
        calculate_output: "0.5 * exact + 0.25 * close + 0.25 * judged"
        pass_threshold: 0.8
"""

SUITE_WITH_GRADERS = SUITE.replace(
    '    vars: {body: "I was charged twice, refund please"}\n    expect: {category: billing}\n',
    GRADERS,
)


@pytest.fixture
def grader_server(monkeypatch: pytest.MonkeyPatch):
    with TestingServer(SCRIPT, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


def verdicts(project: Project) -> dict[str, list[tuple[str, bool, float | None, str]]]:
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return {
        r.case: [(c.type, c.passed, c.score, c.message) for s in r.samples for c in s.checks]
        for r in latest_results(folder)
    }


def test_a_suite_of_graders_records_then_replays_with_the_same_verdicts(
    project: Project, grader_server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("suites/triage.yaml", SUITE_WITH_GRADERS)
    assert main(["record"]) == 0
    recorded = verdicts(project)
    refund = {kind: (ok, score, message) for kind, ok, score, message in recorded["refund"]}
    assert set(refund) >= {
        "string_check",
        "text_similarity",
        "score_model",
        "label_model",
        "python_grader",
        "multi",
    }
    assert all(ok for _, ok, _, _ in recorded["refund"]), recorded["refund"]
    assert "score_model" in refund and "score 0.9 in range [0, 1]" in refund["score_model"][2]
    assert "label 'urgent' is among passing_labels" in refund["label_model"][2]
    assert "0.5 * exact + 0.25 * close + 0.25 * judged = " in refund["multi"][2]
    # the case's answer, the score_model, the label_model and the multi's score_model
    chats = [b for b in grader_server.stats.bodies if b.get("model") == GRADER_MODEL]
    assert len(chats) == 3
    assert any(b.get("seed") == 1 and b.get("temperature") == 0 for b in chats)
    embedded = [
        b
        for b in grader_server.stats.bodies
        if str(b.get("model", "")).startswith("text-embedding")
    ]
    assert [b["model"] for b in embedded] == ["text-embedding-3-large"]
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    sample = {r.case: r for r in latest_results(folder)}["refund"].samples[0]
    # the graders' own calls are counted apart from the case's, one entry per type and model
    assert sorted((a.kind, a.model) for a in sample.aux) == [
        ("label_model", GRADER_MODEL),
        ("multi", GRADER_MODEL),
        ("score_model", GRADER_MODEL),
        ("text_similarity", "text-embedding-3-large"),
    ]
    doc = json.loads((project.root / "snapshots/recordings/triage/refund.json").read_text())
    assert API_KEY not in json.dumps(doc)

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 0
    assert verdicts(project) == recorded


def test_a_changed_reference_flips_the_verdict_and_says_why(
    project: Project, grader_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml", SUITE_WITH_GRADERS.replace("expected: billing", "expected: technical")
    )
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert "string_check 'category' eq: score 0 (not: equals)" in out


def test_a_grader_without_its_recording_does_not_run_in_replay(
    project: Project, grader_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record"]) == 0
    project.write("suites/triage.yaml", SUITE_WITH_GRADERS)
    assert main(["run"]) == 1
    assert "no recording for" in capsys.readouterr().out


def test_a_bad_grader_is_a_file_line_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE_WITH_GRADERS.replace("operation: ilike", "operation: contains"),
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "suites/triage.yaml:" in err
    assert (
        "bad arguments for assertion 'string_check': operation: Input should be 'eq', 'ne', 'like' or 'ilike'"
        in err
    )


PAGE = Path(__file__).resolve().parents[3] / "docs" / "guides" / "graders.md"


def test_the_docs_grader_example_loads_as_written() -> None:
    section = PAGE.read_text()
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    raw = yaml.safe_load(block.group(1))["assert"]
    specs = parse_assertions(raw, PAGE, Settings())
    assert [s.type for s in specs] == ["string_check", "text_similarity", "score_model", "multi"]
