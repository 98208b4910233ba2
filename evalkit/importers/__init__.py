"""Importers: other tools' eval configs → evalkit suites, prompts, schemas and checks.

Entry points (wired into ``evalkit`` by the CLI):

- :func:`add_parser` / :func:`run`: the ``evalkit import promptfoo|openai-evals`` command;
- :func:`evals_rows`: openai/evals ``samples.jsonl`` rows as evalkit case rows, so a suite's
  ``cases_from`` can read that format directly.

Imports are lazy: generated check modules import :mod:`.runtime` through this package, and
should not pay for the importers themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

__all__ = ["add_parser", "evals_rows", "is_evals_samples", "run"]


def add_parser(subparsers: Any) -> None:
    from ..cli.imports import add_parser as _add_parser

    _add_parser(subparsers)


def run(args: argparse.Namespace) -> int:
    from ..cli.imports import run as _run

    return _run(args)


def evals_rows(path: Path, match: str = "exact") -> list[tuple[dict[str, Any], Path, int]]:
    from .openai_evals import evals_rows as _evals_rows

    return _evals_rows(path, match)


def is_evals_samples(path: Path) -> bool:
    from .openai_evals import is_evals_samples as _is_evals_samples

    return _is_evals_samples(path)
