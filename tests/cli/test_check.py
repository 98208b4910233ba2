"""cli/check.py: `evalkit check` flags, how findings are worded (stderr, or GitHub
annotations on stdout) and the exit code chosen from them."""

from __future__ import annotations

import pytest

from evalkit.cli import check
from evalkit.cli.main import main
from evalkit.project.validate import CheckReport, Finding

from ..conftest import SUITE, Project
from .support import parse, usage_error

ERROR = Finding("error", "broken", "suites/a.yaml", 3)
WARNING = Finding("warning", "odd", "suites/a.yaml", 7)
BAD_INPUT = Finding("error", "unreadable", "snapshots/x.json", usage=True)


def test_flags() -> None:
    args = parse("check", "suites/a.yaml", "--strict", "--format", "github")
    assert (args.suites, args.strict, args.format) == (["suites/a.yaml"], True, "github")
    args = parse("check")
    assert (args.suites, args.strict, args.format) == ([], False, "text")


def test_a_bad_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "check", "--format", "x") == (
        "argument --format: invalid choice: 'x' (choose from 'text', 'github')"
    )


@pytest.mark.parametrize(
    ("report", "code"),
    [
        (CheckReport([], 1, 2), 0),
        (CheckReport([WARNING], 1, 2), 0),  # warnings alone pass
        (CheckReport([WARNING, ERROR], 1, 2), 1),
        (CheckReport([ERROR, BAD_INPUT], 1, 2), 2),  # bad input, as a run would
        (CheckReport([ERROR], stopped=True), 2),
    ],
)
def test_the_exit_code_follows_the_findings(report: CheckReport, code: int) -> None:
    assert check.exit_code(report) == code


def test_the_summary_line() -> None:
    report = CheckReport([WARNING, ERROR, ERROR], 2, 5)
    assert check.summary(report) == "checked 2 suite(s), 5 case plan(s): 2 error(s), 1 warning(s)"


def test_findings_go_to_stderr_or_as_annotations_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check.emit(ERROR, "text")
    assert capsys.readouterr() == ("", "suites/a.yaml:3: broken\n")
    check.emit(WARNING, "github")
    assert capsys.readouterr() == ("::warning file=suites/a.yaml,line=7::odd\n", "")


def test_a_suite_that_does_not_load_is_reported_without_a_summary(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"))
    assert main(["check"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("suites/triage.yaml:3: model 'gpt-4.1-mini' is not")
    assert main(["check", "--format", "github"]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("::error file=suites/triage.yaml,line=3::model") and err == ""


def test_missing_recordings_warn_then_fail_when_strict(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    # two missing recordings, and triage@v1 in use but never locked
    assert out == "checked 1 suite(s), 2 case plan(s): 0 error(s), 3 warning(s)\n"
    assert err.count(": warning: ") == 3
    assert main(["check", "--strict", str(project.suite)]) == 1
    assert "3 error(s), 0 warning(s)" in capsys.readouterr().out


def test_a_misspelt_expect_field_and_param_are_file_line_errors(
    project: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..project.test_validate import INVOICE, INVOICE_SUITE

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    project.write("schemas/invoice.py", INVOICE)
    project.write(
        "suites/invoice.yaml", INVOICE_SUITE.replace("{max_tokens: 200}", "{max_token: 300}")
    )
    assert main(["check", "suites/invoice.yaml"]) == 1
    err = capsys.readouterr().err
    assert (
        "suites/invoice.yaml:10: invoice::one: equals at curency: path 'curency': the schema has "
        "no field 'curency' at the top (did you mean currency?) of schemas.invoice:Invoice"
    ) in err
    assert (
        "suites/invoice.yaml:4: params: max_token is not a Chat Completions parameter (did you "
        "mean max_tokens?); OpenAI would answer 400"
    ) in err
