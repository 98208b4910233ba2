"""Importers: other tools' eval configs → evalkit suites, prompts, schemas and checks.

- :mod:`.promptfoo`: ``evalkit import promptfoo CONFIG`` (a package: one module a part);
- :mod:`.openai_evals`: ``evalkit import openai-evals SAMPLES`` (the samples themselves are
  read by :mod:`evalkit.project.evals_samples`, which suites' ``cases_from`` uses too);
- shared by both: :mod:`.report` (what was carried, changed, left out), :mod:`.writer`
  (the plan of files, written inside ``--out`` only), :mod:`.yamlout` (suites as YAML with
  comments), :mod:`.sources` (files a config points at, with lines), :mod:`.schemas` (JSON
  Schema → pydantic source).

The command itself (arguments, exit codes, printing) is the CLI's, in
:mod:`evalkit.cli.imports`.
"""

from __future__ import annotations
