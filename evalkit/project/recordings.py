"""The record/replay store: one reviewable JSON file per case under snapshots/recordings/.

Files are written with sorted keys and two-space indents, entries keyed by request hash,
and only when their content changed, so re-recording unchanged cases leaves them alone
and a PR diff shows only the requests that changed. No header is ever stored: only the
request body (which holds no credentials), the response body and a few metadata fields,
and every text passes through redaction on the way out.

A recording is untrusted input (hand-edited, merged badly, truncated): it is read through
:class:`RecordingFile`, and anything wrong is a :class:`RecordingError` naming the file,
what is wrong, and that the case should be re-recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError, RecordingError
from ..io.files import Missing, atomic_write, inside, read_text, slug
from ..io.jsonfile import load_bounded
from ..io.redaction import redact
from ..wire.request import Endpoint, Request
from ..wire.response import BODY_LIST, Response

FORMAT = "evalkit-recording/1"
# The `evalkit_openai` fixture's files: recordings/app/<test file>/<test>.json (nested, so
# never mistaken for a suite's case files, which sit directly in recordings/<suite>/).
APP_FOLDER = "app"


class Owner(NamedTuple):
    """Whose recording file a request belongs in."""

    suite: str
    case: str


# -- who owns a recording file: the one rule every reader of ownership follows ----------
#
# A file a suite's case owns carries no marker. A file a test owns (the `evalkit_suite`
# fixture's ``run(id, ...)``, the `evalkit_openai` fixture's per-test files) says so:
#     "owner": "test", "test": "tests/test_extract.py::test_extract"
# (the test file relative to the project root, then the test's name as pytest gives it),
# so `evalkit check` does not call it an orphan and `evalkit prune` keeps it while that test
# is still defined. Writers put :meth:`OwnerMark.fields` in the file; readers call
# :func:`owner_kind`.


class OwnerMark(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    owner: Literal["case", "test"] = "case"
    test: str | None = None  # "path/to/test_file.py::test_name[param]"

    def fields(self) -> dict[str, str]:
        """What a writer adds to the recording file's top level."""
        return {"owner": "test", "test": self.test or ""} if self.owner == "test" else {}


def owner_kind(source: Path | Mapping[str, Any]) -> OwnerMark:
    """Who owns a recording file (a path, or its parsed top level). A file that cannot be
    read, or a marker of another shape, is a RecordingError: its owner is unknown."""
    if isinstance(source, Path):
        data = load_bounded(
            source, error=RecordingError, what="the recording", fix=": its owner is unknown"
        )
    else:
        data = source
    if not isinstance(data, Mapping):
        raise RecordingError("not a recording (not a JSON object)")
    try:
        return OwnerMark.model_validate({k: data[k] for k in ("owner", "test") if k in data})
    except ValidationError:
        raise RecordingError(
            'its "owner" marker is not "case" or "test" with a "test" name'
        ) from None


