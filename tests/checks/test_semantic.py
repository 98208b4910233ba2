"""similar and judge, recorded against the testing server and replayed offline."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.main import main
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer

from ..conftest import API_KEY, RULES, SUITE, Project

JUDGE_PASS = {"pass": True, "score": 0.9, "reason": "The summary names the double charge."}
JUDGE_FAIL = {"pass": False, "score": 0.1, "reason": "Nothing about a double charge."}

SCRIPT = Script(
    rules=[
        Rule(
            when=["Rubric: The summary mentions the double charge", "Double charge"],
            reply=JUDGE_PASS,
        ),
        Rule(when=["Rubric: "], reply=JUDGE_FAIL),
        *RULES.rules,  # the triage model of every other test
    ]
)

SEMANTIC = SUITE.replace(
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n"
    "    assert:\n"
    "      - {type: similar, path: summary, value: 'double charge wants a refund', threshold: 0.5}\n"
    "      - {type: similar, path: summary, value: 'the weather is sunny today', threshold: 0.5, not: true}\n"
    "      - {type: judge, path: summary, rubric: 'The summary mentions the double charge', model: gpt-4.1-2025-04-14}\n",
)


@pytest.fixture
def judge_server(monkeypatch: pytest.MonkeyPatch):
    with TestingServer(SCRIPT, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield server


def results(project: Project) -> dict:
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return {r.case: r for r in latest_results(folder)}


def test_record_then_replay_gives_the_same_verdicts(
    project: Project, judge_server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("suites/triage.yaml", SEMANTIC)
    assert main(["record"]) == 0
    recorded = results(project)["refund"].samples[0]
    # one batch of embeddings (3 distinct texts) and one judge call for the case
    assert judge_server.stats.by_path == {"/v1/chat/completions": 3, "/v1/embeddings": 1}
    assert [a.kind for a in recorded.aux] == ["similar", "judge"]
    assert recorded.aux[1].model == "gpt-4.1-2025-04-14" and recorded.aux[1].cost_usd
    doc = json.loads((project.root / "snapshots/recordings/triage/refund.json").read_text())
    endpoints = sorted(e["request"]["endpoint"] for e in doc["interactions"].values())
    assert endpoints == [
        "chat.completions",
        "chat.completions",
        "embeddings",
        "embeddings",
        "embeddings",
    ]

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 0
    replayed = results(project)["refund"].samples[0]
    assert [(c.type, c.passed, c.score) for c in replayed.checks] == [
        (c.type, c.passed, c.score) for c in recorded.checks
    ]
    similar = next(c for c in replayed.checks if c.type == "similar at summary")
    assert similar.score is not None and similar.score >= 0.5
    assert f"similarity at summary {similar.score:.3f}" in similar.message
    judge = next(c for c in replayed.checks if c.type == "judge at summary")
    assert "The summary names the double charge." in judge.message


def test_flipping_the_rubric_flips_the_verdict(
    project: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SEMANTIC.replace(
            "The summary mentions the double charge", "The summary mentions a delivery delay"
        ),
    )
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert (
        "judge gpt-4.1-2025-04-14 failed the rubric 'The summary mentions a delivery delay' (score 0.10): 'Nothing about a double charge.'"
        in out
    )


def test_identical_texts_are_embedded_once_per_run(
    project: Project, judge_server: TestingServer
) -> None:
    suite = SUITE.replace(
        "  - schema\n",
        "  - schema\n  - {type: similar, value: 'a customer ticket', threshold: 0.0}\n",
    )
    project.write("suites/triage.yaml", suite)
    assert main(["record"]) == 0
    # the shared reference text is embedded once; each output once
    assert (
        sum(
            len(b["input"])
            for b in judge_server.stats.bodies
            if "input" in b and b.get("model", "").startswith("text-embedding")
        )
        == 3
    )
    assert main(["run"]) == 0  # and each case replays alone


def test_missing_embedding_recording_fails_the_case(
    project: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record"]) == 0
    project.write("suites/triage.yaml", SEMANTIC)
    assert main(["run"]) == 1
    assert "no recording for" in capsys.readouterr().out


def test_judge_model_must_be_pinned_and_prompt_must_exist(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml", SEMANTIC.replace("model: gpt-4.1-2025-04-14}", "model: gpt-4.1}")
    )
    assert main(["check"]) == 2
    assert (
        "suites/triage.yaml:16: judge model 'gpt-4.1' is not a pinned snapshot"
        in capsys.readouterr().err
    )
    project.write(
        "suites/triage.yaml",
        SEMANTIC.replace(
            "model: gpt-4.1-2025-04-14}", "model: gpt-4.1-2025-04-14, prompt: grader@v1}"
        ),
    )
    assert main(["check"]) == 2
    assert "judge prompt: prompt grader@v1 not found" in capsys.readouterr().err


def test_custom_judge_prompt(project: Project, judge_server: TestingServer) -> None:
    project.write(
        "prompts/grader/v1.j2", "Rubric: {{ rubric }}\nCase {{ case }} said: {{ output }}\n"
    )
    project.write(
        "suites/triage.yaml",
        SEMANTIC.replace(
            "model: gpt-4.1-2025-04-14}", "model: gpt-4.1-2025-04-14, prompt: grader@v1}"
        ),
    )
    assert main(["record"]) == 0
    judge_bodies = [b for b in judge_server.stats.bodies if b.get("model") == "gpt-4.1-2025-04-14"]
    assert judge_bodies[0]["messages"] == [
        {
            "role": "user",
            "content": "Rubric: The summary mentions the double charge\nCase refund said: Double charge, wants refund",
        }
    ]


def test_repeat_reports_k_of_n_and_pass_k(
    project: Project, judge_server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace("vars: {company: Acme}", "vars: {company: Acme}\nrepeat: 3"),
    )
    assert main(["record"]) == 0
    assert "pass^3 2/2 (100%: every sample passed)" in capsys.readouterr().out


def test_one_suite_with_every_check_replays_with_the_same_verdicts(
    project: Project, judge_server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = SEMANTIC.replace(
        "vars: {company: Acme}",
        "vars: {company: Acme}\nrepeat: 2\ncase_threshold: 0.5\non_inconclusive: pass",
    ).replace("  - schema\n", "  - schema\n  - {type: snapshot, exclude: [urgency]}\n")
    project.write("suites/triage.yaml", everything)
    assert main(["record", "--snapshot-update"]) == 0
    recorded = {
        name: [(c.type, c.passed, c.score) for s in r.samples for c in s.checks]
        for name, r in results(project).items()
    }
    assert all(len(r.samples) == 2 for r in results(project).values())
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 0
    replayed = {
        name: [(c.type, c.passed, c.score) for s in r.samples for c in s.checks]
        for name, r in results(project).items()
    }
    assert replayed == recorded
    assert {t for checks in replayed.values() for t, _, _ in checks} >= {
        "schema",
        "snapshot",
        "similar at summary",
        "judge at summary",
        "equals at category",
    }
