"""One test's recording of its application's OpenAI calls: where it lives, its format, how
it is read (untrusted) and written (byte-stable).

``snapshots/recordings/app/<test file without .py>/<test name>.json``, every part slugged
(io/files.py) and the result kept inside the folder. Entries are keyed by the canonical
request hash (wire/request.py, the same hash as suites) and hold that request's answers in
call order: the n-th identical request of a test gets the n-th answer. The request body is
kept for review and for naming how a new request differs; headers are never kept (so no
key or Authorization header), only the answer's status, body or stream events and its
request id. Written with sorted keys and two-space indents through redaction and an atomic
rename, so re-recording unchanged calls leaves the file byte-identical, a crash never
leaves a torn file, and pytest-xdist workers (one file per test, each test in one worker)
never write the same file.

The file carries the owner marker of project/recordings.py (``"owner": "test"``), which is
how ``evalkit prune`` and ``evalkit check`` know it belongs to a test that is still defined.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import RecordingError
from ..io.files import atomic_write, inside, read_text, slug
from ..io.jsonfile import loads_bounded
from ..io.redaction import redact
from ..project.recordings import APP_FOLDER
from ..wire.request import Endpoint, Request

FORMAT: Literal["evalkit-app-recording/1"] = "evalkit-app-recording/1"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a recording larger than this is refused, not parsed
RECORDED_STATUSES = frozenset({200, 400, 404, 422})  # an answer, or a refusal that repeats


class Event(BaseModel):
    """One server-sent event of a streamed answer: its ``event:`` name (Responses) and its
    ``data:`` (parsed JSON, or the text as sent, such as ``[DONE]``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    event: str | None = None
    data: Any = None

    def frame(self) -> bytes:
        data = self.data if isinstance(self.data, str) else compact(self.data)
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {data}\n\n".encode()


class Answer(BaseModel):
    """What the API answered to one call: a JSON body, or a stream's events."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    status: int = Field(200, ge=100, le=599)
    body: dict[str, Any] | None = None
    events: list[Event] | None = None
    request_id: str | None = None

    @property
    def usage(self) -> dict[str, Any]:
        """The usage the answer reports (a stream's is in its last chunk, or in Responses'
        ``response.completed`` event)."""
        if self.body is not None:
            found = self.body.get("usage")
            return found if isinstance(found, dict) else {}
        for event in reversed(self.events or []):
            data = event.data if isinstance(event.data, dict) else {}
            for holder in (data, data.get("response")):
                if isinstance(holder, dict) and isinstance(holder.get("usage"), dict):
                    return dict(holder["usage"])
        return {}

    @property
    def model(self) -> str:
        if self.body is not None:
            return str(self.body.get("model", ""))
        for event in self.events or []:
            data = event.data if isinstance(event.data, dict) else {}
            for holder in (data, data.get("response")):
                if isinstance(holder, dict) and isinstance(holder.get("model"), str):
                    return str(holder["model"])
        return ""


class Entry(BaseModel):
    """One distinct request of the test and its answers, in call order."""

    model_config = ConfigDict(extra="ignore")
    endpoint: Endpoint
    body: dict[str, Any]
    answers: list[Answer] = Field(min_length=1)


class AppRecording(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: Literal["evalkit-app-recording/1"] = FORMAT
    owner: Literal["test"] = "test"
    test: str
    interactions: dict[str, Entry] = {}

    def render(self) -> str:
        """The file's text: a fixed order where a reviewer reads (the test, then each
        request before its answers), sorted keys everywhere else, entries by key,
        two-space indents, redacted, one final newline."""
        document = {
            "format": self.format,
            "owner": self.owner,
            "test": self.test,
            "interactions": {
                key: {
                    "endpoint": entry.endpoint,
                    "body": _sorted(entry.body),
                    "answers": [
                        _sorted(answer.model_dump(mode="json", exclude_none=True))
                        for answer in entry.answers
                    ],
                }
                for key, entry in sorted(self.interactions.items())
            },
        }
        return redact(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _sorted(value: Any) -> Any:
    """``value`` with every object's keys in sorted order (the byte-stable form)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def request_key(endpoint: Endpoint, body: dict[str, Any]) -> str:
    """The canonical hash suites use for the same request (wire/request.py)."""
    return Request.model_construct(endpoint=endpoint, body=body, sample=0).key


def owner_test_id(root: Path, file: Path, name: str) -> str:
    """``tests/test_x.py::test_name[param]``: the test file relative to the project root
    (project/recordings.py reads this to know whether the test is still defined)."""
    try:
        where = file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        where = file.name
    return f"{where}::{name}"


def recording_path(recordings: Path, test: str) -> Path:
    """Where ``test``'s recording lives under ``recordings`` (snapshots/recordings)."""
    file, _, name = test.partition("::")
    parts = [slug(part) for part in file.removesuffix(".py").split("/") if part not in ("", ".")]
    folder = recordings / APP_FOLDER
    path = folder.joinpath(*parts, f"{slug(name or 'test')}.json")
    inside(folder, path, "recording")
    return path


def read_recording(path: Path) -> AppRecording | None:
    """The test's recording, validated; None when there is none. RecordingError says
    what is wrong with a file that cannot be used (it is untrusted input)."""
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RecordingError(
            f"recording is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: re-record this test "
            "with --evalkit-mode=rerecord",
            path,
        )
    text = read_text(path, "recording")
    data = loads_bounded(
        text,
        path,
        max_bytes=MAX_FILE_BYTES,
        error=RecordingError,
        what="the recording",
        fix="; re-record this test with --evalkit-mode=rerecord",
    )
    try:
        recording = AppRecording.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "the file"
        raise RecordingError(
            f"malformed recording at {where}: {err['msg']}; re-record this test with "
            "--evalkit-mode=rerecord",
            path,
        ) from None
    return recording


def write_recording(path: Path, recording: AppRecording) -> bool:
    """Write ``recording`` if its text differs from the file's; True when written."""
    text = recording.render()
    try:
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    atomic_write(path, text)
    return True
