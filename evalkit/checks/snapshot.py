"""The ``snapshot`` check: the output equals the snapshot a reviewer accepted.

Serialisation and diffs are syrupy's (its JSON extension: sorted keys, two-space indents,
``exclude`` leaving volatile fields out); the engine reads and writes the files under
``snapshots/outputs/`` and puts the stored text on the observation, so this stays pure.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.filters import props

from . import AssertionSpec, Observation, Outcome, register

_EXTENSION = JSONSnapshotExtension()


class SnapshotArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exclude: list[str] = []


def serialize(obs: Observation, args: SnapshotArgs) -> str:
    """The output as syrupy serialises it: parsed JSON when it is JSON, else the text."""
    try:
        data: Any = json.loads(obs.text)
    except ValueError:
        data = obs.text
    return str(_EXTENSION.serialize(data, exclude=props(*args.exclude) if args.exclude else None))


@register("snapshot", SnapshotArgs)
def snapshot(args: SnapshotArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    current = serialize(obs, args)
    stored = obs.snapshot
    where = obs.snapshot_path or "the snapshot"
    if stored is None:
        return Outcome(
            False,
            f"no snapshot yet ({where}): review the output and accept it with --snapshot-update",
        )
    if stored == current:
        return Outcome(True, f"output matches {where}")
    diff = str(_EXTENSION.diff_snapshots(current, stored))
    return Outcome(
        False,
        f"output differs from the reviewed snapshot {where} (- snapshot, + output); accept with --snapshot-update:\n{diff}",
    )
