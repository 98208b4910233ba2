"""``--variant v2`` over a folder runs it where it is defined, and says which suites were
skipped; a variant no suite defines stays an error (exit 2). Both fronts."""

from __future__ import annotations

import pytest

from evalkit.cli.main import main
from evalkit.errors import ConfigError
from evalkit.project.open import open_project
from evalkit.results.folder import latest_results
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project

WITH_V2 = SUITE + "variants:\n  v2: {vars: {company: Initech}}\n"
OTHER = SUITE.replace("suite: triage", "suite: other")  # no variants at all
THIRD = SUITE.replace("suite: triage", "suite: third") + "variants:\n  v3: {vars: {company: X}}\n"


@pytest.fixture
def folder(project: Project, server: TestingServer) -> Project:
    project.write("suites/triage.yaml", WITH_V2)
    project.write("suites/other.yaml", OTHER)
    project.write("suites/third.yaml", THIRD)
    assert main(["record", "--all-variants"]) == 0
    return project


def test_the_plan_skips_suites_without_the_variant(folder: Project) -> None:
    project = open_project([folder.root / "suites"])
    plan = project.plan("v2", only_defining=True)
    assert {p.suite.name for p in plan} == {"triage"}
    assert sorted(s.name for s in project.lacking("v2")) == ["other", "third"]
    assert project.lacking(None) == [] and project.lacking("base") == []
    assert project.lacking("company=Y") == []  # an ad-hoc variant applies everywhere
    with pytest.raises(ConfigError, match="has no variant 'v2'"):
        project.plan("v2")  # strict where a caller needs every suite (a diff's two sides)
    with pytest.raises(ConfigError, match="no suite defines variant 'v9'"):
        project.plan("v9", only_defining=True)


@pytest.mark.parametrize(("variant", "ran"), [("v2", {"triage"}), ("v3", {"third"})])
def test_evalkit_run_variant_over_a_folder(
    folder: Project, capsys: pytest.CaptureFixture[str], variant: str, ran: set[str]
) -> None:
    capsys.readouterr()
    assert main(["run", "--variant", variant, "--run-id", "v"]) == 0
    out = capsys.readouterr().out
    skipped = sorted({"triage", "other", "third"} - ran)
    assert (
        f"variant {variant}: skipped 2 suite(s) that do not define it: {', '.join(skipped)}" in out
    )
    results = latest_results(folder.root / ".evalkit/runs/v")
    assert {r.suite for r in results} == ran and {r.variant for r in results} == {variant}
    assert main(["run", "--resume", "v"]) == 0  # a resumed variant run plans the same way
    assert main(["estimate", "--variant", variant]) == 0


def test_a_variant_no_suite_defines_is_an_error(
    folder: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--variant", "v9"]) == 2
    err = capsys.readouterr().err
    assert "no suite defines variant 'v9'" in err and "triage: v2" in err and "other: none" in err


def test_pytest_variant_over_a_folder(folder: Project, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--evalkit", str(folder.root / "suites"), "--evalkit-variant", "v2"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*evalkit: variant v2: skipped 2 suite(s) that do not define it: other, third*"]
    )
    bad = pytester.runpytest_inprocess(
        "--evalkit", str(folder.root / "suites"), "--evalkit-variant", "v9"
    )
    assert bad.ret == 2
    assert "no suite defines variant 'v9'" in bad.stdout.str() + bad.stderr.str()
