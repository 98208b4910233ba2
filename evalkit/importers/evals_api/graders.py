"""An eval's ``testing_criteria`` → evalkit's grader checks, field by field.

evalkit's graders (:mod:`evalkit.checks.graders`) keep OpenAI's names and fields, so most
of a criterion is copied as written; what differs is said here and in the import report:

- ``python`` becomes ``python_grader`` (evalkit's ``python`` check runs a project function);
- a ``multi`` grader's ``graders`` is a mapping of names (the graders guide) or, as
  openai-python types it, one grader (named after its ``name``, else ``grader``);
- a grader that needs ``pass_threshold`` and has none is left out, not given a made-up one
  (a guessed threshold is a wrong pass waiting to happen);
- fields evalkit's graders do not know (``id``, a future field, a model grader's unknown
  sampling param) are listed with their JSON path and left off the check;
- a grader model that is not a dated snapshot is kept and the suite gets
  ``allow_unpinned`` (reported, with the pinning hint).

Unknown grader types (``endpoint``, anything newer) are left out with their place.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from ...wire.pinning import is_pinned, pin_hint
from ..report import Report
from ..sources import plain
from ..writer import slug
from .objects import Located

FIELDS: dict[str, tuple[str, ...]] = {
    "string_check": ("name", "input", "reference", "operation"),
    "text_similarity": ("name", "input", "reference", "evaluation_metric", "pass_threshold"),
    "score_model": ("name", "input", "model", "range", "pass_threshold", "sampling_params"),
    "label_model": ("name", "input", "model", "labels", "passing_labels"),
    "python": ("name", "source", "pass_threshold", "image_tag"),
    "multi": ("name", "graders", "calculate_output", "pass_threshold"),
}
NEEDS_THRESHOLD = ("text_similarity", "score_model", "python", "multi")
SAMPLING = frozenset(
    {"seed", "top_p", "temperature", "max_completions_tokens", "max_completion_tokens"}
    | {"reasoning_effort"}
)
QUIET = ("type", "id")  # ``id``: the API's own handle for the criterion, nothing to carry


@dataclass
class Converted:
    """The checks, and the grader models that are not dated snapshots."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    unpinned: list[str] = field(default_factory=list)


def convert_criteria(source: Located, report: Report) -> Converted:
    out = Converted()
    criteria = source.value.get("testing_criteria")
    if criteria is None:
        report.leave_out(
            source.line(),
            "the eval has no testing_criteria",
            "add checks to the suite's `assert:` by hand",
        )
        return out
    if not isinstance(criteria, list):
        report.leave_out(
            source.line("testing_criteria"),
            "testing_criteria is not a list",
            "add checks to the suite's `assert:` by hand",
        )
        return out
    for index, criterion in enumerate(criteria):
        check = _grader(source, ("testing_criteria", index), criterion, report, out, top=True)
        report.assertion(check is not None)
        if check is not None:
            out.checks.append(check)
    return out


def _path(parts: tuple[str | int, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _grader(
    source: Located,
    at: tuple[str | int, ...],
    raw: Any,
    report: Report,
    out: Converted,
    top: bool,
) -> dict[str, Any] | None:
    where = source.line(*at)
    if not isinstance(raw, dict):
        report.leave_out(where, f"{_path(at)} is not a grader object", "add the check by hand")
        return None
    kind = raw.get("type")
    name = f"{_path(at)} ({kind!s:.40})"
    if kind not in FIELDS or (kind == "multi" and not top):
        why = (
            "a multi grader inside a multi grader (OpenAI does not allow it either)"
            if kind == "multi"
            else f"grader type {str(kind)[:40]!r}, which evalkit has no check for"
        )
        report.leave_out(
            where, f"{name}: {why}", "write the check by hand (see the OpenAI graders guide)"
        )
        return None
    for key in raw:
        if key not in FIELDS[kind] and key not in QUIET:
            report.leave_out(
                source.line(*at, key),
                f"{name}: field {str(key)[:40]!r} is not carried",
                "evalkit's grader has no such field; check the verdict does not depend on it",
            )
    if top and kind in NEEDS_THRESHOLD and raw.get("pass_threshold") is None:
        report.leave_out(
            where,
            f"{name}: no pass_threshold, so nothing says which score passes",
            "add the check by hand with the threshold your team used",
        )
        return None
    check: dict[str, Any] = {"type": "python_grader" if kind == "python" else kind}
    for key in FIELDS[kind]:
        if key in raw and raw[key] is not None:
            check[key] = plain(raw[key])
    if kind == "python":
        report.note(where, f"{name}: OpenAI's python grader is evalkit's python_grader")
    if kind in ("score_model", "label_model"):
        _model(check, source, at, report, out, name)
    if kind == "multi":
        graders = _subgraders(source, at, raw.get("graders"), report, out)
        if graders is None:
            return None
        check["graders"] = graders
    return check


def _model(
    check: dict[str, Any],
    source: Located,
    at: tuple[str | int, ...],
    report: Report,
    out: Converted,
    name: str,
) -> None:
    model = check.get("model")
    if isinstance(model, str) and not is_pinned(model) and model not in out.unpinned:
        out.unpinned.append(model)
        report.note(
            source.line(*at, "model"),
            f"{name}: grader model {model!r} is not a dated snapshot, so the suite allows "
            f"unpinned models: {pin_hint(model)}",
        )
    params = check.get("sampling_params")
    if isinstance(params, dict):
        for key in list(params):
            if key not in SAMPLING:
                report.leave_out(
                    source.line(*at, "sampling_params", key),
                    f"{name}: sampling_params.{str(key)[:40]} is not carried",
                    "evalkit's model graders send seed, top_p, temperature, "
                    "max_completion_tokens and reasoning_effort",
                )
                del params[key]


def _formula_name(text: str, taken: set[str]) -> str:
    base = re.sub(r"\W+", "_", slug(text, "grader")).strip("_") or "grader"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"g_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _subgraders(
    source: Located,
    at: tuple[str | int, ...],
    graders: Any,
    report: Report,
    out: Converted,
) -> dict[str, Any] | None:
    where = source.line(*at, "graders")
    if isinstance(graders, dict) and "type" in graders and isinstance(graders["type"], str):
        named = {str(graders.get("name") or "grader"): graders}  # openai-python: one grader
        path: tuple[str | int, ...] = (*at, "graders")
        single = True
    elif isinstance(graders, dict) and graders:
        named, path, single = graders, (*at, "graders"), False
    else:
        report.leave_out(
            where, f"{_path(at)}: graders is not a mapping of named graders", "add it by hand"
        )
        return None
    result: dict[str, Any] = {}
    for key, sub in named.items():
        sub_at = path if single else (*path, str(key))
        check = _grader(source, sub_at, sub, report, out, top=False)
        if check is None:
            report.leave_out(
                where,
                f"{_path(at)}: the multi grader needs every sub-grader its formula names",
                "fix the sub-grader above, then add the multi check by hand",
            )
            return None
        name = str(key)
        if not name.isidentifier() or keyword.iskeyword(name):
            name = _formula_name(name, set(result))
            report.leave_out(
                source.line(*sub_at),
                f"{_path(at)}: sub-grader {str(key)[:40]!r} is renamed {name!r} (a formula "
                "name must be letters, digits and _)",
                f"use {name} in calculate_output",
            )
        result[name] = check
    return result
