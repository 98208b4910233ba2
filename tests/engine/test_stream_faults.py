"""A stream whose event is not JSON (or not of an event's shape) is a broken stream: the
request is retried like a dropped connection, never a JSONDecodeError out of the run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evalkit.cli.main import main

from ..conftest import SUITE, Project

REPLY = json.dumps({"category": "billing", "urgency": "high", "summary": "Double charge"})
BAD_EVENTS = {
    "not JSON": "data: {not json\n\n",
    "deep": "data: " + "[" * 10_000 + "]" * 10_000 + "\n\n",
    "choices not a list": 'data: {"id": "c", "object": "chat.completion.chunk", "created": 1, '
    '"model": "m", "choices": 5}\n\n',
}


def _chunk(delta: dict[str, object], finish: str | None) -> str:
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


class _Flaky(BaseHTTPRequestHandler):
    """Streams a malformed event to the first ``bad`` requests, then a good answer."""

    bad = 1
    event = BAD_EVENTS["not JSON"]
    seen = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        cls = type(self)
        cls.seen += 1
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        if cls.seen <= cls.bad:
            events = [_chunk({"role": "assistant", "content": ""}, None), cls.event]
        else:
            events = [_chunk({"role": "assistant", "content": REPLY}, None), _chunk({}, "stop")]
        self.wfile.write("".join([*events, "data: [DONE]\n\n"]).encode())
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky(project: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Flaky]]:
    handler = type("Handler", (_Flaky,), {"seen": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-stream-1234567890")
    one_case = SUITE[: SUITE.index("  - id: outage")].replace("assert:", "stream: true\nassert:")
    project.write("suites/triage.yaml", one_case.replace("{category: billing}", "{}"))
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("event", BAD_EVENTS)
def test_a_malformed_event_is_retried(
    flaky: type[_Flaky], capsys: pytest.CaptureFixture[str], event: str
) -> None:
    flaky.event = BAD_EVENTS[event]
    assert main(["run", "--mode", "live", "--max-retries", "2"]) == 0
    out, err = capsys.readouterr()
    assert flaky.seen == 2 and "Traceback" not in out + err
    assert "1 retries" in out + err or "1 retry" in out + err, out + err


def test_a_stream_that_stays_malformed_is_not_run_and_says_why(
    flaky: type[_Flaky], capsys: pytest.CaptureFixture[str]
) -> None:
    flaky.bad = 99
    assert main(["run", "--mode", "live", "--max-retries", "1"]) == 1
    out, err = capsys.readouterr()
    assert flaky.seen == 2 and "Traceback" not in out + err
    assert "malformed event" in out + err and "not run" in out + err, out + err
