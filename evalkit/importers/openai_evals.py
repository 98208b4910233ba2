"""openai/evals ``samples.jsonl`` → an evalkit suite, and those rows read as cases directly.

A sample is ``{"input": <chat messages or a string>, "ideal": <a string or a list>}``. The
import lines the samples' messages up by position: a message every sample shares (a
system prompt, few-shot examples) becomes template text, a message that differs becomes a
variable named after its role (``user``; ``user_2`` for the second user message). When the
samples do not share one shape, the template loops over a ``messages`` variable instead.
``ideal`` becomes the check of the eval class chosen with ``--match``:

- ``exact``: ``equals`` (a list of ideals: ``one_of``);
- ``starts_with`` (evals' ``Match``): ``starts_with`` (a list: a regex of alternatives);
- ``includes`` (evals' ``Includes``): ``contains`` (a list: a regex of alternatives).

As in openai/evals, a string input is sent as one system message.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..prompts import PromptRef
from ..wire.messages import ROLES
from ..wire.pinning import is_pinned
from .nunjucks import escape_text
from .providers import slug
from .report import Origin, Report
from .writer import ImportPlan
from .yamlout import document

DEFAULT_MODEL = "gpt-4.1-mini-2025-04-14"
MATCHES = ("exact", "starts_with", "includes")
GENERIC_TEMPLATE = (
    "{% for m in messages %}{% message m.role %}\n{{ m.content }}\n{% endmessage %}{% endfor %}\n"
)


@dataclass(frozen=True)
class Sample:
    messages: tuple[tuple[str, str], ...]  # (role, content)
    raw_input: Any
    ideals: tuple[str, ...]
    line: int


def _messages(value: Any, path: Path, line: int) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        return (("system", value),)
    if isinstance(value, list) and value:
        out = []
        for message in value:
            if not isinstance(message, dict) or "role" not in message:
                raise ConfigError("each input message needs a role and content", path, line)
            role, content = str(message["role"]), message.get("content", "")
            if role not in ROLES:
                raise ConfigError(
                    f"input message role {role!r}: evalkit prompts hold {', '.join(ROLES)}",
                    path,
                    line,
                )
            if not isinstance(content, str):
                raise ConfigError("input message content must be text", path, line)
            out.append((role, content))
        return tuple(out)
    raise ConfigError("`input` must be a string or a list of chat messages", path, line)


def read_samples(path: Path, report: Report | None = None) -> list[Sample]:
    """Every sample of a samples.jsonl file; ConfigError with the line for a bad one."""
    if not path.is_file():
        raise ConfigError(f"samples file not found: {path}")
    samples: list[Sample] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the samples: {exc}", path) from None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"invalid JSON on this line: {exc}", path, number) from None
        if not isinstance(row, dict) or "input" not in row or "ideal" not in row:
            raise ConfigError(
                'a sample is {"input": ..., "ideal": ...}; this line lacks one', path, number
            )
        ideal = row["ideal"]
        ideals = tuple(str(i) for i in ideal) if isinstance(ideal, list) else (str(ideal),)
        if not ideals:
            raise ConfigError("`ideal` is an empty list", path, number)
        messages = _messages(row["input"], path, number)
        if report is not None:
            extra = sorted(set(row) - {"input", "ideal"})
            if extra:
                report.note(Origin(path, number), f"sample keys {', '.join(extra)} are not carried")
            if isinstance(row["input"], list) and any(
                isinstance(m, dict) and "name" in m for m in row["input"]
            ):
                report.note(
                    Origin(path, number),
                    "message `name` fields (few-shot example_user/example_assistant) are dropped",
                )
        samples.append(Sample(messages, row["input"], ideals, number))
    if not samples:
        raise ConfigError("the samples file holds no samples", path)
    return samples


def position_names(roles: list[str]) -> list[str]:
    """Variable names for message positions: the role, then role_2, role_3..."""
    seen: dict[str, int] = {}
    names = []
    for role in roles:
        seen[role] = seen.get(role, 0) + 1
        names.append(role if seen[role] == 1 else f"{role}_{seen[role]}")
    return names


def check_for(ideals: tuple[str, ...], match: str) -> dict[str, Any]:
    """The evalkit assertion for a sample's ideal answer(s)."""
    if match not in MATCHES:
        raise ConfigError(f"unknown match {match!r}: use {', '.join(MATCHES)}")
    if len(ideals) == 1:
        kind = {"exact": "equals", "starts_with": "starts_with", "includes": "contains"}[match]
        return {"type": kind, "value": ideals[0]}
    if match == "exact":
        return {"type": "one_of", "values": list(ideals)}
    alternatives = "|".join(re.escape(i) for i in ideals)
    prefix = r"\A" if match == "starts_with" else ""
    return {"type": "regex", "value": f"{prefix}(?:{alternatives})"}


