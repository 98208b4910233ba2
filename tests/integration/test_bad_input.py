"""Every bad input of a suite or template is `path:line: message`, exit 2, no traceback,
from the CLI (check and run) and from pytest."""

from __future__ import annotations

import pytest

from evalkit.cli.main import main

from ..conftest import SUITE, Project, make_project

# (id, {file: text}, expected "file:line", expected fragment of the message)
BAD = [
    (
        "yaml-syntax",
        {"suites/triage.yaml": SUITE.replace("vars: {company: Acme}", "vars: {company: Acme")},
        "suites/triage.yaml:7",
        "YAML syntax error",
    ),
    (
        "unknown-field",
        {"suites/triage.yaml": SUITE.replace("params:", "temprature: 0\nparams:")},
        "suites/triage.yaml:4",
        "unknown field 'temprature'",
    ),
    (
        "unknown-field-in-case",
        {
            "suites/triage.yaml": SUITE.replace(
                "    expect: {category: technical", "    expected: {category: technical"
            )
        },
        "suites/triage.yaml:15",
        "unknown field 'expected'",
    ),
    (
        "unknown-assertion",
        {
            "suites/triage.yaml": SUITE.replace(
                "  - schema\n", "  - schema\n  - {type: contians, value: x}\n"
            )
        },
        "suites/triage.yaml:9",
        "unknown assertion type 'contians'",
    ),
    (
        "missing-assertion-argument",
        {
            "suites/triage.yaml": SUITE.replace(
                "  - schema\n", "  - schema\n  - {type: contains, path: summary}\n"
            )
        },
        "suites/triage.yaml:9",
        "bad arguments for assertion 'contains': missing argument 'value'",
    ),
    (
        "bad-assertion-argument",
        {
            "suites/triage.yaml": SUITE.replace(
                "  - schema\n",
                "  - schema\n  - type: length\n    path: summary\n    min: 9\n    max: 2\n",
            )
        },
        "suites/triage.yaml:9",
        "min 9.0 is greater than max 2.0",
    ),
    (
        "unknown-assertion-argument",
        {
            "suites/triage.yaml": SUITE.replace(
                "  - schema\n",
                "  - schema\n  - type: contains\n    value: x\n    ignorecase: true\n",
            )
        },
        "suites/triage.yaml:11",
        "unknown argument 'ignorecase'",
    ),
    (
        "duplicate-case-id",
        {"suites/triage.yaml": SUITE.replace("id: outage", "id: refund")},
        "suites/triage.yaml:13",
        "duplicate case id 'refund' (first at",
    ),
    (
        "missing-cases-from",
        {"suites/triage.yaml": SUITE + "  - cases_from: cases/nope.jsonl\n"},
        "suites/triage.yaml:16",
        "cases_from file not found",
    ),
    (
        "bad-jsonl-row",
        {
            "suites/triage.yaml": SUITE + "  - cases_from: cases/more.jsonl\n",
            "suites/cases/more.jsonl": '{"id": "a", "vars": {"body": "x"}}\n{"id": "b", "vars": \n',
        },
        "suites/cases/more.jsonl:2",
        "this line is not JSON",
    ),
    (
        "unimportable-schema",
        {"suites/triage.yaml": SUITE.replace("schemas.triage:Ticket", "schemas.triage:Tiket")},
        "suites/triage.yaml:5",
        "has no attribute 'Tiket'",
    ),
    (
        "schema-module-missing",
        {"suites/triage.yaml": SUITE.replace("schemas.triage:Ticket", "schemas.nothere:Ticket")},
        "suites/triage.yaml:5",
        "cannot import module 'schemas.nothere'",
    ),
    (
        "unknown-prompt-version",
        {"suites/triage.yaml": SUITE.replace("triage@v1", "triage@v9")},
        "suites/triage.yaml:2",
        "prompt triage@v9 not found",
    ),
    (
        "unknown-prompt",
        {"suites/triage.yaml": SUITE.replace("triage@v1", "routing@v1")},
        "suites/triage.yaml:2",
        "prompt routing@v1 not found",
    ),
    (
        "unpinned-model",
        {"suites/triage.yaml": SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini")},
        "suites/triage.yaml:3",
        "model 'gpt-4.1-mini' is not a pinned snapshot",
    ),
    (
        "unpinned-variant-model",
        {"suites/triage.yaml": SUITE + "variants:\n  big: {model: gpt-4.1}\n"},
        "suites/triage.yaml:17",
        "model 'gpt-4.1' is not a pinned snapshot",
    ),
    (
        "missing-template-variable",
        {"suites/triage.yaml": SUITE.replace("vars: {company: Acme}\n", "")},
        "prompts/triage/v1.j2:2",
        "'company' is undefined",
    ),
    (
        "sandbox-escape",
        {
            "prompts/triage/v1.j2": "Ticket: {{ body }}\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n"
        },
        "prompts/triage/v1.j2:2",
        "unsafe template expression blocked by the sandbox",
    ),
    (
        "template-syntax",
        {"prompts/triage/v1.j2": "Ticket: {{ body }\n"},
        "prompts/triage/v1.j2:1",
        "template syntax error",
    ),
    (
        "unknown-role",
        {"prompts/triage/v1.j2": '{% message "robot" %}hi {{ body }}{% endmessage %}\n'},
        "prompts/triage/v1.j2",
        "unknown message role 'robot'",
    ),
]


def _apply(project: Project, files: dict[str, str]) -> None:
    for rel, text in files.items():
        project.write(rel, text)


@pytest.mark.parametrize(
    ("files", "where", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
@pytest.mark.parametrize("command", [["check"], ["run"]])
def test_cli_reports_file_and_line(
    project: Project,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    files: dict[str, str],
    where: str,
    fragment: str,
) -> None:
    _apply(project, files)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(where + ":" if not where.endswith(".j2") else where), err
    assert fragment in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("files", "where", "fragment"), [b[1:] for b in BAD[::3]], ids=[b[0] for b in BAD[::3]]
)
def test_pytest_reports_file_and_line(
    pytester: pytest.Pytester, files: dict[str, str], where: str, fragment: str
) -> None:
    project = make_project(pytester.path)
    _apply(project, files)
    result = pytester.runpytest("--evalkit", "suites/")
    assert result.ret == 2
    out = result.stdout.str()
    assert f"{where}" in out
    assert fragment in out
    assert "Traceback" not in out


def test_unknown_variant_is_a_usage_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--variant", "nope"]) == 2
    assert "no suite defines variant 'nope'" in capsys.readouterr().err


def test_allow_unpinned_accepts_an_alias(project: Project) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini").replace(
            "suite: triage", "suite: triage\nallow_unpinned: true"
        ),
    )
    assert main(["check"]) == 0


@pytest.mark.parametrize(
    "argv", [["run", "--mode", "bogus"], ["nosuchcommand"], ["diff", "--fail-on", "sometimes"]]
)
def test_bad_flags_exit_2(
    project: Project, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "evalkit: error:" in capsys.readouterr().err