_TEST = re.compile(r"^(?P<file>[^:]+\.py)::(?:[^:\[]+::)*(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


def owning_test_exists(root: Path, test: str | None) -> bool | None:
    """Whether the test a marker names is still defined (its file exists and defines a
    function of that name); None when the name cannot be read (then keep its files)."""
    match = _TEST.match(test or "")
    if match is None:
        return None
    try:
        path = inside(root, root / match["file"], "test file")  # a marker is untrusted
        text = read_text(path, "test file") if path.is_file() else ""
    except ConfigError:
        return None
    pattern = rf"^[ \t]*(async[ \t]+)?def[ \t]+{re.escape(match['name'])}[ \t]*\("
    return bool(re.search(pattern, text, re.M))


def app_recordings(recordings: Path) -> list[Path]:
    """The `evalkit_openai` fixture's files under ``recordings`` (snapshots/recordings)."""
    folder = recordings / APP_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.json") if p.parent != folder and p.is_file())


_RERECORD = "; re-record this case"
_TOKEN_COUNTS = (
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
)
MAX_TOKENS = 10**9  # tokens one answer could report: far above any context window


def _check_usage(value: Any, where: str = "usage") -> None:
    """A recorded ``usage`` is an object whose token counts are whole numbers from 0 to
    ``MAX_TOKENS``: budgets and costs are read from it, so a list, a string or ``1e300``
    there would replay as a pass at zero (or infinite) cost."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be an object of token counts, not {type(value).__name__}")
    for key, count in value.items():
        if isinstance(count, dict) and key.endswith("_details"):
            _check_usage(count, f"{where}.{key}")
        elif key in _TOKEN_COUNTS and (
            isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_TOKENS
        ):
            raise ValueError(
                f"{where}.{key} must be a whole number of tokens from 0 to {MAX_TOKENS:,}, "
                f"not {str(count)[:40]!r}"
            )


class RecordedRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoint: Endpoint
    body: dict[str, Any]
    sample: int = Field(0, ge=0)


class Interaction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    request: RecordedRequest
    response: dict[str, Any]
    request_id: str | None = None
    model: str | None = None
    latency_ms: float = Field(0.0, ge=0, allow_inf_nan=False)
    ttft_ms: float | None = Field(None, ge=0, allow_inf_nan=False)
    source: str = ""
    purpose: str | None = None  # why, when not the case's planned request: "judge", "turn 2"

    @field_validator("response")
    @classmethod
    def _shape(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        request = info.data.get("request")
        if request is not None:
            key = BODY_LIST[request.endpoint]
            if not isinstance(value.get(key), list):
                raise ValueError(f"a {request.endpoint} response needs a {key!r} list")
        _check_usage(value.get("usage"))
        return value


class RecordingFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: str = FORMAT
    suite: str = ""
    case: str = ""
    interactions: dict[str, Interaction]


def read_recording(path: Path) -> RecordingFile:
    """A recording file, validated; RecordingError says what is wrong."""
    data = load_bounded(path, error=RecordingError, what="the recording", fix=_RERECORD)
    try:
        return RecordingFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "the file"
        message = err["msg"].removeprefix("Value error, ")
        raise RecordingError(
            f"malformed recording at {where}: {message}; re-record this case", path
        ) from None


class RecordingStore:
    """Recordings for many cases; each case's file is read once and written when done."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[Owner, dict[str, Interaction]] = {}
        self._dirty: set[Owner] = set()
        self._marks: dict[Owner, OwnerMark] = {}
        self._folders: dict[str, Path] = {}
        self._named: dict[str, tuple[Path, str]] = {}

    def mark(self, owner: Owner, mark: OwnerMark, *, write: bool = False) -> None:
        """Say who owns ``owner``'s file (a test); ``write``: save the marker even when no
        answer changed (a recording mode: a file recorded before markers gets one)."""
        self._marks[owner] = mark
        path = self.path(owner)
        if write and path.is_file():
            try:
                current = owner_kind(path)
            except RecordingError:
                return  # read (and reported) as a recording when the case runs
            if current != mark:
                self.entries(owner)
                self._dirty.add(owner)

    def path(self, owner: Owner) -> Path:
        return self._suite_folder(owner.suite) / f"{slug(owner.case)}.json"

    def _suite_folder(self, suite: str) -> Path:
        """A suite's folder of recordings (kept: every case of a run asks for it)."""
        folder = self._folders.get(suite)
        if folder is None:
            folder = self._folders[suite] = self.folder / slug(suite)
        return folder

    def relative(self, owner: Owner, root: Path) -> str:
        """:meth:`path` as the project at ``root`` names it (outside it: the whole path),
        as text built without a filesystem call or a Path per case (a result names its
        recording, and replay does little else per case)."""
        named = self._named.get(owner.suite)
        if named is None or named[0] != root:
            folder = self._suite_folder(owner.suite)
            try:
                named = (root, str(folder.relative_to(root)))
            except ValueError:
                named = (root, str(folder))
            self._named[owner.suite] = named
        return os.path.join(named[1], f"{slug(owner.case)}.json")

    def entries(self, owner: Owner) -> dict[str, Interaction]:
        """The case's recorded interactions by request key (read once, then cached)."""
        entries = self._cache.get(owner)
        if entries is None:
            try:  # a FIFO or a device there is refused, not taken as "none"
                entries = read_recording(self.path(owner)).interactions
            except Missing:
                entries = {}
            self._cache[owner] = entries
        return entries

    def get(self, owner: Owner, request: Request) -> Response | None:
        entry = self.entries(owner).get(request.key)
        if entry is None:
            return None
        return Response(
            endpoint=entry.request.endpoint,
            body=entry.response,
            request_id=entry.request_id,
            latency_ms=entry.latency_ms,
            ttft_ms=entry.ttft_ms,
            source=entry.source,
            retries=0,
            replayed=True,
        )

    def put(
        self, owner: Owner, request: Request, response: Response, purpose: str | None = None
    ) -> None:
        entry = Interaction(
            request=RecordedRequest(
                endpoint=request.endpoint, body=without_images(request.body), sample=request.sample
            ),
            response=response.body,
            request_id=response.request_id,
            model=response.model,
            latency_ms=round(response.latency_ms, 1) if math.isfinite(response.latency_ms) else 0,
            ttft_ms=round(response.ttft_ms, 1) if response.ttft_ms is not None else None,
            source=response.source,
            purpose=purpose,
        )
        entries = self.entries(owner)
        old = entries.get(request.key)
        if old is not None and response.reused:
            return  # this case has its own recording of that answer already
        if old is not None and old.response == entry.response:
            if old.purpose == purpose:
                return  # same answer: keep the file byte-for-byte (latency and ids included)
            entry = old.model_copy(update={"purpose": purpose})
        entries[request.key] = entry
        self._dirty.add(owner)

    def keep_only(self, owner: Owner, keys: set[str]) -> int:
        """Drop the owner's entries whose request key is not in ``keys`` (a recording whose
        every request is known, like a calibration's); how many were dropped."""
        entries = self.entries(owner)
        stale = [key for key in entries if key not in keys]
        for key in stale:
            del entries[key]
        if stale:
            self._dirty.add(owner)
        return len(stale)

    def forget(self, owner: Owner) -> str | None:
        """Save a finished case and drop it from memory (a long run holds only what is in
        flight). Returns what went wrong when the file could not be written."""
        try:
            self.save(owner)
        except OSError as exc:
            self._dirty.discard(owner)
            return f"the recording could not be saved to {self.path(owner)}: {exc.strerror or exc}"
        finally:
            self._cache.pop(owner, None)
        return None

    def save(self, owner: Owner) -> Path | None:
        """Write the case's file if anything changed (atomically: never a torn file)."""
        if owner not in self._dirty:
            return None
        path = self.path(owner)
        interactions = {
            key: _entry_json(entry) for key, entry in sorted(self.entries(owner).items())
        }
        document = {
            "format": FORMAT,
            "suite": owner.suite,
            "case": owner.case,
            **(self._marks[owner].fields() if owner in self._marks else {}),
            "interactions": interactions,
        }
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        atomic_write(path, redact(text))
        self._dirty.discard(owner)
        return path


def _entry_json(entry: Interaction) -> dict[str, Any]:
    out = entry.model_dump(mode="json", exclude_none=False)
    request = out["request"]
    if not request.get("sample"):
        request.pop("sample", None)
    for key in ("purpose", "ttft_ms"):
        if out.get(key) is None:
            out.pop(key, None)
    return out


_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+);base64,(.*)$", re.S)


def without_images(value: Any) -> Any:
    """The request as recorded: each image's bytes replaced by their hash (the request's
    key, made from the bytes, still tells a changed image)."""
    if isinstance(value, str):
        match = _DATA_URL.match(value)
        if match:
            digest = hashlib.sha256(base64.b64decode(match.group(2))).hexdigest()
            return f"{match.group(1)} sha256:{digest}"
        return value
    if isinstance(value, dict):
        return {k: without_images(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_images(v) for v in value]
    return value
