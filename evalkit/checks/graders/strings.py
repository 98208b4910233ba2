"""``string_check``: OpenAI's string comparison grader (score 1 or 0).

Fields as OpenAI names them (openai-python ``types/graders/string_check_grader.py``):
``input``, ``reference`` (both templates), ``operation`` one of ``eq``, ``ne``, ``like``,
``ilike``. The meaning is OpenAI's graders guide ("String check graders"):

- ``eq``: the input matches the reference (case-sensitive);
- ``ne``: the input does not match the reference (case-sensitive);
- ``like``: the input contains the reference (case-sensitive);
- ``ilike``: the input contains the reference, ignoring case.

So ``like`` is a substring test, not SQL's ``%`` pattern: ``%`` and ``_`` are plain
characters. Ignoring case lowercases both sides (Python's ``str.lower``). Nothing is
stripped: ``"Paris\\n"`` does not equal ``"Paris"``, as on OpenAI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, field_validator

from ...wire.response import Response
from .. import register_check
from .base import Grade, GraderArgs, GraderCheck, compared, label
from .templates import Namespaces, check_template, render

Operation = Literal["eq", "ne", "like", "ilike"]

_SAYS = {
    "eq": "equals",
    "ne": "differs from",
    "like": "contains",
    "ilike": "contains (ignoring case)",
}


class StringCheckArgs(GraderArgs):
    type: Literal["string_check"] = "string_check"
    input: str
    reference: str
    operation: Operation

    @field_validator("input", "reference")
    @classmethod
    def _template(cls, v: str) -> str:
        return check_template(v)


def string_check(operation: Operation, text: str, reference: str) -> bool:
    if operation == "eq":
        return text == reference
    if operation == "ne":
        return text != reference
    if operation == "like":
        return reference in text
    return reference.lower() in text.lower()


@register_check
class StringCheck(GraderCheck):
    name = "string_check"
    args = StringCheckArgs
    doc = "OpenAI's string_check grader: eq, ne, like (contains), ilike (contains, any case)"

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, StringCheckArgs)
        text = render(args.input, ns, "input")
        reference = render(args.reference, ns, "reference")
        ok = string_check(args.operation, text, reference)
        verdict = _SAYS[args.operation] if ok else f"not: {_SAYS[args.operation]}"
        return Grade(
            1.0 if ok else 0.0,
            ok,
            f"{label('string_check', args)} {args.operation}: score {float(ok):g} "
            f"({verdict}); {compared(text, reference)}",
            1.0 if ok else 0.0,
        )
