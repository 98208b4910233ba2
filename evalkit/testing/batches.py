"""The Batch API in memory: validation, a time-driven lifecycle, output and error files.

A batch moves ``validating → in_progress → finalizing → completed`` over ``delay_s``
seconds of the server's clock (10% validating, 80% answering lines at an even pace, 10%
finalizing); ``failed`` when its input does not validate; ``expired`` when ``expire_after_s``
passes first or some lines are drawn to expire; ``cancelling → cancelled`` on cancel. State
advances lazily whenever a batch is looked at, so there is no background thread and a test
can drive time with its own clock.

Each line is answered by the same :class:`~.answer.Answerer` as the live endpoints, so a
batch answer is byte-for-byte the live answer. Per-line failures and expiries are drawn from
a hash of (seed, batch number, line number): deterministic, and a line re-sent in a later
batch gets a fresh draw, as a retry would.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .answer import ENDPOINTS, Answerer, request_hash
from .errors import APIError, bad_request
from .files import FileStore, page

MAX_LINES = 50_000
WINDOW_S = 24 * 3600
SUPPORTED = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses")
_REQUIRED = {
    "/v1/chat/completions": "messages",
    "/v1/responses": "input",
    "/v1/embeddings": "input",
}
_API_NAME = {"/v1/chat/completions": "Chat Completions", "/v1/responses": "Responses"}
Fate = Literal["answer", "fail", "expire"]
TERMINAL = ("failed", "completed", "expired", "cancelled")


@dataclass(frozen=True)
class BatchSettings:
    """How batches behave: ``TestingServer(batch_delay_s=..., batch_fail_rate=..., ...)``."""

    delay_s: float = 0.0  # creation to completion
    fail_rate: float = 0.0  # share of lines answered with a 500 in the error file
    expire_rate: float = 0.0  # share of lines never run; the batch ends `expired`
    expire_after_s: float | None = None  # the batch expires this long after creation
    seed: int = 0


@dataclass
class Line:
    number: int  # 1-based line of the input file
    custom_id: str
    body: dict[str, Any]
    fate: Fate = "answer"


@dataclass
class Batch:
    id: str
    seq: int
    endpoint: str
    input_file_id: str
    metadata: dict[str, str] | None
    created: float
    lines: list[Line] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    status: str = "validating"
    done: int = 0  # lines looked at, in order
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0})
    times: dict[str, float] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        def at(name: str) -> int | None:
            return int(self.times[name]) if name in self.times else None

        failed = self.status == "failed"
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": int(self.created),
            "in_progress_at": at("in_progress"),
            "expires_at": int(self.created) + WINDOW_S,
            "finalizing_at": at("finalizing"),
            "completed_at": at("completed"),
            "failed_at": at("failed"),
            "expired_at": at("expired"),
            "cancelling_at": at("cancelling"),
            "cancelled_at": at("cancelled"),
            "request_counts": {
                "total": 0 if failed else len(self.lines),
                "completed": len(self.outputs),
                "failed": len(self.failures),
            },
            "metadata": self.metadata,
            "usage": {
                "input_tokens": self.usage["input"],
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": self.usage["output"],
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": self.usage["input"] + self.usage["output"],
            },
        }


def _error(code: str, message: str, line: int | None, param: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def _metadata(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request(
            "Invalid type for 'metadata': expected an object.", "metadata", "invalid_type"
        )
    if len(raw) > 16:
        raise bad_request(
            "Invalid 'metadata': too many properties. Expected an object with at most 16 "
            f"properties, but got an object with {len(raw)} properties instead.",
            "metadata",
            "object_above_max_properties",
        )
    for key, value in raw.items():
        if not isinstance(value, str):
            kind = (
                "an array"
                if isinstance(value, list)
                else "an object"
                if isinstance(value, dict)
                else type(value).__name__
            )
            raise bad_request(
                f"Invalid type for 'metadata.{key}': expected a string, but got {kind} instead.",
                f"metadata.{key}",
                "invalid_type",
            )
        if len(key) > 64 or len(value) > 512:
            raise bad_request(
                f"Invalid 'metadata.{key}': keys are at most 64 and values at most 512 characters.",
                f"metadata.{key}",
                "string_above_max_length",
            )
    return dict(raw)


class BatchStore:
    """Batches by id, thread-safe; every state change happens under one lock."""

    def __init__(
        self,
        answerer: Answerer,
        files: FileStore,
        settings: BatchSettings,
        clock: Callable[[], float],
        on_line: Callable[[dict[str, Any]], None] = lambda body: None,
    ):
        self.answerer = answerer
        self.files = files
        self.settings = settings
        self.clock = clock
        self.on_line = on_line  # told of every submitted line's body (the server's stats)
        self._batches: dict[str, Batch] = {}
        self._lock = threading.RLock()

    # -- create ---------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("input_file_id", "endpoint", "completion_window"):
            if name not in body:
                raise bad_request(
                    f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
                )
        endpoint = body["endpoint"]
        if endpoint not in SUPPORTED:
            raise bad_request(
                f"Invalid value: '{endpoint}'. Supported values are: '/v1/chat/completions', "
                "'/v1/completions', '/v1/embeddings', and '/v1/responses'.",
                "endpoint",
                "invalid_value",
            )
        if body["completion_window"] != "24h":
            raise bad_request(
                f"Invalid value: '{body['completion_window']}'. Supported values are: '24h'.",
                "completion_window",
                "invalid_value",
            )
        metadata = _metadata(body.get("metadata"))
        with self._lock:
            seq = len(self._batches) + 1
            now = self.clock()
            digest = hashlib.sha256(f"{seq}:{body['input_file_id']}:{now}".encode()).hexdigest()
            batch = Batch(
                id="batch_" + digest[:24],
                seq=seq,
                endpoint=endpoint,
                input_file_id=str(body["input_file_id"]),
                metadata=metadata,
                created=now,
            )
            self._validate(batch)
            self._batches[batch.id] = batch
            return batch.to_api()

    def _validate(self, batch: Batch) -> None:
        try:
            stored = self.files.get(batch.input_file_id)
        except APIError:
            batch.errors.append(
                _error(
                    "invalid_request",
                    f"Cannot find file {batch.input_file_id}, or organization org-evalkit does "
                    "not have access to it.",
                    None,
                    "file_id",
                )
            )
            return
        if stored.purpose != "batch":
            batch.errors.append(
                _error(
                    "invalid_request",
                    f"File {stored.id} has purpose '{stored.purpose}'; a batch needs a file "
                    "uploaded with purpose 'batch'.",
                    None,
                    "input_file_id",
                )
            )
            return
        text = stored.data.decode("utf-8", "replace")
        numbered = [(n, raw) for n, raw in enumerate(text.splitlines(), 1) if raw.strip()]
        if not numbered:
            batch.errors.append(_error("empty_file", "The input file is empty.", None, None))
            return
        if len(numbered) > MAX_LINES:
            batch.errors.append(
                _error(
                    "batch_too_large",
                    f"The input file has {len(numbered)} requests; a batch may hold at most "
                    f"{MAX_LINES:,}. Split it into several batches.",
                    numbered[MAX_LINES][0],
                    None,
                )
            )
            return
        seen: set[str] = set()
        for number, raw in numbered:
            line = self._line(batch, number, raw, seen)
            if line is not None:
                batch.lines.append(line)
        for line in batch.lines:
            self.on_line(line.body)
        if not batch.errors:
            self._draw_fates(batch)

    def _line(self, batch: Batch, number: int, raw: str, seen: set[str]) -> Line | None:
        errors = batch.errors

        def fail(code: str, message: str, param: str | None) -> None:
            errors.append(_error(code, message, number, param))

        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            fail("invalid_json_line", "This line is not parseable as valid JSON.", None)
            return None
        for name in ("custom_id", "method", "url", "body"):
            if name not in data:
                fail("missing_required_parameter", f"Missing required parameter: '{name}'.", name)
                return None
        custom_id, body = data["custom_id"], data["body"]
        if not isinstance(custom_id, str) or not custom_id:
            fail("invalid_request", "'custom_id' must be a non-empty string.", "custom_id")
            return None
        if data["method"] != "POST":
            fail(
                "invalid_value",
                f"Invalid value: '{data['method']}'. Supported values are: 'POST'.",
                "method",
            )
            return None
        if data["url"] != batch.endpoint:
            fail(
                "invalid_url",
                "The URL provided for this request does not match the batch endpoint.",
                "url",
            )
            return None
        if custom_id in seen:
            fail(
                "duplicate_custom_id",
                "The custom_id for this request is a duplicate of another request. The "
                "custom_id parameter must be unique for each request in a batch.",
                "custom_id",
            )
            return None
        seen.add(custom_id)
        if not isinstance(body, dict):
            fail("invalid_request", "'body' must be an object.", "body")
            return None
        if body.get("stream"):
            api = _API_NAME.get(batch.endpoint, "This endpoint")
            fail(
                "streaming_unsupported",
                f"{api}: Streaming is not supported in the Batch API.",
                "body.stream",
            )
            return None
        model = body.get("model")
        if not isinstance(model, str) or not model:
            fail("invalid_request", "Model parameter is required.", "body.model")
            return None
        required = _REQUIRED.get(batch.endpoint)
        if required and required not in body:
            fail(
                "invalid_request",
                f"{required.capitalize()} parameter is required.",
                f"body.{required}",
            )
            return None
        if batch.model is None:
            batch.model = model
        elif model != batch.model:
            fail(
                "mismatched_model",
                f"The provided model '{model}' does not match the model of the other requests in "
                f"this batch ('{batch.model}'). A batch may only contain requests for one model.",
                "body.model",
            )
            return None
        return Line(number, custom_id, body)

    def _draw_fates(self, batch: Batch) -> None:
        s = self.settings
        for line in batch.lines:
            key = f"{s.seed}:{batch.seq}:{line.number}".encode()
            draw = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64
            if draw < s.fail_rate:
                line.fate = "fail"
            elif draw < s.fail_rate + s.expire_rate:
                line.fate = "expire"

    # -- lifecycle ------------------------------------------------------------

    def _advance(self, batch: Batch, now: float) -> None:
        if batch.status in TERMINAL:
            return
        delay = max(self.settings.delay_s, 0.0)
        start, end = batch.created + 0.1 * delay, batch.created + 0.9 * delay
        done_at = batch.created + delay
        if batch.status == "cancelling":
            self._run_until(batch, batch.times["cancelling"], start, end)
            if now >= batch.times["cancelling"] + 0.1 * delay:
                self._finish(batch, "cancelled", batch.times["cancelling"] + 0.1 * delay)
            return
        if now < start:
            return
        if batch.errors:
            batch.status, batch.times["failed"] = "failed", start
            return
        if batch.status == "validating":
            batch.status, batch.times["in_progress"] = "in_progress", start
        expiry = self.settings.expire_after_s
        expire_at = batch.created + expiry if expiry is not None else math.inf
        if expire_at < done_at and now >= expire_at:
            self._run_until(batch, expire_at, start, end)
            self._finish(batch, "expired", expire_at)
            return
        self._run_until(batch, now, start, end)
        if now >= end and batch.status == "in_progress":
            batch.status, batch.times["finalizing"] = "finalizing", end
        if now >= done_at:
            stuck = any(line.fate == "expire" for line in batch.lines)
            self._finish(batch, "expired" if stuck else "completed", done_at)

    def _run_until(self, batch: Batch, moment: float, start: float, end: float) -> None:
        """Answer the lines due by ``moment`` (an even pace from ``start`` to ``end``)."""
        total = len(batch.lines)
        if moment >= end:
            target = total
        elif moment <= start:
            target = 0
        else:
            target = math.floor(total * (moment - start) / (end - start))
        while batch.done < target:
            line = batch.lines[batch.done]
            batch.done += 1
            if line.fate != "expire":
                self._run(batch, line)

    def _run(self, batch: Batch, line: Line) -> None:
        rid = request_hash(line.body)
        record: dict[str, Any] = {
            "id": "batch_req_"
            + hashlib.sha256(f"{batch.id}:{line.custom_id}".encode()).hexdigest()[:24],
            "custom_id": line.custom_id,
        }
        if line.fate == "fail":
            failure = APIError(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
            )
            status, body = failure.status, failure.body()
        else:
            try:
                body = self.answerer.answer(ENDPOINTS[batch.endpoint], line.body)
                status = 200
            except APIError as error:
                status, body = error.status, error.body()
        record["response"] = {"status_code": status, "request_id": "req_" + rid, "body": body}
        record["error"] = None
        if status == 200:
            usage = body.get("usage") or {}
            batch.usage["input"] += int(usage.get("prompt_tokens", usage.get("input_tokens", 0)))
            batch.usage["output"] += int(
                usage.get("completion_tokens", usage.get("output_tokens", 0))
            )
            batch.outputs.append(record)
        else:
            batch.failures.append(record)

    def _finish(self, batch: Batch, status: str, moment: float) -> None:
        if status == "expired":
            for index, line in enumerate(batch.lines):
                if index >= batch.done or line.fate == "expire":
                    digest = hashlib.sha256(f"{batch.id}:{line.custom_id}".encode()).hexdigest()
                    batch.failures.append(
                        {
                            "id": "batch_req_" + digest[:24],
                            "custom_id": line.custom_id,
                            "response": None,
                            "error": {
                                "code": "batch_expired",
                                "message": "This request could not be executed before the "
                                "completion window expired.",
                            },
                        }
                    )
        if batch.outputs:
            batch.output_file_id = self._write(batch, "output", batch.outputs)
        if batch.failures:
            batch.error_file_id = self._write(batch, "error", batch.failures)
        batch.status, batch.times[status] = status, moment

    def _write(self, batch: Batch, kind: str, records: list[dict[str, Any]]) -> str:
        data = "".join(json.dumps(r) + "\n" for r in records).encode()
        return self.files.add(f"{batch.id}_{kind}.jsonl", "batch_output", data).id

    # -- API ------------------------------------------------------------------

    def _get(self, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise APIError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return batch

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        with self._lock:
            batch = self._get(batch_id)
            self._advance(batch, self.clock())
            return batch.to_api()

    def cancel(self, batch_id: str) -> dict[str, Any]:
        with self._lock:
            batch = self._get(batch_id)
            now = self.clock()
            self._advance(batch, now)
            if batch.status in ("failed", "completed", "expired"):
                raise APIError(409, f"Cannot cancel a batch with status '{batch.status}'.")
            if batch.status in ("validating", "in_progress", "finalizing"):
                batch.status, batch.times["cancelling"] = "cancelling", now
            return batch.to_api()

    def list(self, query: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            now = self.clock()
            batches = list(self._batches.values())
            for batch in batches:
                self._advance(batch, now)
            items = [b.to_api() for b in reversed(batches)]  # newest first, as the API lists
        return page(items, query, default_limit=20)
