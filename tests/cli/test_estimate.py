"""cli/estimate.py: `evalkit estimate` flags as the library receives them, and the cap
verdicts as printed."""

from __future__ import annotations

import json

import pytest

from evalkit.cli import estimate
from evalkit.cli.main import main
from evalkit.runs.estimate import CapVerdict

from ..conftest import Project
from .support import parse, usage_error


def test_flags() -> None:
    args = parse(
        "estimate", "suites/a.yaml", "--variant", "v2", "--mode", "batch", "--max-cost", "2.5",
        "--json", "e.json",
    )  # fmt: skip
    assert (args.suites, args.variant, args.all_variants) == (["suites/a.yaml"], "v2", False)
    assert (args.mode, args.max_cost_usd, args.json) == ("batch", 2.5, "e.json")
    args = parse("estimate", "--all-variants")
    assert args.all_variants and (args.mode, args.max_cost_usd, args.json) == (None, None, None)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (
            ["--mode", "replay"],
            "argument --mode: invalid choice: 'replay' (choose from "
            "'record', 'batch', 'rerecord', 'live')",
        ),
        (["--max-cost", "abc"], "argument --max-cost: invalid float value: 'abc'"),
    ],
)
def test_bad_flags(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "estimate", *argv) == reason


def test_the_verdicts_as_words() -> None:
    assert estimate.words(CapVerdict("standard", None, 1.0)) == (
        "would not start (its upper bound is unknown)"
    )
    assert estimate.words(CapVerdict("standard", 1.23456, 1.0)) == (
        "would not start (up to $1.2346 > $1)"
    )
    assert estimate.words(CapVerdict("batch", 0.5, 1.0)) == "would start (up to $0.5000 <= $1)"


def test_an_estimate_under_a_cap_printed_and_written(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", "--max-cost", "1000", "--json", "out/e.json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-3].startswith("with --max-cost 1000, a live or record run would start (up to $")
    assert out[-2].startswith("with --max-cost 1000, a batch run would start (up to $")
    assert out[-1] == "json estimate: out/e.json"
    written = json.loads((project.root / "out/e.json").read_text())
    assert written["total"]["requests_to_send"] == 2


def test_without_a_cap_no_verdict_is_printed(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", "--mode", "rerecord"]) == 0
    assert "--max-cost" not in capsys.readouterr().out


def test_an_unwritable_estimate_is_bad_input(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.root / "taken").write_text("")
    assert main(["estimate", "--json", "taken/e.json"]) == 2
    assert capsys.readouterr().err.startswith("taken/e.json: cannot write the estimate")
