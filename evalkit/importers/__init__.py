"""Importers: other tools' eval configs → evalkit suites, prompts, schemas and checks.

- :mod:`.promptfoo`: ``evalkit import promptfoo CONFIG`` (a package: one module a part);
- :mod:`.openai_evals`: ``evalkit import openai-evals SAMPLES`` (the samples themselves are
  read by :mod:`evalkit.project.evals_samples`, which suites' ``cases_from`` uses too);
- shared by both: :mod:`.report` (what was carried, changed, left out), :mod:`.writer`
  (the plan of files, written inside ``--out`` only), :mod:`.yamlout` (suites as YAML with
  comments), :mod:`.sources` (files a config points at, with lines), :mod:`.schemas` (JSON
  Schema → pydantic source).

The command itself (arguments, exit codes, printing) is the CLI's, in
:mod:`evalkit.cli.imports`; :func:`add_parser` and :func:`run` forward to it for the CLI's
main module, and import it only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    from ..cli.imports import add_parser as _add_parser

    _add_parser(subparsers)


def run(args: argparse.Namespace) -> int:
    from ..cli.imports import run as _run

    return _run(args)
