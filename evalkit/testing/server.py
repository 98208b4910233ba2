"""An OpenAI-compatible HTTP server on 127.0.0.1, for tests and for trying evalkit offline.

It speaks the wire format the official SDK expects for ``/v1/chat/completions``,
``/v1/responses``, ``/v1/embeddings`` and ``/v1/models``, with OpenAI's error bodies,
``x-request-id`` and ``x-ratelimit-*`` headers, and answers from a :class:`ScriptedModel`.
It can enforce requests- and tokens-per-minute limits with OpenAI's 429s, add latency, and
inject faults (5xx, hangs, malformed bodies, dropped connections) so clients can be tested
against what a real API does on a bad night. Every response carries an
``x-evalkit-testing-server`` header so recordings say honestly where they came from.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .. import tokens
from ..engine.limits import Bucket
from .model import Script, ScriptedModel, embed

SERVER_NAME = "evalkit testing server (deterministic stand-in, not OpenAI)"
CREATED = 1_735_689_600  # fixed, so identical requests give identical bodies
_ENDPOINTS = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
}


@dataclass(frozen=True)
class Faults:
    """Probabilities (0..1) of each fault per request, drawn from a seeded generator."""

    error_rate: float = 0.0  # a 500/502/503 with OpenAI's server_error body
    hang_rate: float = 0.0  # no answer for hang_s seconds, then the connection closes
    malformed_rate: float = 0.0  # a 200 whose JSON body is cut short
    drop_rate: float = 0.0  # the connection closes without an answer
    hang_s: float = 30.0
    seed: int = 0


@dataclass
class Stats:
    connections: int = 0
    requests: int = 0
    answered: int = 0
    rate_limited: int = 0
    faults: int = 0
    tokens: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return dict(
                connections=self.connections,
                requests=self.requests,
                answered=self.answered,
                rate_limited=self.rate_limited,
                faults=self.faults,
                tokens=self.tokens,
                by_path=dict(self.by_path),
            )


def _duration(seconds: float) -> str:
    """A duration as OpenAI writes it in ``x-ratelimit-reset-*`` (Go's format): ``"0s"``,
    ``"120ms"``, ``"1s"``, ``"6m0s"``, ``"4m12.172s"``, ``"1h2m3.5s"``."""
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text


class _Limits:
    """Server-side RPM/TPM buckets, as OpenAI enforces them (input + max tokens).

    Each is a continuously refilling bucket holding at most a minute's allowance: with
    ``burst=1`` (OpenAI's case) the whole allowance is there at the first request, then each
    unit comes back ``60 / limit`` seconds after it was used. The headers are OpenAI's:
    ``x-ratelimit-remaining-*`` is what is left (rounded down) and ``x-ratelimit-reset-*``
    the time until the bucket is full again. A 429 takes nothing."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.clock = clock
        now = clock()
        self.requests, self.tokens = Bucket(), Bucket()
        for bucket, limit in ((self.requests, rpm), (self.tokens, tpm)):
            if limit:
                bucket.set_limit(limit, now)
                bucket.level = limit * burst
        self.lock = threading.Lock()
        self.started = False

    def admit(self, weight: int) -> tuple[float, dict[str, str], str]:
        """(seconds to wait or 0, headers, which limit) and takes the budget when admitted."""
        with self.lock:
            now = self.clock()
            if not self.started:  # the budgets start filling with the first request
                self.started = True
                self.requests.updated = self.tokens.updated = now
            waits = {
                "requests": self.requests.wait(1, now),
                "tokens": self.tokens.wait(weight, now),
            }
            admitted = all(w == 0 for w in waits.values())
            if admitted:
                self.requests.take(1)
                self.tokens.take(weight)
            headers: dict[str, str] = {}
            for kind, bucket in (("requests", self.requests), ("tokens", self.tokens)):
                if bucket.limit is None:
                    continue
                headers[f"x-ratelimit-limit-{kind}"] = str(int(bucket.limit))
                headers[f"x-ratelimit-remaining-{kind}"] = str(max(int(bucket.level), 0))
                headers[f"x-ratelimit-reset-{kind}"] = _duration(
                    (bucket.limit - bucket.level) / bucket.per_second
                )
            wait = 0.0 if admitted else max(waits.values())
            return wait, headers, max(waits, key=lambda k: waits[k])


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not hold up stop()
    allow_reuse_address = True
    request_queue_size = 256
    owner: TestingServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout, an interrupted run) is not the server's error."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.owner.stats.lock:
            self.owner.stats.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each response waits out a delayed ACK (~40 ms)
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default
        pass

    # -- plumbing -------------------------------------------------------------

    def _send(
        self,
        status: int,
        payload: dict[str, Any] | bytes,
        request_id: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", request_id)
        self.send_header("openai-processing-ms", "1")
        self.send_header("x-evalkit-testing-server", SERVER_NAME)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(
        self,
        status: int,
        message: str,
        kind: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        self._send(status, body, "req_error", headers)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _authorized(self) -> bool:
        header = self.headers.get("authorization", "")
        owner = self.server.owner
        with owner.stats.lock:
            if owner.keep_bodies:
                owner.stats.auth_headers.append(header)
        if not header.startswith("Bearer ") or not header[7:].strip():
            self._error(401, "You didn't provide an API key.", "invalid_request_error")
            return False
        if owner.api_key is not None and header[7:] != owner.api_key:
            self._error(
                401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
            )
            return False
        return True

    def _count(self, path: str, body: dict[str, Any] | None) -> None:
        stats = self.server.owner.stats
        with stats.lock:
            stats.requests += 1
            stats.by_path[path] = stats.by_path.get(path, 0) + 1
            if body is not None and self.server.owner.keep_bodies:
                stats.bodies.append(body)

    # -- routes ---------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/stats":  # the harness's own view; no key needed
            self._send(200, self.server.owner.stats.snapshot(), "req_stats")
            return
        self._count(path, None)
        if not self._authorized():
            return
        if path == "/v1/models":
            models = [
                {"id": m, "object": "model", "created": CREATED, "owned_by": "evalkit"}
                for m in self.server.owner.models
            ]
            self._send(200, {"object": "list", "data": models}, "req_models")
        else:
            self._error(
                404, f"Unknown request URL: GET {path}", "invalid_request_error", "unknown_url"
            )

    def do_POST(self) -> None:
        owner = self.server.owner
        path = self.path.split("?")[0].rstrip("/")
        length = int(self.headers.get("content-length", 0))
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._count(path, None)
            self._error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
            return
        self._count(path, body)
        if not self._authorized():
            return
        endpoint = _ENDPOINTS.get(path)
        if endpoint is None:
            self._error(
                404, f"Unknown request URL: POST {path}", "invalid_request_error", "unknown_url"
            )
            return
        if not isinstance(body.get("model"), str) or not body["model"]:
            self._error(400, "you must provide a model parameter", "invalid_request_error")
            return
        try:
            weight = tokens.rate_tokens(endpoint, body)
        except (TypeError, AttributeError):
            weight = 1
        wait, limit_headers, kind = owner.limits.admit(weight)
        if wait > 0:
            with owner.stats.lock:
                owner.stats.rate_limited += 1
            retry = {"retry-after-ms": f"{wait * 1000:.0f}"} if owner.retry_after_headers else {}
            limit = limit_headers.get(f"x-ratelimit-limit-{kind}", "?")
            self._error(
                429,
                f"Rate limit reached for {body['model']} in organization org-evalkit on {kind} per min: "
                f"Limit {limit}. Please try again in {wait:.3f}s.",
                kind,
                "rate_limit_exceeded",
                {**limit_headers, **retry},
            )
            return
        if owner.latency_s:
            time.sleep(owner.latency_s)
        if self._fault():
            return
        request_id = "req_" + hashlib.sha256(raw).hexdigest()[:24]
        payload = getattr(self, "_" + endpoint.replace(".", "_"))(body)
        if payload is None:
            return
        with owner.stats.lock:
            owner.stats.answered += 1
            owner.stats.tokens += weight
        self._send(200, payload, request_id, limit_headers)

    def _fault(self) -> bool:
        owner = self.server.owner
        faults = owner.faults
        with owner.stats.lock:
            draw = owner.rng.random()
        edges = [
            (faults.error_rate, "error"),
            (faults.hang_rate, "hang"),
            (faults.malformed_rate, "malformed"),
            (faults.drop_rate, "drop"),
        ]
        total = 0.0
        for rate, kind in edges:
            total += rate
            if draw < total:
                with owner.stats.lock:
                    owner.stats.faults += 1
                if kind == "error":
                    status = (500, 502, 503)[int(draw * 1000) % 3]
                    self._error(
                        status,
                        "The server had an error while processing your request. Sorry about that!",
                        "server_error",
                    )
                elif kind == "malformed":
                    self._send(
                        200, b'{"id": "chatcmpl-broken", "object": "chat.comp', "req_malformed"
                    )
                elif kind == "hang":
                    time.sleep(faults.hang_s)
                    self._drop()
                else:
                    self._drop()
                return True
        return False

    def _complete(
        self,
        body: dict[str, Any],
        messages: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        limit: int | None,
    ) -> tuple[str, str, int, int]:
        model = body["model"]
        text, finish = self.server.owner.model.reply(model, messages, schema)
        output_tokens = tokens.count(model, text)
        if limit is not None and output_tokens > limit:
            words = text.split(" ")
            while words and tokens.count(model, " ".join(words)) > limit:
                words.pop()
            text, finish = " ".join(words), "length"
            output_tokens = tokens.count(model, text)
        endpoint = "chat.completions" if "messages" in body else "responses"
        return text, finish, tokens.input_tokens(endpoint, body), output_tokens

    def _chat_completions(self, body: dict[str, Any]) -> dict[str, Any] | None:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "'messages' must be a non-empty array", "invalid_request_error")
            return None
        fmt = body.get("response_format") or {}
        schema = (
            (fmt.get("json_schema") or {}).get("schema")
            if fmt.get("type") == "json_schema"
            else fmt.get("schema")
        )
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        text, finish, n_in, n_out = self._complete(body, messages, schema, limit)
        rid = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
        return {
            "id": "chatcmpl-" + rid,
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "system_fingerprint": "fp_evalkit_testing",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": n_in,
                "completion_tokens": n_out,
                "total_tokens": n_in + n_out,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }

    def _responses(self, body: dict[str, Any]) -> dict[str, Any] | None:
        items = body.get("input")
        messages = [{"role": "user", "content": items}] if isinstance(items, str) else items
        if not isinstance(messages, list) or not messages:
            self._error(
                400, "'input' must be a string or a non-empty array", "invalid_request_error"
            )
            return None
        if body.get("instructions"):
            messages = [{"role": "system", "content": body["instructions"]}, *messages]
        fmt = (body.get("text") or {}).get("format") or {}
        schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
        text, finish, n_in, n_out = self._complete(
            body, messages, schema, body.get("max_output_tokens")
        )
        truncated = finish == "length"
        rid = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24]
        return {
            "id": "resp_" + rid,
            "object": "response",
            "created_at": CREATED,
            "status": "incomplete" if truncated else "completed",
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "model": body["model"],
            "output": [
                {
                    "type": "message",
                    "id": "msg_" + rid,
                    "status": "incomplete" if truncated else "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": n_in,
                "output_tokens": n_out,
                "total_tokens": n_in + n_out,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }

    def _embeddings(self, body: dict[str, Any]) -> dict[str, Any] | None:
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            self._error(
                400, "'input' must be a string or an array of strings", "invalid_request_error"
            )
            return None
        data = []
        for index, text in enumerate(texts):
            vector: Any = embed(text)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        used = sum(tokens.count(body["model"], t) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }


class TestingServer:
    """Start with ``with TestingServer(script) as server:``; point the SDK at ``server.base_url``."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        script: Script | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        models: tuple[str, ...] = (
            "gpt-4.1-mini-2025-04-14",
            "gpt-4.1-2025-04-14",
            "text-embedding-3-small",
        ),
        rpm: int | None = None,
        tpm: int | None = None,
        latency_ms: float = 0.0,
        faults: Faults | None = None,
        burst: float = 1.0,
        retry_after_headers: bool = True,
        keep_bodies: bool = True,
    ):
        self.model = ScriptedModel(script)
        self.api_key = api_key
        self.models = models
        self.limits = _Limits(rpm, tpm, burst)  # burst: share of each budget available at start
        self.latency_s = latency_ms / 1000
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.retry_after_headers = retry_after_headers
        self.keep_bodies = keep_bodies
        self.stats = Stats()
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> TestingServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name="evalkit-testing-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        try:
            self._httpd.serve_forever(0.05)
        finally:
            self._httpd.server_close()

    def __enter__(self) -> TestingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
