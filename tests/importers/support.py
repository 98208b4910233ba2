"""Shared helpers for the importer tests: run ``evalkit import`` and evalkit's own commands
on the imported project, the way a user would."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalkit.cli.imports import add_parser, run
from evalkit.cli.main import main
from evalkit.importers.promptfoo import Pins
from evalkit.importers.promptfoo import import_promptfoo as plan_import

DATA = Path(__file__).parents[1] / "data" / "promptfoo"
GENERATED_PACKAGES = ("checks_imported", "schemas")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="evalkit")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    return parser.parse_args(argv)


def import_promptfoo(config: Path, out: Path, *pins: str) -> int:
    argv = ["import", "promptfoo", str(config), "--out", str(out)]
    for pin in pins:
        argv += ["--pin", pin]
    return run(parse(argv))


def forget_generated_modules() -> None:
    """Each imported project has its own checks_imported/ and schemas/ packages."""
    for name in list(sys.modules):
        if name.split(".")[0] in GENERATED_PACKAGES:
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _fresh_generated_modules() -> Iterator[None]:
    forget_generated_modules()
    yield
    forget_generated_modules()


def evalkit(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:
    """``evalkit ARGV`` run inside the imported project; (exit code, stdout + stderr)."""
    monkeypatch.chdir(out)
    forget_generated_modules()
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def planned(config: Path, *pins: str) -> tuple[dict[str, str], Any]:
    """The files an import of ``config`` would write (path → text), and its report."""
    plan, report = plan_import(config, Pins.parse(list(pins)))
    return {str(f.rel): f.content for f in plan.files}, report


def suite_of(contents: dict[str, str]) -> dict[str, Any]:
    """The one suite among planned files, parsed."""
    (name,) = [k for k in contents if k.endswith(".yaml")]
    data: dict[str, Any] = yaml.safe_load(contents[name])
    return data
