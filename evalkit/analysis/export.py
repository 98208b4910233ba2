"""A frame written as a file: CSV, JSON lines or Parquet (``evalkit export``).

Rules: a file is written whole or not at all (a temporary file beside it, then renamed), so
an interrupted export never leaves half a table where a notebook would read it; an existing
file is replaced only when asked (``force``), and never a file inside a run folder being
read (a run's files are evalkit's); every text is redacted (the frame already is, and CSV
and JSON lines pass through the redactor once more on their way out). Parquet needs pyarrow
(the ``parquet`` extra); without it the export stops before writing anything, saying so.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, display_path
from ..io.files import atomic_write
from ..io.redaction import redact

FORMATS = ("csv", "jsonl", "parquet")


def needs_pyarrow() -> None:
    if importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(
            "--format parquet needs pyarrow, which is not installed: "
            "pip install 'pytest-evalkit[parquet]' (or choose --format csv or jsonl)"
        )


def text(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as CSV or JSON lines (times in ISO 8601 with their zone, missing values
    empty in CSV and null in JSON)."""
    if fmt == "csv":
        out = frame.to_csv(index=False, lineterminator="\n")
    elif fmt == "jsonl":
        out = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="ms")
        out = out if out.endswith("\n") or not out else out + "\n"
    else:
        raise ConfigError(f"no text format {fmt!r}: choose csv or jsonl")
    return redact(out)


def check_target(target: Path, *, force: bool, runs: Sequence[Path]) -> None:
    """Refuse a target inside a run folder being read, a folder, or (without ``force``) an
    existing file."""
    resolved = target.resolve()
    for run in runs:
        folder = (run if run.is_dir() else run.parent).resolve()
        if resolved.is_relative_to(folder):
            raise ConfigError(
                f"{target}: inside the run folder {display_path(folder)}: write the export elsewhere "
                "(a run folder's files are evalkit's)"
            )
    if target.is_dir():
        raise ConfigError(f"{target} is a folder: give -o a file name")
    if target.exists() and not force:
        raise ConfigError(f"{target} exists: choose another -o, or pass --force to replace it")


def write(
    frame: pd.DataFrame,
    fmt: str,
    target: Path,
    *,
    force: bool = False,
    runs: Sequence[Path] = (),
) -> None:
    """Write ``frame`` to ``target`` as ``fmt``, whole or not at all."""
    if fmt not in FORMATS:
        raise ConfigError(f"no format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        needs_pyarrow()
    check_target(target, force=force, runs=runs)
    try:
        if fmt == "parquet":
            _atomic_parquet(frame, target)
        else:
            atomic_write(target, text(frame, fmt))
    except OSError as exc:
        raise ConfigError(f"cannot write the export: {exc.strerror or exc}", target) from None


def _atomic_parquet(frame: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name[:40]}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
