"""Case × Target → the requests to answer, rendered up front.

Planning renders every case's requests before any is sent, so a missing variable or a bad
template is a configuration error (exit 2) before the run spends anything.

A :class:`Plan` (what a run runs) renders each case once up front to find such errors and
keeps only the first :attr:`Plan.KEEP` planned cases; of the rest it keeps the rendered text
of their messages (a few hundred bytes, not a planned case's kilobytes), and builds their
requests again from it when the run reaches them, so a run of 100,000 cases neither holds
100,000 planned requests nor renders each case twice.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, overload

from ..errors import TemplateError
from ..wire.messages import Message
from ..wire.request import Request, build_request
from .shard import Shard
from .suite import Case, Suite, Target


@dataclass(frozen=True)
class PlannedCase:
    suite: Suite
    case: Case
    target: Target
    requests: tuple[Request, ...]
    prompt_digest: str

    @property
    def item_id(self) -> str:
        variant = f"[{self.target.variant}]" if self.target.variant else ""
        return f"{self.suite.name}::{self.case.id}{variant}"


def first_messages(suite: Suite, case: Case, target: Target) -> list[Message | dict[str, Any]]:
    """The template's messages, with the case's ``history`` after its leading system (or
    developer) messages."""
    try:
        rendered = suite.prompts.render(
            target.prompt,
            {**target.vars, **case.vars},
            base=suite.path.parent,
            root=suite.settings.root,
        )
    except TemplateError as exc:
        raise TemplateError(
            f"{exc.message} (case {case.id!r} at {case.file}:{case.line})", exc.file, exc.line
        ) from None
    lead = 0
    while lead < len(rendered) and rendered[lead].role in ("system", "developer"):
        lead += 1
    return [*rendered[:lead], *case.history, *rendered[lead:]]


def turn_request(
    target: Target, messages: Sequence[Message | dict[str, Any]], sample: int
) -> Request:
    """One model turn of a case: its messages so far, sent with the target's settings."""
    return build_request(
        model=target.model,
        api=target.api,
        messages=messages,
        params=target.params,
        schema=target.schema_model,
        structured=target.structured,
        sample=sample,
        tools=target.tools,
        tool_choice=target.tool_choice,
        parallel_tool_calls=target.parallel_tool_calls,
        stream=target.stream,
    )


def plan_case(
    suite: Suite,
    case: Case,
    variant: str | None = None,
    rendered: Sequence[Message | dict[str, Any]] | None = None,
) -> PlannedCase:
    """``case`` under ``variant``; ``rendered``: its :func:`first_messages`, when a
    planning pass already rendered them."""
    target = suite.target(variant)
    messages = first_messages(suite, case, target) if rendered is None else rendered
    requests = tuple(turn_request(target, messages, sample) for sample in range(suite.repeat))
    return PlannedCase(suite, case, target, requests, suite.prompts.digest(target.prompt))


Compact = tuple[tuple[str, str], ...]


def _compact(messages: Sequence[Message | dict[str, Any]]) -> Compact | None:
    """Rendered text messages as (role, text) pairs, to keep past :attr:`Plan.KEEP` instead
    of rendering the case a second time when the run reaches it; None when a message holds
    images or is not a plain text message (those cases are rendered again)."""
    out = []
    for message in messages:
        if isinstance(message, Message) and isinstance(message.content, str):
            out.append((message.role, message.content))
        else:
            return None
    return tuple(out)


def plan(suite: Suite, variant: str | None = None, shard: Shard | None = None) -> list[PlannedCase]:
    """Every case of ``suite`` under ``variant`` (only ``shard``'s share when given)."""
    return [
        plan_case(suite, case, variant)
        for case in suite.cases
        if shard is None or shard.owns(suite.name, case.id)
    ]


class Plan(Sequence[PlannedCase]):
    """The planned cases of suites under variants (``parts``), in order: only ``shard``'s
    share, without the item ids in ``skip`` (a resumed run's finished cases)."""

    KEEP: ClassVar[int] = 2000

    def __init__(
        self,
        parts: Sequence[tuple[Suite, str | None]],
        *,
        shard: Shard | None = None,
        skip: Container[str] = (),
    ):
        self.parts = list(parts)
        self.shard = shard
        self._offsets: list[int] = []
        self._kept: list[PlannedCase] = []
        self._chosen: array[int] | None = None
        self._counts: list[int] = []
        self._rendered: list[Compact | None] = []  # past KEEP, in planned order
        total, chosen, everything = 0, array("q"), True
        for suite, variant in self.parts:
            target = suite.target(variant)  # a bad variant is an error before any case
            self._offsets.append(total)
            count = 0
            for index, case in enumerate(suite.cases):
                if (shard is not None and not shard.owns(suite.name, case.id)) or (
                    skip and _item_id(suite, case, variant) in skip
                ):
                    everything = False
                    continue
                rendered = first_messages(suite, case, target)  # every error found now
                if len(self._kept) < self.KEEP:
                    self._kept.append(plan_case(suite, case, variant, rendered))
                else:  # its requests are built when the run reaches it (building raises no error)
                    self._rendered.append(_compact(rendered))
                chosen.append(total + index)
                count += 1
            self._counts.append(count)
            total += len(suite.cases)
        self._len = len(chosen)
        self._chosen = None if everything else chosen

    def __len__(self) -> int:
        return self._len

    def _get(self, index: int) -> PlannedCase:
        if index < len(self._kept):
            return self._kept[index]
        at = self._chosen[index] if self._chosen is not None else index
        part = bisect_right(self._offsets, at) - 1
        while not len(self.parts[part][0].cases):  # a part with no case shares an offset
            part -= 1
        suite, variant = self.parts[part]
        case = suite.cases[at - self._offsets[part]]
        compact = self._rendered[index - len(self._kept)]
        lead = None if compact is None else [Message(role, text) for role, text in compact]
        return plan_case(suite, case, variant, lead)

    @overload
    def __getitem__(self, index: int) -> PlannedCase: ...

    @overload
    def __getitem__(self, index: slice) -> list[PlannedCase]: ...

    def __getitem__(self, index: int | slice) -> PlannedCase | list[PlannedCase]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("planned case index out of range")
        return self._get(index)

    def __iter__(self) -> Iterator[PlannedCase]:
        for index in range(len(self)):
            yield self._get(index)

    def __repr__(self) -> str:
        return f"Plan({len(self)} cases)"

    def planned_parts(self) -> list[tuple[Suite, str | None]]:
        """The suites and variants at least one planned case comes from."""
        return [p for p, n in zip(self.parts, self._counts, strict=True) if n]

    def models(self) -> list[str]:
        """The models the planned cases are sent to (for the live pre-flight)."""
        return sorted({suite.target(variant).model for suite, variant in self.planned_parts()})


def _item_id(suite: Suite, case: Case, variant: str | None) -> str:
    target = suite.target(variant)
    return f"{suite.name}::{case.id}" + (f"[{target.variant}]" if target.variant else "")
