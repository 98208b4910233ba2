"""The evalkit endpoint a test's OpenAI clients talk to: a small threaded HTTP server on
127.0.0.1 that speaks just enough of the API's wire format for the SDK.

``POST /v1/chat/completions``, ``/v1/responses`` and ``/v1/embeddings`` are answered by
the test's :class:`~.recorder.Recorder`: a JSON body with its status and request id, or a
stream's events as server-sent events, byte for byte as recorded. A call with no answer
gets a 400 in OpenAI's error shape, which the SDK raises at once (it would retry a 5xx),
with the message that names the call. The headers the client sent (its key among them)
are never read. Anything else is a 404 saying what the endpoint serves.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ..errors import EvalkitError
from ..io.jsonfile import loads_value
from ..io.redaction import redact
from ..wire.request import Endpoint
from .cassette import Answer
from .recorder import Recorder

ROUTES: dict[str, Endpoint] = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
}
MAX_BODY_BYTES = 32 * 1024 * 1024  # a request body larger than this is refused unread


def _error(message: str, code: str) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive connections must not hold up stop()
    allow_reuse_address = True
    recorder: Recorder
    open_connections: set[socket.socket]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is not the endpoint's error; nothing prints a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        self.server.open_connections.discard(self.connection)
        super().finish()

    def _send(self, status: int, data: bytes, content_type: str, request_id: str | None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        if request_id:
            self.send_header("x-request-id", request_id)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict[str, Any], request_id: str | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", request_id)

    def _answer(self, answer: Answer) -> None:
        if answer.events is not None:
            stream = b"".join(event.frame() for event in answer.events)
            self._send(200, stream, "text/event-stream; charset=utf-8", answer.request_id)
        else:
            self._json(answer.status, answer.body or {}, answer.request_id)

    def do_GET(self) -> None:
        self._unknown("GET")

    def do_DELETE(self) -> None:
        self._unknown("DELETE")

    def _unknown(self, method: str) -> None:
        path = urlsplit(self.path).path
        self._json(
            404,
            _error(
                f"evalkit_openai records POST {', '.join(ROUTES)} only, not {method} {path}",
                "evalkit_unknown_url",
            ),
        )

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            self._json(413, _error("request body missing or too large", "evalkit_body"))
            return
        raw = self.rfile.read(length)
        endpoint = ROUTES.get(path)
        if endpoint is None:
            self._unknown("POST")
            return
        try:
            body = loads_value(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._json(400, _error("the request body is not a JSON object", "evalkit_body"))
            return
        try:
            answer = self.server.recorder.answer(endpoint, body)
        except EvalkitError as exc:
            self._json(400, _error(redact(str(exc)), "evalkit_not_recorded"))
            return
        except Exception as exc:  # a bug: fail the test with it, never a hung or retried call
            message = redact(f"evalkit_openai could not answer a {endpoint} call: {exc!r}")
            self.server.recorder.problems.append(message)
            self._json(400, _error(message, "evalkit_internal"))
            return
        self._answer(answer)


class AppEndpoint:
    """``with AppEndpoint(recorder) as endpoint:``, then point clients at ``base_url``."""

    def __init__(self, recorder: Recorder):
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.recorder = recorder
        self._httpd.open_connections = set()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> AppEndpoint:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.05,),
            name="evalkit-app-endpoint",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        for connection in list(self._httpd.open_connections):  # idle keep-alive clients
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._httpd.server_close()

    def __enter__(self) -> AppEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
