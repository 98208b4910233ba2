"""Helpers for the command modules' tests: parse as `evalkit` does, and read a usage error."""

from __future__ import annotations

import argparse

import pytest

from evalkit.cli.diff import head_runs_then_options
from evalkit.cli.main import build_parser, main


def parse(*argv: str) -> argparse.Namespace:
    """The namespace ``evalkit ARGV...`` hands its command."""
    return build_parser().parse_args(head_runs_then_options(list(argv)))


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``evalkit ARGV...`` must stop at parsing with exit 2: the usage, then one line saying
    why (returned, without its ``evalkit: error:`` prefix); nothing on stdout."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.rstrip("\n").splitlines()
    assert lines[0].startswith("usage: evalkit") and "Traceback" not in err
    reasons = [line for line in lines if line.startswith("evalkit: error: ")]
    assert reasons == [lines[-1]], err  # exactly one reason, last
    return lines[-1].removeprefix("evalkit: error: ")
