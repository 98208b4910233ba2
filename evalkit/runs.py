"""Run folders: ``<results>/<run-id>/`` with ``run.json`` (what was run, how) and
``results.jsonl``. One function writes the metadata, whichever front started the run, so
``evalkit run --resume`` finishes a run that pytest or the CLI began.
"""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import Mode
from .errors import ConfigError
from .files import atomic_write, inside, read_text, safe_name

META = "run.json"


class RunMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    run_id: str
    front: str = "cli"
    mode: Mode = Mode.REPLAY
    variant: str | None = None
    all_variants: bool = False
    suites: list[str] = []
    overrides: dict[str, Any] = Field(default_factory=dict)  # settings given as flags
    cases: int = 0
    started_at: str = ""
    shard: str | None = None  # "K/N" when the run is one shard of a split (evalkit.shard)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def write_meta(folder: Path, meta: RunMeta) -> None:
    try:
        atomic_write(folder / META, meta.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"cannot write the run's metadata: {exc.strerror or exc}", folder
        ) from None


def create_run(results_dir: Path, meta: RunMeta, *, replace: bool = False) -> Path:
    """A new run folder for ``meta.run_id`` inside ``results_dir``; with ``replace``, an
    earlier run of that id is removed first (never a folder that is not a run)."""
    safe_name(meta.run_id, "run id")
    if results_dir.exists() and not results_dir.is_dir():
        raise ConfigError("the results folder is a file: point `results` at a folder", results_dir)
    folder = inside(results_dir, results_dir / meta.run_id, "run folder")
    if folder.exists():
        if not (folder / META).is_file():
            raise ConfigError(
                f"{folder} exists and is not a run folder (no {META}): choose another --run-id"
            )
        if not replace:
            raise ConfigError(f"run {meta.run_id!r} exists: resume it or choose another id", folder)
        shutil.rmtree(folder)
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the run folder: {exc.strerror or exc}", folder) from None
    if not meta.started_at:
        meta = meta.model_copy(
            update={"started_at": datetime.now(UTC).isoformat(timespec="seconds")}
        )
    write_meta(folder, meta)
    return folder


def find_run(ref: str, results_dir: Path) -> Path:
    """A run folder from what a user typed: a folder, a results file, or a run id."""
    path = Path(ref)
    for candidate in (path, path.parent if path.name == "results.jsonl" else None):
        if candidate is not None and (candidate / META).is_file():
            return candidate
    if path.is_file() and path.suffix == ".jsonl":
        return path  # a bare results file, read without metadata
    if safe_name_ok(ref) and (results_dir / ref / META).is_file():
        return results_dir / ref
    if (path / "results.jsonl").is_file():
        return path
    raise ConfigError(
        f"no run {ref!r}: expected a run folder (with {META}), a results.jsonl, or a run id "
        f"under {results_dir}"
    )


def safe_name_ok(name: str) -> bool:
    try:
        safe_name(name, "run id")
    except ConfigError:
        return False
    return True


def read_meta(folder: Path) -> RunMeta:
    path = folder / META
    text = read_text(path, "run metadata")
    try:
        return RunMeta.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise ConfigError(
            f"unreadable run metadata ({problem}): this run cannot be resumed; start a new one",
            path,
        ) from None
