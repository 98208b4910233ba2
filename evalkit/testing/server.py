"""An OpenAI-compatible HTTP server on 127.0.0.1, for tests and for trying evalkit offline.

It speaks the wire format the official SDK expects for ``/v1/chat/completions``,
``/v1/responses`` (both with function tools, images and ``stream: true``),
``/v1/embeddings``, ``/v1/models``, ``/v1/files`` and ``/v1/batches``, with OpenAI's error
bodies, ``x-request-id`` and ``x-ratelimit-*`` headers, and answers from a
:class:`ScriptedModel`. It can enforce requests- and tokens-per-minute limits with OpenAI's
429s, add latency, hold back the first streamed token, and inject faults (5xx, hangs,
malformed bodies, dropped connections, streams broken off midway, failed and expired batch
lines) so clients can be tested against what a real API does on a bad night. Every response
carries an ``x-evalkit-testing-server`` header so recordings say honestly where they came from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..wire import tokens
from .answer import ENDPOINTS, Answerer, require_model
from .batches import BatchSettings, BatchStore
from .catalog import DEFAULT_MODELS, Catalog
from .errors import APIError
from .faults import Faults, Limits, Stats
from .files import FileStore, parse_multipart
from .model import Script, ScriptedModel
from .streaming import Event, chat_events, drop_point, responses_events

SERVER_NAME = "evalkit testing server (deterministic stand-in, not OpenAI)"
_ENDPOINTS = ENDPOINTS


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
        content_type: str = "application/json",
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self._common_headers(request_id, headers)
        self.wfile.write(data)

    def _common_headers(self, request_id: str, headers: dict[str, str] | None) -> None:
        self.send_header("x-request-id", request_id)
        self.send_header("openai-processing-ms", "1")
        self.send_header("x-evalkit-testing-server", SERVER_NAME)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()

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

    def _api_error(self, error: APIError) -> None:
        self._send(error.status, error.body(), "req_error")

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

    def _unknown(self, method: str, path: str) -> None:
        self._error(
            404, f"Unknown request URL: {method} {path}", "invalid_request_error", "unknown_url"
        )

    def _read_body(self) -> bytes:
        length = int(self.headers.get("content-length", 0))
        return self.rfile.read(length) if length else b""

    # -- routes ---------------------------------------------------------------

    def do_GET(self) -> None:
        owner = self.server.owner
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        query = dict(parse_qsl(url.query))
        if path == "/v1/stats":  # the harness's own view; no key needed
            self._send(200, owner.stats.snapshot(), "req_stats")
            return
        self._count(path, None)
        if not self._authorized():
            return
        parts = path.split("/")
        try:
            if path == "/v1/models":
                listing = {"object": "list", "data": owner.catalog.listing()}
                self._send(200, listing, "req_models")
            elif path == "/v1/files":
                self._send(200, owner.files.list(query), "req_files")
            elif len(parts) == 4 and parts[2] == "files":
                self._send(200, owner.files.get(parts[3]).to_api(), "req_files")
            elif len(parts) == 5 and parts[2] == "files" and parts[4] == "content":
                data = owner.files.get(parts[3]).data
                self._send(200, data, "req_files", content_type="application/octet-stream")
            elif path == "/v1/batches":
                self._send(200, owner.batches.list(query), "req_batches")
            elif len(parts) == 4 and parts[2] == "batches":
                self._send(200, owner.batches.retrieve(parts[3]), "req_batches")
            else:
                self._unknown("GET", path)
        except APIError as error:
            self._api_error(error)

    def do_DELETE(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path.rstrip("/")
        self._count(path, None)
        if not self._authorized():
            return
        parts = path.split("/")
        if len(parts) == 4 and parts[2] == "files":
            try:
                self._send(200, owner.files.delete(parts[3]), "req_files")
            except APIError as error:
                self._api_error(error)
        else:
            self._unknown("DELETE", path)

    def do_POST(self) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path.rstrip("/")
        raw = self._read_body()
        if path == "/v1/files":
            self._upload(raw)
            return
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
        if path.startswith("/v1/batches"):
            self._batches(path, body)
            return
        endpoint = _ENDPOINTS.get(path)
        if endpoint is None:
            self._unknown("POST", path)
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
        if self._format_refused(body):
            return
        try:
            require_model(body)
            owner.catalog.refuse(body["model"])
            payload = owner.answerer.answer(endpoint, body)
        except APIError as error:
            self._api_error(error)
            return

        def answered() -> None:  # counted before the last byte, so a client sees it at once
            with owner.stats.lock:
                owner.stats.answered += 1
                owner.stats.tokens += weight

        if body.get("stream") is True and endpoint != "embeddings":
            if endpoint == "chat.completions":
                usage = (body.get("stream_options") or {}).get("include_usage") is True
                events = chat_events(payload, usage)
            else:
                events = responses_events(payload)
            self._stream(events, request_id, limit_headers, answered)
        else:
            answered()
            self._send(200, payload, request_id, limit_headers)

    def _format_refused(self, body: dict[str, Any]) -> bool:
        """Refuse a response format the server was told not to take, as llama.cpp does."""
        taken = self.server.owner.response_formats
        fmt = body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if taken is None or kind is None or kind in taken:
            return False
        allowed = " or ".join(repr(t) for t in taken)
        self._error(
            500,
            f"1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
            f"  Input should be {allowed} [type=literal_error, input_value={kind!r}]",
            "server_error",
        )
        return True

    def _stream(
        self,
        events: list[Event],
        request_id: str,
        headers: dict[str, str],
        answered: Callable[[], None],
    ) -> None:
        """Send ``events`` as server-sent events (chunked), or break off midway on a fault."""
        owner = self.server.owner
        with owner.stats.lock:
            broken = owner.rng.random() < owner.faults.stream_drop_rate
            owner.stats.streams += 1
            if broken:
                owner.stats.faults += 1
        cut = drop_point(events) if broken else len(events)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self._common_headers(request_id, headers)
        self.wfile.flush()
        pending = bytearray()  # events with no pause between them go out in one write
        for index, event in enumerate(events[:cut]):
            pause = {"ttft": owner.ttft_s, "chunk": owner.chunk_delay_s}.get(event.pause, 0.0)
            if pause:
                self.wfile.write(pending)
                pending.clear()
                time.sleep(pause)
            frame = event.frame()
            pending += b"%x\r\n%s\r\n" % (len(frame), frame)
            if index == len(events) - 1:
                answered()  # before the last event, so a client that has it sees the count
                pending += b"0\r\n\r\n"  # with the end, so the client can keep the connection
        self.wfile.write(pending)
        if broken:
            self._drop()

    def _upload(self, raw: bytes) -> None:
        owner = self.server.owner
        self._count("/v1/files", None)
        if not self._authorized():
            return
        try:
            parts = parse_multipart(self.headers.get("content-type", ""), raw)
            stored = owner.files.upload(parts)
        except APIError as error:
            self._api_error(error)
            return
        with owner.stats.lock:
            owner.stats.files_uploaded += 1
        self._send(200, stored.to_api(), "req_files")

    def _batches(self, path: str, body: dict[str, Any]) -> None:
        owner = self.server.owner
        parts = path.split("/")
        try:
            if path == "/v1/batches":
                created = owner.batches.create(body)
                with owner.stats.lock:
                    owner.stats.batches_created += 1
                self._send(200, created, "req_batches")
            elif len(parts) == 5 and parts[4] == "cancel":
                self._send(200, owner.batches.cancel(parts[3]), "req_batches")
            else:
                self._unknown("POST", path)
        except APIError as error:
            self._api_error(error)

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
        models: tuple[str, ...] = DEFAULT_MODELS,
        shutdowns: dict[str, date | str] | None = None,  # announced dates (catalog.py)
        today: date | None = None,  # requests to models shut down by then answer 404
        rpm: int | None = None,
        tpm: int | None = None,
        latency_ms: float = 0.0,
        faults: Faults | None = None,
        burst: float = 1.0,
        retry_after_headers: bool = True,
        keep_bodies: bool = True,
        ttft_ms: float = 0.0,
        chunk_delay_ms: float = 0.0,
        batch_delay_s: float = 0.0,
        batch_fail_rate: float = 0.0,
        batch_expire_rate: float = 0.0,
        batch_expire_after_s: float | None = None,
        clock: Callable[[], float] = time.time,
        response_formats: tuple[str, ...] | None = None,
    ):
        self.model = ScriptedModel(script)
        self.answerer = Answerer(self.model)
        self.api_key = api_key
        self.models = models
        self.catalog = Catalog(models, shutdowns, today)
        self.limits = Limits(rpm, tpm, burst)  # burst: share of each budget available at start
        self.latency_s = latency_ms / 1000
        self.ttft_s = ttft_ms / 1000  # before the first streamed token
        self.chunk_delay_s = chunk_delay_ms / 1000  # between streamed deltas
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.retry_after_headers = retry_after_headers
        self.keep_bodies = keep_bodies
        # None: every response format; else the types taken, others answered the way
        # llama.cpp's server answers a strict json_schema (HTTP 500)
        self.response_formats = response_formats
        self.stats = Stats()
        self.files = FileStore(clock)  # clock: wall-clock seconds; a test may pass its own
        settings = BatchSettings(
            batch_delay_s,
            batch_fail_rate,
            batch_expire_rate,
            batch_expire_after_s,
            self.faults.seed,
        )
        self.batches = BatchStore(self.answerer, self.files, settings, clock, self.stats.batch_line)
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
        if self._thread is not None:  # shutdown() would wait forever for a loop never started
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
