"""``evalkit import openai-evals``: an openai/evals ``samples.jsonl`` → an evalkit suite.

The samples are read by :mod:`evalkit.project.evals_samples` (the same reader a suite's
``cases_from`` uses, so an imported suite and one reading the samples directly agree on
case ids, vars and checks). The import lines the samples' messages up by position: a
message every sample shares (a system prompt, few-shot examples) becomes template text, a
message that differs becomes a variable named after its role (``user``; ``user_2`` for the
second user message). When the samples do not share one shape, the template loops over a
``messages`` variable instead. ``--match`` picks the check for ``ideal`` (see
:func:`~evalkit.project.evals_samples.check_for`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..project.evals_samples import (
    Sample,
    all_vars,
    check_for,
    position_names,
    read_samples,
    unique_ids,
)
from ..prompts import PromptRef
from ..wire.pinning import is_pinned
from .promptfoo.nunjucks import escape_text
from .report import Origin, Report
from .writer import ImportPlan, slug
from .yamlout import document

DEFAULT_MODEL = "gpt-5.4-mini-2026-03-17"
GENERIC_TEMPLATE = (
    "{% for m in messages %}{% message m.role %}\n{{ m.content }}\n{% endmessage %}{% endfor %}\n"
)


def template_for(samples: list[Sample]) -> tuple[str, list[str] | None]:
    """The template, and the position names that are variables (None: the generic
    ``messages`` template)."""
    shapes = {tuple(role for role, _ in s.messages) for s in samples}
    if len(shapes) != 1:
        return GENERIC_TEMPLATE, None
    roles = list(next(iter(shapes)))
    names = position_names(roles)
    blocks, variables = [], []
    for index, (role, name) in enumerate(zip(roles, names, strict=True)):
        contents = {s.messages[index][1] for s in samples}
        if len(contents) == 1 and len(samples) > 1:
            body = escape_text(next(iter(contents)))
        else:
            body = "{{ " + name + " }}"
            variables.append(name)
        blocks.append(f'{{% message "{role}" %}}\n{body}\n{{% endmessage %}}')
    return "\n".join(blocks) + "\n", variables


def import_samples(
    path: Path, suite: str, match: str, model: str | None
) -> tuple[ImportPlan, Report]:
    report = Report()
    samples = read_samples(path.resolve())
    _note_dropped(samples, path.resolve(), report)
    name = slug(suite, "")
    if not name:
        raise ConfigError(f"--suite {suite!r}: give a name with letters or digits")
    template, variables = template_for(samples)
    chosen = model or DEFAULT_MODEL
    plan = ImportPlan(project_name=name)
    plan.add("prompts", f"{name}/v1.j2", template)
    plan.prompts.append(PromptRef(name, "v1"))
    cases = []
    for sample, identifier in zip(samples, unique_ids(samples), strict=True):
        every = all_vars(sample)
        case_vars = (
            {"messages": every["messages"]}
            if variables is None
            else {v: every[v] for v in variables}
        )
        cases.append(
            {"id": identifier, "vars": case_vars, "assert": [check_for(sample.ideals, match)]}
        )
        report.assertion(True)
    plan.add(
        "suites",
        f"cases/{name}.jsonl",
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases),
    )
    source = Origin(path.resolve(), None)
    report.note(
        source,
        "openai/evals strips the answer before comparing; evalkit compares the text as the API returned it",
    )
    header = [
        f"# Imported from {path.name} by `evalkit import openai-evals --match {match}`.",
        *report.comment_lines(path.resolve().parent),
    ]
    body: dict[str, Any] = {"suite": name, "prompt": f"{name}@v1", "model": chosen}
    if not is_pinned(chosen):
        header.append(
            f"# allow_unpinned: {chosen} is an alias that can change under you without a commit; "
            "pass a dated snapshot with --model (e.g. gpt-5.4-mini-2026-03-17) and import again."
        )
        body["allow_unpinned"] = True
    body["params"] = {"temperature": 0}
    body["cases"] = [{"cases_from": f"cases/{name}.jsonl"}]
    plan.add("suites", f"{name}.yaml", document(body, header))
    return plan, report


def _note_dropped(samples: list[Sample], path: Path, report: Report) -> None:
    for sample in samples:
        where = Origin(path, sample.line)
        if sample.extra_keys:
            report.note(where, f"sample keys {', '.join(sample.extra_keys)} are not carried")
        if sample.named_messages:
            report.note(
                where,
                "message `name` fields (few-shot example_user/example_assistant) are dropped",
            )
