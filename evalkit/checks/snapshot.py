"""The ``snapshot`` check: the output equals the snapshot a reviewer accepted.

Serialisation and diffs are syrupy's (its JSON extension: sorted keys, two-space indents,
``exclude`` leaving volatile fields out); the files are evalkit's own, one per case under
``snapshots/outputs/`` (see evalkit/checks/snapshot_store.py), so they work from ``evalkit run`` too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import display_path
from ..io.jsonfile import loads_value
from ..wire.response import Response
from . import AssertionSpec, Check, CheckContext, CheckFailed, Observation, Outcome, register_check


@functools.cache
def _extension() -> Any:
    """syrupy's JSON extension, imported when a snapshot is first serialised: syrupy imports
    pytest, which ``evalkit run`` of a suite without snapshots need not load."""
    from syrupy.extensions.json import JSONSnapshotExtension

    return JSONSnapshotExtension()


class SnapshotArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exclude: list[str] = []


def serialize(obs: Observation, args: SnapshotArgs) -> str:
    """The output as syrupy serialises it: parsed JSON when it is JSON, else the text; with
    tool calls, the trajectory too (each call's name and arguments, then the answer)."""
    try:
        data: Any = loads_value(obs.text)
    except (ValueError, RecursionError):
        data = obs.text
    if obs.tool_calls:
        calls = [{"name": c.name, "arguments": c.parsed, "turn": c.turn} for c in obs.tool_calls]
        data = {"tool_calls": calls, "output": data}
    from syrupy.filters import props

    exclude = props(*args.exclude) if args.exclude else None
    return str(_extension().serialize(data, exclude=exclude))


@register_check
class Snapshot(Check):
    name = "snapshot"
    args = SnapshotArgs

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        if ctx is None or ctx.snapshots is None:
            raise CheckFailed(
                "snapshot: compares against a suite's stored snapshots; use it in a suite"
            )
        path = ctx.snapshots.path(obs.suite, obs.case_id, obs.variant, obs.sample)
        where = display_path(path)
        stored = ctx.snapshots.read(path)
        current = serialize(obs, spec.args)
        if stored is None:
            return Outcome(
                False,
                f"no snapshot yet ({where}): review the output and accept it with --snapshot-update",
                unreviewed=True,
            )
        if stored == current:
            return Outcome(True, f"output matches {where}")
        diff = str(_extension().diff_snapshots(current, stored))
        return Outcome(
            False,
            f"output differs from the reviewed snapshot {where} (- snapshot, + output); accept with --snapshot-update:\n{diff}",
        )

    def after(
        self, spec: AssertionSpec, obs: Observation, outcome: Outcome, ctx: CheckContext
    ) -> Outcome:
        store = ctx.snapshots
        if outcome.passed or store is None or not store.update or spec.negate:
            return outcome
        path = store.path(obs.suite, obs.case_id, obs.variant, obs.sample)
        existed = path.is_file()
        try:
            store.write(path, serialize(obs, spec.args))
        except OSError as exc:
            return Outcome(
                False, f"could not write the snapshot {display_path(path)}: {exc.strerror or exc}"
            )
        return Outcome(
            True, f"snapshot {'updated' if existed else 'written'}: {display_path(path)}"
        )
