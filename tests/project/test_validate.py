"""project/validate.py: `evalkit check`'s findings, returned (never printed) with their
level, file and line, and what was checked."""

from __future__ import annotations

import json

import pytest

from evalkit.config import load_settings
from evalkit.project.validate import CheckReport, Finding, check_project
from evalkit.prompts import PromptStore
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project


@pytest.fixture
def recorded(project: Project, server: TestingServer) -> Project:
    session = Session.start([], {"mode": "record"})
    session.run_sync()
    assert session.passed
    PromptStore(load_settings(project.root).prompts_dir).write_lock()
    return project


def test_a_clean_project_has_no_findings_and_says_what_it_checked(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = check_project([], strict=True)
    assert report == CheckReport([], suites=1, plans=2)
    assert (report.errors, report.warnings, report.usage, report.stopped) == (0, 0, False, False)
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_missing_recordings_warn_and_are_errors_when_strict(recorded: Project) -> None:
    recorded.write("prompts/triage/v2.j2", "New: {{ body }} {{ company }}\n")
    recorded.write("suites/triage.yaml", SUITE.replace("triage@v1", "triage@v2"))
    loose = check_project([str(recorded.suite)])
    missing = [f for f in loose.findings if "no recording for the current request" in f.message]
    assert [(f.level, f.file, f.line) for f in missing] == [
        ("warning", "suites/triage.yaml", 10),
        ("warning", "suites/triage.yaml", 13),
    ]
    assert missing[0].message.startswith("triage::refund: ")
    # the old prompt's recordings match nothing now: orphans, always warnings
    orphans = [f for f in loose.findings if "orphan recording" in f.message]
    # and triage@v2 is in use but not locked
    (unlocked,) = [f for f in loose.findings if "but not locked" in f.message]
    assert unlocked.level == "warning" and unlocked.file == "prompts/triage/v2.j2"
    assert len(orphans) == 2 and len(loose.findings) == 5
    assert (loose.errors, loose.warnings, loose.usage) == (0, 5, False)
    strict = check_project([str(recorded.suite)], strict=True)
    assert [f.level for f in strict.findings] == ["error", "error", "error", "warning", "warning"]
    assert (strict.errors, strict.warnings) == (3, 2)


def test_a_suite_that_does_not_load_stops_the_check_as_bad_input(recorded: Project) -> None:
    recorded.write("suites/triage.yaml", SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"))
    report = check_project([])
    assert report.stopped and report.usage and (report.suites, report.plans) == (0, 0)
    (finding,) = report.findings
    assert (finding.level, finding.file, finding.line) == ("error", "suites/triage.yaml", 3)
    assert "model 'gpt-4.1-mini' is not a pinned snapshot" in finding.message


def test_an_unreadable_recording_is_bad_input_and_the_rest_is_still_checked(
    recorded: Project,
) -> None:
    (recorded.root / "snapshots/recordings/triage/refund.json").write_text("{not json")
    report = check_project([])
    assert not report.stopped and report.usage
    unreadable = [f for f in report.findings if f.usage]
    assert [f.file for f in unreadable] == ["snapshots/recordings/triage/refund.json"]
    assert (report.suites, report.plans) == (1, 2)


def test_a_changed_locked_prompt_is_an_error_at_its_lock_line(recorded: Project) -> None:
    recorded.write("prompts/triage/v1.j2", "changed {{ body }} {{ company }}\n")
    report = check_project([])
    lock = [f for f in report.findings if f.file == "prompts/evalkit.lock"]
    assert [(f.level, f.line) for f in lock] == [("error", 3)]
    assert "locked prompt triage@v1 changed since it was released" in lock[0].message
    assert report.errors >= 1 and not report.usage


def test_orphans_and_drift_are_found(recorded: Project) -> None:
    folder = recorded.root / "snapshots/recordings/triage"
    (folder / "gone.json").write_text((folder / "refund.json").read_text())
    doc = json.loads((folder / "outage.json").read_text())
    for entry in doc["interactions"].values():
        entry["model"] = "gpt-4.1-mini-2025-09-30"
    (folder / "outage.json").write_text(json.dumps(doc))
    report = check_project([])
    texts = [f.text() for f in report.findings]
    assert (
        "snapshots/recordings/triage/gone.json: warning: orphan recording: suite 'triage' has "
        "no case for it; `evalkit prune --yes` deletes it"
    ) in texts
    drift = [f for f in report.findings if "model drift" in f.message]
    assert [(f.level, f.line) for f in drift] == [("error", 13)]


def test_a_finding_in_compiler_style_and_as_a_workflow_command() -> None:
    placed = Finding("error", "bad", "suites/a.yaml", 4)
    assert placed.text() == "suites/a.yaml:4: bad"
    assert placed.github() == "::error file=suites/a.yaml,line=4::bad"
    warned = Finding("warning", "odd", "suites/a.yaml")
    assert warned.text() == "suites/a.yaml: warning: odd"
    assert warned.github() == "::warning file=suites/a.yaml::odd"
    nowhere = Finding("error", "50% done\r\nnext")
    assert nowhere.text() == "50% done\r\nnext"
    assert nowhere.github() == "::error::50%25 done%0D%0Anext"  # one line, as GitHub reads it


# -- prompt versions in use but never locked ------------------------------------------

VARIANT_V2 = SUITE + "variants:\n  v2: {prompt: triage@v2}\n"


@pytest.mark.parametrize(
    ("locked", "expected"),
    [
        (
            False,
            ["prompt triage@v1 is in use (triage)", "prompt triage@v2 is in use (triage [v2])"],
        ),
        (True, ["prompt triage@v2 is in use (triage [v2])"]),  # v1 locked, v2 added since
    ],
)
def test_a_version_in_use_and_not_locked_warns_and_fails_when_strict(
    recorded: Project, locked: bool, expected: list[str]
) -> None:
    if not locked:
        (recorded.root / "prompts/evalkit.lock").unlink()
    recorded.write("prompts/triage/v2.j2", "New: {{ body }} {{ company }}\n")
    recorded.write("suites/triage.yaml", VARIANT_V2)
    loose = check_project([])
    found = [f for f in loose.findings if "but not locked" in f.message]
    assert [f.message.split(" but")[0] for f in found] == expected
    assert {f.level for f in found} == {"warning"}
    assert found[-1].file == "prompts/triage/v2.j2"
    assert "evalkit lock" in found[-1].message
    strict = check_project([], strict=True)
    assert {f.level for f in strict.findings if "but not locked" in f.message} == {"error"}


def test_a_version_no_suite_uses_is_not_named(recorded: Project) -> None:
    recorded.write("prompts/triage/v9.j2", "Draft: {{ body }}\n")  # not released, not in use
    assert not [f for f in check_project([]).findings if "not locked" in f.message]


# -- expect fields and paths the schema lacks ----------------------------------------

INVOICE = """
from pydantic import BaseModel


class Line(BaseModel):
    name: str
    amount: float


class Invoice(BaseModel):
    currency: str
    total: float
    lines: list[Line]
"""

INVOICE_SUITE = """suite: invoice
prompt: triage@v1
model: gpt-4.1-mini-2025-04-14
params: {max_tokens: 200}
schema: schemas.invoice:Invoice
vars: {company: Acme}
cases:
  - id: one
    vars: {body: "x"}
    expect: {curency: USD}
  - id: two
    vars: {body: "y"}
    assert:
      - {type: range, path: totl, min: 0}
      - {type: equals, path: "lines[0].nme", value: a}
      - {type: contains, path: "lines[0].name", value: a}
      - {type: equals, path: total, value: 3}
"""

PATH_CASES = [
    (
        10,
        "expect",
        "path 'curency': the schema has no field 'curency' at the top (did you mean currency?)",
    ),
    (
        14,
        "range at totl",
        "path 'totl': the schema has no field 'totl' at the top (did you mean total?)",
    ),
    (
        15,
        "equals at lines[0].nme",
        "the schema has no field 'nme' at lines[0] (did you mean name?)",
    ),
]


def test_expect_fields_and_paths_the_schema_lacks_are_errors_at_their_line(
    recorded: Project,
) -> None:
    recorded.write("schemas/invoice.py", INVOICE)
    recorded.write("suites/invoice.yaml", INVOICE_SUITE)
    report = check_project([str(recorded.root / "suites/invoice.yaml")])
    found = [f for f in report.findings if "the schema has no field" in f.message]
    assert [(f.level, f.file, f.line) for f in found] == [
        ("error", "suites/invoice.yaml", line) for line, _, _ in PATH_CASES
    ]
    for finding, (_, _, said) in zip(found, PATH_CASES, strict=True):
        assert said in finding.message and "schemas.invoice:Invoice" in finding.message


def test_a_variant_with_another_schema_is_checked_against_its_own(recorded: Project) -> None:
    recorded.write(
        "schemas/invoice.py", INVOICE + "\n\nclass Loose(BaseModel):\n    curency: str\n"
    )
    suite = (
        INVOICE_SUITE.split("  - id: two")[0]
        + "variants:\n  loose: {schema: schemas.invoice:Loose}\n"
    )
    recorded.write("suites/invoice.yaml", suite)
    found = [
        f
        for f in check_project([str(recorded.root / "suites/invoice.yaml")]).findings
        if "no field" in f.message
    ]
    assert len(found) == 1 and "(variant" not in found[0].message  # the base schema's


# -- params the API does not know -----------------------------------------------------


@pytest.mark.parametrize(
    ("params", "api", "said"),
    [
        (
            "{max_token: 300}",
            "chat",
            "max_token is not a Chat Completions parameter (did you mean max_tokens?)",
        ),
        (
            "{temprature: 0}",
            "chat",
            "temprature is not a Chat Completions parameter (did you mean temperature?)",
        ),
        (
            "{max_output_tokens: 300}",
            "chat",
            "max_output_tokens is not a Chat Completions parameter (did you mean max_tokens?)",
        ),
        (
            "{max_tokens: 300}",
            "responses",
            "max_tokens is not a Responses parameter (did you mean max_output_tokens?)",
        ),
        (
            "{seed: 1, logit_bias: {}}",
            "responses",
            "seed is not a Responses parameter (it is a Chat Completions parameter",
        ),
    ],
)
def test_params_openai_does_not_know_are_errors_for_openai(
    recorded: Project, monkeypatch: pytest.MonkeyPatch, params: str, api: str, said: str
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    recorded.write(
        "suites/triage.yaml",
        SUITE.replace("params: {temperature: 0, max_tokens: 200}", f"api: {api}\nparams: {params}"),
    )
    found = [f for f in check_project([]).findings if "params:" in f.message]
    assert found and found[0].level == "error" and said in found[0].message
    assert (found[0].file, found[0].line) == ("suites/triage.yaml", 5)  # after `api:`
    assert "OpenAI would answer 400" in found[0].message


def test_unknown_params_for_another_server_only_warn(
    recorded: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    recorded.write(
        "pyproject.toml",
        '[tool.evalkit.servers]\n"gpt-4.1-mini-*" = {base_url = "http://127.0.0.1:8765/v1"}\n',
    )
    recorded.write(
        "suites/triage.yaml",
        SUITE.replace("max_tokens: 200}", "max_tokens: 200, top_k: 40}")
        + "variants:\n  v2:\n    params: {max_tokens: 100, min_p: 0.1}\n",
    )
    found = [f for f in check_project([]).findings if "params:" in f.message]
    assert [(f.level, f.line) for f in found] == [("warning", 4), ("warning", 18)]
    assert "top_k is not a Chat Completions parameter" in found[0].message
    assert "(sent to the 'gpt-4.1-mini-*' server)" in found[0].message
    assert found[1].message.startswith("variant v2: params: min_p")


def test_openai_base_url_elsewhere_makes_unknown_params_warnings(
    recorded: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1")  # a vLLM, say
    recorded.write(
        "suites/triage.yaml", SUITE.replace("max_tokens: 200}", "max_tokens: 200, top_k: 4}")
    )
    (found,) = [f for f in check_project([]).findings if "params:" in f.message]
    assert found.level == "warning" and "(sent to localhost)" in found.message
