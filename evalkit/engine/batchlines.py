"""Batch files line by line: a request as an input line, input files cut within the API's
limits, and a line of an output or error file read back as an answer or a reason.

Pure functions, no I/O: engine/batch.py uploads and downloads. Result lines are server text
and read defensively (a line that is not what the API writes is skipped, never a crash).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..io.jsonfile import loads_value
from ..io.redaction import redact
from ..wire.request import Endpoint, Request
from ..wire.response import BODY_LIST, Response

URLS: dict[str, str] = {
    "chat.completions": "/v1/chat/completions",
    "responses": "/v1/responses",
    "embeddings": "/v1/embeddings",
}
NOT_SENT = ("stream", "stream_options")  # the Batch API does not stream
RETRYABLE_CODES = ("batch_expired", "server_error", "rate_limit_exceeded", "timeout")


def batch_body(request: Request) -> dict[str, Any]:
    """The request as a batch line's body (the answer is the same, without streaming)."""
    return {k: v for k, v in request.body.items() if k not in NOT_SENT}


def batch_line(request: Request) -> str:
    """One input line; ``custom_id`` is the request's hash, the key its recording has."""
    return json.dumps(
        {
            "custom_id": request.key,
            "method": "POST",
            "url": URLS[request.endpoint],
            "body": batch_body(request),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def split_lines(
    requests: Sequence[Request], max_requests: int, max_bytes: int
) -> list[list[tuple[Request, str]]]:
    """Requests cut into batches within the API's limits (lines and file size), in order."""
    chunks: list[list[tuple[Request, str]]] = []
    current: list[tuple[Request, str]] = []
    size = 0
    for request in requests:
        line = batch_line(request)
        length = len(line.encode()) + 1
        if length > max_bytes:
            raise ConfigError(
                f"a request of model {request.model} is {length:,} bytes as a batch line, over "
                f"the Batch API's file limit ({max_bytes:,} bytes): run it live"
            )
        if current and (len(current) >= max_requests or size + length > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append((request, line))
        size += length
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True)
class ResultLine:
    """A line of a batch's output or error file: the answer, or why there is none."""

    key: str
    response: Response | None = None
    error: str = ""
    retryable: bool = False  # worth another round (a 5xx, an expiry), unlike a 400


def read_result(line: str, endpoint: Endpoint, batch_id: str, source: str) -> ResultLine | None:
    """One result line, or None when it is not one (server text: read defensively)."""
    try:
        data = loads_value(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("custom_id"), str):
        return None
    key = data["custom_id"]
    response = data.get("response") if isinstance(data.get("response"), dict) else None
    error = data.get("error") if isinstance(data.get("error"), dict) else None
    status = response.get("status_code") if response else None
    body = response.get("body") if response else None
    if status == 200 and isinstance(body, dict):
        if not isinstance(body.get(BODY_LIST[endpoint]), list):
            return ResultLine(
                key, error=f"batch {batch_id} returned a malformed body for it", retryable=True
            )
        request_id = response.get("request_id") if response else None
        return ResultLine(
            key,
            Response(
                endpoint=endpoint,
                body=body,
                request_id=request_id if isinstance(request_id, str) else None,
                latency_ms=0.0,  # a batch's wall time is not a request's latency
                source=source,
                batch_id=batch_id,
            ),
        )
    if error is not None:
        code = str(error.get("code") or "")
        message = str(error.get("message") or code)
        return ResultLine(
            key,
            error=redact(f"batch {batch_id}: {code}: {message}"),
            retryable=code in RETRYABLE_CODES,
        )
    inner = body.get("error") if isinstance(body, dict) else None
    message = str(inner.get("message")) if isinstance(inner, dict) else "no answer"
    return ResultLine(
        key,
        error=redact(f"batch {batch_id}: the API answered {status}: {message}"),
        retryable=not isinstance(status, int) or status == 429 or status >= 500,
    )
