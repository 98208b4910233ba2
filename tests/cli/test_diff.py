"""cli/diff.py: `evalkit diff` flags, the `--runs BASE... -- HEAD...` sides, and a diff of
two finished runs through the command."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.diff import head_runs_then_options, run_sides
from evalkit.cli.main import main
from evalkit.errors import ConfigError
from evalkit.testing import TestingServer

from ..conftest import Project
from .support import parse, usage_error


def test_variants_suites_and_every_flag() -> None:
    args = parse(
        "diff", "v1", "v2", "suites/a.yaml", "--mode", "record", "--concurrency", "2",
        "--fail-on", "pass-rate", "--markdown", "d.md", "--html", "d.html", "--json", "d.json",
    )  # fmt: skip
    assert (args.a, args.b, args.suites) == ("v1", "v2", ["suites/a.yaml"])
    assert (args.mode, args.concurrency, args.fail_on) == ("record", 2, "pass-rate")
    assert (args.markdown, args.html, args.json, args.runs) == ("d.md", "d.html", "d.json", None)


def test_defaults() -> None:
    args = parse("diff")
    assert (args.a, args.b, args.suites, args.runs) == (None, None, [], None)
    assert (args.mode, args.concurrency, args.fail_on) == (None, None, "regressions")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (
            ["--fail-on", "x"],
            "argument --fail-on: invalid choice: 'x' (choose from "
            "'regressions', 'pass-rate', 'none')",
        ),
        (
            ["--mode", "fast"],
            "argument --mode: invalid choice: 'fast' (choose from 'replay', "
            "'record', 'rerecord', 'live', 'batch')",
        ),
        (["--concurrency", "two"], "argument --concurrency: invalid int value: 'two'"),
        (["--runs"], "argument --runs: expected at least one argument"),
    ],
)
def test_bad_diff_flags(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "diff", *argv) == reason


def test_options_after_the_head_runs_are_moved_before_the_double_dash() -> None:
    argv = ["diff", "--runs", "a1", "a2", "--", "b1", "b2", "--markdown", "m.md"]
    assert head_runs_then_options(argv) == [
        "diff", "--runs", "a1", "a2", "--markdown", "m.md", "--", "b1", "b2"
    ]  # fmt: skip
    for untouched in (["run", "--", "x", "--y"], ["diff", "--runs", "a", "b"], ["diff"]):
        assert head_runs_then_options(untouched) == untouched


def test_runs_sides_one_each_or_several_a_side() -> None:
    assert run_sides(parse("diff", "--runs", "base", "head")) == (["base"], ["head"])
    args = parse("diff", "--runs", "b1", "b2", "--", "h1", "h2", "h3", "--json", "d.json")
    assert run_sides(args) == (["b1", "b2"], ["h1", "h2", "h3"]) and args.json == "d.json"
    with pytest.raises(ConfigError, match=r"evalkit diff --runs takes two runs"):
        run_sides(parse("diff", "--runs", "only"))
    with pytest.raises(ConfigError, match=r"--runs takes two runs"):
        run_sides(parse("diff", "--runs", "a", "b", "c"))


def test_diff_needs_two_variants_or_runs(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "v1"]) == 2
    assert capsys.readouterr().err == (
        "evalkit diff needs two variants (A B) or --runs RUN_A RUN_B\n"
    )


def test_two_finished_runs_compared_and_written(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "base"]) == 0
    assert main(["run", "--run-id", "head"]) == 0
    capsys.readouterr()
    code = main(["diff", "--runs", "base", "--", "head", "--json", "out/d.json", "--fail-on",
                 "none", "--markdown", "out/d.md"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "json report: out/d.json" in out and "markdown report: out/d.md" in out
    report = json.loads((project.root / "out/d.json").read_text())
    assert (report["a"], report["b"]) == ("base", "head")
    assert (project.root / "out/d.md").read_text().strip()
