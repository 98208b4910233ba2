"""The run folder, ``<results>/<run-id>/``: every file name in it, and every reader and
writer of it, are here and nowhere else.

- ``run.json``: what was run and how (:class:`RunMeta`), written once by whichever front
  started the run, so ``evalkit run --resume`` finishes a run that pytest or the CLI began;
- ``results.jsonl``: one line per finished case, appended and flushed the moment it
  finishes (:class:`RunWriter`, secrets redacted), so a crash or Ctrl-C loses nothing that
  finished; a torn last line is skipped and reported by the one reader (:class:`ResultsFile`);
- ``batches.json``: a batch run's batches (its format is the batch engine's; written
  atomically here), so a resumed run re-attaches instead of submitting again;
- ``spend.jsonl``: what a run under a cost cap spent, one line per answer, so a resumed
  run counts what it already spent.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import Mode
from ..errors import ConfigError, display_path
from ..io.files import AppendLog, atomic_write, inside, open_text, safe_name
from ..io.jsonfile import MAX_DEPTH, load_bounded, loads_bounded
from ..io.redaction import Redactor, redact
from .models import CaseResult

META = "run.json"
RESULTS = "results.jsonl"
BATCHES = "batches.json"
SPEND = "spend.jsonl"

_M = TypeVar("_M", bound=BaseModel)

# A results line nests a case's samples, turns and tool calls around a model's JSON (whose
# own depth evalkit bounds when it parses it: evalkit/io/jsonfile.py).
LINE_DEPTH = MAX_DEPTH + 16
LINE_BYTES = 16 * 1024 * 1024


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


def meta_file(folder: Path) -> Path:
    return folder / META


def results_file(path: Path) -> Path:
    """The results file of a run folder, or ``path`` itself when it names a file."""
    return path / RESULTS if path.is_dir() else path


def has_meta(folder: Path) -> bool:
    return (folder / META).is_file()


def run_name(path: Path) -> str:
    """A run's name for display: its folder's, also when given its results file."""
    return path.parent.name if path.name == RESULTS else path.name


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def write_meta(folder: Path, meta: RunMeta) -> None:
    try:
        atomic_write(folder / META, redact(meta.model_dump_json(indent=2) + "\n"))
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
    fix = ": this run cannot be resumed; start a new one"
    data = load_bounded(path, what="the run metadata", fix=fix, max_bytes=1024 * 1024)
    try:
        return RunMeta.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise ConfigError(
            f"unreadable run metadata ({problem}): this run cannot be resumed; start a new one",
            path,
        ) from None


# -- results.jsonl ------------------------------------------------------------------


class RunWriter:
    """Appends each finished case to the run's results.jsonl, flushed at once."""

    def __init__(self, folder: Path, secrets: tuple[str, ...] = ()):
        self.folder = folder
        self.path = folder / RESULTS
        self.redact = Redactor(secrets)
        try:
            self._log = AppendLog(self.path)
        except OSError as exc:
            raise ConfigError(
                f"cannot write results: {exc.strerror or exc} (is the results folder a file?)",
                self.path,
            ) from None

    def write(self, result: CaseResult) -> None:
        self.write_line(self.encode(result))

    def encode(self, result: CaseResult) -> str:
        """The line ``result`` is kept as (secrets masked): what a helper process of a
        shared replay sends the run's own process to write (runs/forked.py)."""
        return self.redact(result.model_dump_json())

    def write_line(self, line: str) -> None:
        """Append a line made by :meth:`encode` (here or in a helper process)."""
        try:
            self._log.write(line)
        except OSError as exc:  # a full disk, a file-size limit: the run cannot keep results
            raise ConfigError(
                f"cannot write results: {exc.strerror or exc}; the cases written before are "
                "kept whole: free the space, then `evalkit run --resume` runs the rest",
                self.path,
            ) from None

    def close(self) -> None:
        self._log.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ResultsFile:
    """A results.jsonl read line by line; lines that are not results are skipped and
    remembered (``skipped``: their line numbers), never silently dropped."""

    def __init__(self, path: Path):
        self.path = path / RESULTS if path.is_dir() else path
        self.skipped: list[int] = []

    def lines(self) -> Iterator[tuple[int, str]]:
        """Every non-blank line with its number, as written (the one place a results file
        is opened: a torn last line is the one that does not end in a newline)."""
        try:
            handle = open_text(self.path, "results", errors="replace")
        except ConfigError as exc:
            raise ConfigError(exc.message, self.path) from None
        with handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line

    def records(self) -> Iterator[tuple[int, str, Any]]:
        """Every non-blank line with its number and its JSON, or the ConfigError saying
        why it is not JSON within the bounds (too deep, too large, a number out of range)."""
        for number, line in self.lines():
            try:
                yield number, line, parse_line(line, self.path, number)
            except ConfigError as exc:
                yield number, line, exc

    def __iter__(self) -> Iterator[CaseResult]:
        self.skipped = []
        for number, _, data in self.records():
            try:
                if isinstance(data, ConfigError):
                    raise data
                yield CaseResult.model_validate(data)
            except (ValidationError, ConfigError):
                self.skipped.append(number)

    def latest(self) -> list[CaseResult]:
        """One result per case: the last line wins (a resumed run appends its re-runs).
        A file with no readable result is an error, never an empty pass."""
        latest: dict[str, CaseResult] = {}
        for result in self:
            latest[result.item_id] = result
        if not latest:
            lines = f" ({len(self.skipped)} unreadable line(s))" if self.skipped else ""
            raise ConfigError(f"no results in this file{lines}: is it a run's results?", self.path)
        return list(latest.values())

    def warning(self) -> str | None:
        if not self.skipped:
            return None
        shown = ", ".join(map(str, self.skipped[:10])) + (" ..." if len(self.skipped) > 10 else "")
        return f"{display_path(self.path)}: skipped {len(self.skipped)} unreadable line(s): {shown}"