def case_id(sample: Sample) -> str:
    """Stable under inserted or reordered samples: words of the last user message and a hash
    of the whole input (recordings are per case id)."""
    users = [content for role, content in sample.messages if role == "user"]
    words = slug((users or [sample.messages[-1][1]])[-1][:60], "sample")[:40].rstrip("-")
    digest = hashlib.sha256(
        json.dumps(sample.raw_input, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:6]
    return f"{words}-{digest}"


def _unique_ids(samples: list[Sample]) -> list[str]:
    ids: list[str] = []
    seen: dict[str, int] = {}
    for sample in samples:
        base = case_id(sample)
        seen[base] = seen.get(base, 0) + 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def all_vars(sample: Sample) -> dict[str, Any]:
    """Every variable a template over samples may use: each position by role name, the
    whole ``messages`` list and the raw ``input``."""
    names = position_names([role for role, _ in sample.messages])
    out: dict[str, Any] = dict(zip(names, (c for _, c in sample.messages), strict=True))
    out["messages"] = [{"role": r, "content": c} for r, c in sample.messages]
    out["input"] = sample.raw_input
    return out


def evals_rows(path: Path, match: str = "exact") -> list[tuple[dict[str, Any], Path, int]]:
    """openai/evals samples as evalkit case rows ``({"id", "vars", "assert"}, file, line)``,
    for a suite's ``cases_from``. The vars hold every message by position name (``system``,
    ``user``, ``user_2``...), ``messages`` and ``input``, so both the import's template and
    a generic ``{% for m in messages %}`` template render from them."""
    samples = read_samples(path)
    rows: list[tuple[dict[str, Any], Path, int]] = []
    for sample, identifier in zip(samples, _unique_ids(samples), strict=True):
        row = {
            "id": identifier,
            "vars": all_vars(sample),
            "assert": [check_for(sample.ideals, match)],
        }
        rows.append((row, path, sample.line))
    return rows


def is_evals_samples(path: Path) -> bool:
    """A ``.jsonl`` whose first row has ``input`` and ``ideal`` (and no evalkit ``vars``)."""
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            for raw in handle:
                if raw.strip():
                    row = json.loads(raw)
                    return (
                        isinstance(row, dict)
                        and {"input", "ideal"} <= set(row)
                        and "vars" not in row
                    )
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return False


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
    samples = read_samples(path.resolve(), report)
    name = slug(suite, "")
    if not name:
        raise ConfigError(f"--suite {suite!r}: give a name with letters or digits")
    template, variables = template_for(samples)
    chosen = model or DEFAULT_MODEL
    plan = ImportPlan(project_name=name)
    plan.add("prompts", f"{name}/v1.j2", template)
    plan.prompts.append(PromptRef(name, "v1"))
    cases = []
    for sample, identifier in zip(samples, _unique_ids(samples), strict=True):
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
            "pass a dated snapshot with --model (e.g. gpt-4.1-mini-2025-04-14) and import again."
        )
        body["allow_unpinned"] = True
    body["params"] = {"temperature": 0}
    body["cases"] = [{"cases_from": f"cases/{name}.jsonl"}]
    plan.add("suites", f"{name}.yaml", document(body, header))
    return plan, report
