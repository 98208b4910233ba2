"""The recording modes' way to the real API: each request the application made, sent on
through the official SDK (``OpenAI.post`` with the body as the application wrote it), and
its answer read back whole: a JSON body, or a stream's server-sent events.

The SDK is built from the key and base URL the environment had *before* the fixture
pointed ``OPENAI_BASE_URL`` at its own endpoint, so the application's own client never
needs the real key and nothing the application sent in its headers goes upstream. The
SDK retries what is worth retrying (429, 5xx, dropped connections) itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai

from ..errors import ApiCallError, ConfigError
from ..io.jsonfile import loads_value
from ..io.redaction import redact
from .cassette import Answer, Event

try:  # the SDK's HTTP library: httpx2 in current releases, httpx before
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as _http  # type: ignore[no-redef]

PATHS = {  # the endpoint's SDK path (relative to the base URL, which ends in /v1)
    "chat.completions": "/chat/completions",
    "responses": "/responses",
    "embeddings": "/embeddings",
}


@dataclass(frozen=True)
class Credentials:
    """The real API's key and base URL, as the environment had them before the test."""

    api_key: str | None
    base_url: str | None


class Upstream:
    """One SDK client to the real API for one test (built on first use: a test whose
    calls are all recorded needs no key even in record mode)."""

    def __init__(self, credentials: Credentials, timeout_s: float):
        self.credentials = credentials
        self.timeout_s = timeout_s
        self._client: openai.OpenAI | None = None

    @property
    def client(self) -> openai.OpenAI:
        if self._client is None:
            if not self.credentials.api_key:
                raise ConfigError(
                    "this test makes a call that is not recorded yet, and recording it calls "
                    "the API: set OPENAI_API_KEY (and OPENAI_BASE_URL for another server), or "
                    "replay (the default mode) what is recorded"
                )
            self._client = openai.OpenAI(
                api_key=self.credentials.api_key,
                base_url=self.credentials.base_url or None,
                timeout=self.timeout_s,
            )
        return self._client

    def send(self, endpoint: str, body: dict[str, Any]) -> Answer:
        """The API's answer to ``body``; ApiCallError when it gave none worth keeping."""
        stream = body.get("stream") is True and endpoint != "embeddings"
        try:
            response = self.client.post(
                PATHS[endpoint], body=body, cast_to=_http.Response, stream=stream
            )
        except openai.APIStatusError as exc:
            try:
                error = exc.response.json()
            except ValueError:
                error = {"error": {"message": exc.response.text[:2000]}}
            return Answer(
                status=exc.status_code,
                body=error if isinstance(error, dict) else {"error": {"message": str(error)}},
                request_id=exc.request_id,
            )
        except openai.APIError as exc:  # connection refused, timed out (after retries)
            raise ApiCallError(f"the API gave no answer: {redact(str(exc))}") from None
        request_id = response.headers.get("x-request-id")
        try:
            if stream:
                return Answer(events=read_events(response), request_id=request_id)
            data = response.json()
        except (ValueError, _http.HTTPError) as exc:
            raise ApiCallError(f"the API's answer could not be read: {redact(str(exc))}") from None
        finally:
            response.close()
        if not isinstance(data, dict):
            raise ApiCallError("the API answered with JSON that is not an object")
        return Answer(body=data, request_id=request_id)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def read_events(response: Any) -> list[Event]:
    """A server-sent event stream, event by event (``event:`` and ``data:`` fields)."""
    events: list[Event] = []
    name: str | None = None
    data: list[str] = []
    for line in response.iter_lines():
        if not line:
            if data:
                events.append(_event(name, "\n".join(data)))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        events.append(_event(name, "\n".join(data)))
    return events


def _event(name: str | None, text: str) -> Event:
    try:
        data = loads_value(text)
    except ValueError:
        data = None
    return Event(event=name, data=data if isinstance(data, (dict, list)) else text)
