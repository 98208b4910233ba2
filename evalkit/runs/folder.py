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

from ..config import Mode
from ..errors import ConfigError, display_path
from ..io.files import atomic_write, inside, read_text, safe_name

META = "run.json"
RESULTS = "results.jsonl"


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
    shard: str | None = None  # "K/N" when the run is one shard of a split (evalkit.project.shard)


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


def is_run_folder(path: Path) -> bool:
    return (path / META).is_file() or (path / RESULTS).is_file()


def find_run(ref: str | Path, results_dir: Path | None) -> Path:
    """A run from what a user typed: a run folder, a results file, or a run id under the
    results folder. A results.jsonl inside a run folder stands for its folder."""
    path = Path(ref)
    candidates = [path]
    if results_dir is not None and not path.is_absolute() and safe_name_ok(str(ref)):
        candidates.append(results_dir / path)
    for candidate in candidates:
        if candidate.is_file():
            folder = candidate.parent
            return folder if candidate.name == RESULTS and (folder / META).is_file() else candidate
        if candidate.is_dir() and is_run_folder(candidate):
            return candidate
    under = f" under {display_path(results_dir)}" if results_dir is not None else ""
    if path.is_dir():
        raise ConfigError(
            f"{display_path(path)}: not a run folder (it holds no {META} or {RESULTS}); give a "
            f"run folder, its {RESULTS}, or a run id{under}"
        )
    known = ""
    if results_dir is not None and results_dir.is_dir():
        ids = sorted(p.name for p in results_dir.iterdir() if p.is_dir() and is_run_folder(p))
        known = f" (runs there: {', '.join(ids[-5:])})" if ids else " (it holds no run yet)"
    raise ConfigError(
        f"no run {str(ref)!r}: expected a run folder, a {RESULTS} or a run id{under}{known}"
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