def parse_line(line: str, path: Path | None = None, number: int | None = None) -> Any:
    """A results line's JSON within the bounds, or a ConfigError at ``path:number``."""
    return loads_bounded(
        line, path, number, max_depth=LINE_DEPTH, max_bytes=LINE_BYTES, what="the results line"
    )


def read_results(path: Path) -> Iterator[CaseResult]:
    """Every readable result of a results.jsonl (or a run folder), in file order."""
    return iter(ResultsFile(path))


def latest_results(path: Path) -> list[CaseResult]:
    return ResultsFile(path).latest()


# -- batches.json and spend.jsonl -----------------------------------------------------


def batches_file(folder: Path) -> Path:
    return folder / BATCHES


def has_batches(folder: Path) -> bool:
    return (folder / BATCHES).is_file()


def read_batches(folder: Path, model: type[_M]) -> _M | None:
    """The run's batch state as ``model`` (None when it has none); unreadable is an error
    that says what to do, since the batches may still be running on the server."""
    path = folder / BATCHES
    if not path.is_file():
        return None
    fix = (
        ": the run cannot re-attach to its batches; list them with the SDK "
        "(client.batches.list) or start a new run"
    )
    data = load_bounded(path, what="the batch state", fix=fix)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise ConfigError(f"unreadable batch state ({problem}){fix}", path) from None


def write_batches(folder: Path, state: BaseModel) -> None:
    path = folder / BATCHES
    try:
        atomic_write(path, redact(state.model_dump_json(indent=1) + "\n"))
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the batch state: {exc.strerror or exc}; the batches keep running "
            "on the server, but this run could not re-attach to them",
            path,
        ) from None


def spent_in(folder: Path) -> float:
    """What earlier sessions of the run spent (torn or foreign lines are skipped)."""
    path = folder / SPEND
    if not path.is_file():
        return 0.0
    total = 0.0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                value = loads_bounded(line, path, max_depth=4, max_bytes=4096).get("usd")
            except (ConfigError, AttributeError):
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number and 0 <= value < float("inf"):
                total += value
    return total


def spend_log(folder: Path) -> AppendLog:
    """The run's spend log, appended to as answers are paid for."""
    try:
        return AppendLog(folder / SPEND)
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the run's spend: {exc.strerror or exc}", folder / SPEND
        ) from None
