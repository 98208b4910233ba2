"""An OpenAI-compatible HTTP server on 127.0.0.1, for tests and for trying evalkit offline.

It speaks the wire format the official SDK expects for ``/v1/chat/completions``,
``/v1/responses``, ``/v1/embeddings`` and ``/v1/models``, with OpenAI's error bodies and
``x-request-id`` headers, and answers from a :class:`ScriptedModel`. Every response carries
an ``x-evalkit-testing-server`` header so recordings say honestly where they came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .model import Script, ScriptedModel, count_tokens, embed

SERVER_NAME = "evalkit testing server (deterministic stand-in, not OpenAI)"
CREATED = 1_735_689_600  # fixed, so identical requests give identical bodies


@dataclass
class Stats:
    connections: int = 0
    requests: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "connections": self.connections,
                "requests": self.requests,
                "by_path": dict(self.by_path),
            }


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # keep-alive handler threads must not hold up stop()
    allow_reuse_address = True
    owner: TestingServer

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

    def _send(self, status: int, payload: dict[str, Any], request_id: str) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", request_id)
        self.send_header("openai-processing-ms", "1")
        self.send_header("x-evalkit-testing-server", SERVER_NAME)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str, code: str | None = None) -> None:
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        self._send(status, body, "req_error")

    def _authorized(self) -> bool:
        header = self.headers.get("authorization", "")
        owner = self.server.owner
        with owner.stats.lock:
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
        self._count(path, None)
        if not self._authorized():
            return
        if path == "/v1/models":
            models = [
                {"id": m, "object": "model", "created": CREATED, "owned_by": "evalkit"}
                for m in self.server.owner.models
            ]
            self._send(200, {"object": "list", "data": models}, "req_models")
        elif path == "/v1/stats":
            self._send(200, self.server.owner.stats.snapshot(), "req_stats")
        else:
            self._error(
                404, f"Unknown request URL: GET {path}", "invalid_request_error", "unknown_url"
            )

    def do_POST(self) -> None:
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
        handler = {
            "/v1/chat/completions": self._chat,
            "/v1/responses": self._responses,
            "/v1/embeddings": self._embeddings,
        }.get(path)
        if handler is None:
            self._error(
                404, f"Unknown request URL: POST {path}", "invalid_request_error", "unknown_url"
            )
            return
        if not isinstance(body.get("model"), str) or not body["model"]:
            self._error(400, "you must provide a model parameter", "invalid_request_error")
            return
        request_id = "req_" + hashlib.sha256(raw).hexdigest()[:24]
        handler(body, request_id)

    def _complete(
        self,
        body: dict[str, Any],
        messages: list[dict[str, Any]],
        schema: dict[str, Any] | None,
        limit: int | None,
    ) -> tuple[str, str, int, int]:
        text, finish = self.server.owner.model.reply(body["model"], messages, schema)
        output_tokens = count_tokens(text)
        if limit is not None and output_tokens > limit:
            words = text.split(" ")
            while words and count_tokens(" ".join(words)) > limit:
                words.pop()
            text, finish, output_tokens = " ".join(words), "length", count_tokens(" ".join(words))
        input_tokens = sum(count_tokens(json.dumps(m.get("content", ""))) + 3 for m in messages)
        return text, finish, input_tokens, output_tokens

    def _chat(self, body: dict[str, Any], request_id: str) -> None:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "'messages' must be a non-empty array", "invalid_request_error")
            return
        fmt = body.get("response_format") or {}
        schema = (
            (fmt.get("json_schema") or {}).get("schema")
            if fmt.get("type") == "json_schema"
            else fmt.get("schema")
        )
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        text, finish, n_in, n_out = self._complete(body, messages, schema, limit)
        payload = {
            "id": "chatcmpl-" + request_id[4:],
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
        self._send(200, payload, request_id)

    def _responses(self, body: dict[str, Any], request_id: str) -> None:
        items = body.get("input")
        messages = [{"role": "user", "content": items}] if isinstance(items, str) else items
        if not isinstance(messages, list) or not messages:
            self._error(
                400, "'input' must be a string or a non-empty array", "invalid_request_error"
            )
            return
        if body.get("instructions"):
            messages = [{"role": "system", "content": body["instructions"]}, *messages]
        fmt = (body.get("text") or {}).get("format") or {}
        schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
        text, finish, n_in, n_out = self._complete(
            body, messages, schema, body.get("max_output_tokens")
        )
        truncated = finish == "length"
        payload = {
            "id": "resp_" + request_id[4:],
            "object": "response",
            "created_at": CREATED,
            "status": "incomplete" if truncated else "completed",
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "model": body["model"],
            "output": [
                {
                    "type": "message",
                    "id": "msg_" + request_id[4:],
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
        self._send(200, payload, request_id)

    def _embeddings(self, body: dict[str, Any], request_id: str) -> None:
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            self._error(
                400, "'input' must be a string or an array of strings", "invalid_request_error"
            )
            return
        data = []
        for index, text in enumerate(texts):
            vector: Any = embed(text)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(count_tokens(t) for t in texts)
        payload = {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        self._send(200, payload, request_id)


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
        keep_bodies: bool = True,
    ):
        self.model = ScriptedModel(script)
        self.api_key = api_key
        self.models = models
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
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> TestingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, seconds: float = 0.05) -> None:
        time.sleep(seconds)
