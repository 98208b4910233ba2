"""``python_grader``: OpenAI's Python grader, ``def grade(sample, item) -> float``.

OpenAI calls this grader type ``python`` (openai-python ``types/graders/python_grader.py``:
``source``, ``image_tag``; ``pass_threshold`` on the evals testing criterion). evalkit's
``python`` check already means a trusted function of the project (``fn: module:function``),
so this one is ``python_grader``; the importer of OpenAI eval objects maps ``python``
graders to it.

Per OpenAI's graders guide ("Python graders"): ``grade`` takes the sample (``output_text``,
``output_json``, ``output_tools``, ``choices``) and the item (the data row; here the case's
vars) and returns a float; "any other result (exception, invalid float value, etc.) will be
marked as invalid and return a 0 grade". Here an invalid result fails the check, saying
what came (the exception and its line, the type returned, the limit hit). ``output_json``
is the parsed output when it is JSON, else None.

The source is untrusted data: it runs in a separate, limited process (:mod:`.sandbox`),
with ``timeout`` seconds of wall clock and CPU (an evalkit addition; default 10, at most
OpenAI's 120). ``image_tag`` names OpenAI's runtime image; evalkit runs the interpreter it
runs on, so the tag is accepted and not used. ``pass_threshold`` is required: a grade is a
number, and evalkit must be told which numbers pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ...wire.response import Response
from .. import CheckFailed, preview, register_check
from .base import Grade, GraderArgs, GraderCheck, finite, label, passed, passes, unit_score
from .sandbox import MAX_SOURCE_BYTES, Limits, run_grader
from .templates import Namespaces


class PythonGraderArgs(GraderArgs):
    type: Literal["python_grader"] = "python_grader"
    source: str = Field(min_length=1)
    pass_threshold: float | None = None  # required, except inside a multi grader
    image_tag: str | None = Field(None, max_length=100)
    timeout: float = Field(10.0, gt=0, le=120)

    @field_validator("source")
    @classmethod
    def _compiles(cls, v: str) -> str:
        if len(v.encode()) > MAX_SOURCE_BYTES:
            raise ValueError(f"the source is over {MAX_SOURCE_BYTES // 1024} kB (OpenAI's limit)")
        try:
            compile(v, "<grader>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise ValueError(f"SyntaxError at line {exc.lineno} of the source: {exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ValueError(f"the source does not compile: {exc}") from None
        if "def grade" not in v:
            raise ValueError("the source defines no grade(sample, item) function")
        return v

    @field_validator("pass_threshold")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        return finite(v, "pass_threshold")


@register_check
class PythonGrader(GraderCheck):
    name = "python_grader"
    args = PythonGraderArgs
    doc = "OpenAI's python grader (grade(sample, item) source), run in a limited subprocess"

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, PythonGraderArgs)
        result = run_grader(args.source, ns.sample(), ns.item, Limits(timeout_s=args.timeout))
        said = (
            f"; it printed {preview(result.stderr.strip(), 80)!r}" if result.stderr.strip() else ""
        )
        if result.score is None:
            raise CheckFailed(f"{label('python_grader', args)}: {result.error}{said}")
        score = result.score
        return Grade(
            score,
            passed(score, args.pass_threshold),
            f"{label('python_grader', args)}: grade {score:g} {passes(score, args.pass_threshold)}; "
            f"input {preview(ns.output_text, 60)!r}",
            unit_score(score),
        )
