"""``evalkit import openai-evals-api``: an exported eval (and run) → an evalkit suite.

OpenAI's hosted Evals (``/v1/evals``) shut down on 2026-11-30; teams hold the eval and run
objects as the API returned them. An eval says how outputs are graded
(``testing_criteria``); a run says what was asked (``data_source``: the prompt template
``input_messages``, the ``model``, ``sampling_params`` and, as ``file_content``, the items).
Together they become: a suite pinned to the run's model (:mod:`.suite`), a prompt
``prompts/<name>/v1.j2`` (:mod:`.prompt`), one case per item, and the criteria as evalkit's
grader checks of the same names and fields (:mod:`.graders`). Whatever has no place in
evalkit (``file_id`` sources, logged or stored completions, tools, unknown graders) is
listed in the import report with its file, line and JSON path.
"""

from __future__ import annotations

from pathlib import Path

from ..report import Report
from ..writer import ImportPlan
from .suite import build

__all__ = ["import_evals_api"]


def import_evals_api(
    eval_path: Path,
    run_path: Path | None = None,
    items_path: Path | None = None,
    suite: str | None = None,
    model: str | None = None,
) -> tuple[ImportPlan, Report]:
    """Plan the import (nothing is written here); a ConfigError for an unreadable input."""
    return build(eval_path, run_path, items_path, suite, model)
