"""Calls to the API through the official SDK, paced, retried and guarded.

One ``AsyncOpenAI`` client per server (``[tool.evalkit.servers]``; the default server is
``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` as the SDK reads them), each with its own rate
limiter and, when set, its own cap on requests in flight. The SDK's own retries are off
(``max_retries=0``) so that every retry is ours: counted, jittered, honouring
``retry-after``, and slowing the shared limiter on a 429. Every call uses
``with_raw_response`` so the request id, the rate-limit headers and the latency are seen.
Error texts come from servers: they are redacted before anything keeps them.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from typing import Any

import openai
from openai import AsyncOpenAI

from ..config import Server, Settings, check_base_url
from ..errors import (
    ApiCallError,
    CaseError,
    CircuitOpen,
    ConfigError,
    MalformedResponse,
    TransportError,
)
from ..io.jsonfile import loads_value
from ..io.redaction import redact
from ..project.lifecycle import shut_down_message
from ..project.recordings import Owner
from ..wire import tokens
from ..wire.request import Request, merge_embeddings
from ..wire.response import BODY_LIST, Response, split_embeddings
from .answerers import Answered, Answerer
from .limits import (
    CircuitBreaker,
    LiveStats,
    RateLimiter,
    RetryPolicy,
    Ticket,
    is_retryable_status,
    retry_after,
)
from .streaming import StreamBroken, read_chat, read_responses

try:  # the SDK's HTTP library: httpx2 in current releases, httpx before
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as _http  # type: ignore[no-redef]

TESTING_SERVER_HEADER = "x-evalkit-testing-server"
NO_KEY = "sk-no-key-configured"  # local servers that ask for none still need a string


class LiveClient:
    """One server: its SDK client, limiter and in-flight cap."""

    def __init__(
        self,
        settings: Settings,
        stats: LiveStats,
        breaker: CircuitBreaker,
        policy: RetryPolicy,
        *,
        server: Server | None = None,
        name: str | None = None,
        limiter: RateLimiter | None = None,
        seed: int | None = None,
    ):
        self.settings = settings
        self.stats = stats
        self.breaker = breaker
        self.policy = policy
        self.server = server or Server()
        self.name = name
        self.limiter = limiter or RateLimiter(settings.rpm, settings.tpm)
        self.rng = random.Random(seed)
        cap = self.server.concurrency
        self.slots = asyncio.Semaphore(cap) if cap else None
        self._client: AsyncOpenAI | None = None

    def _where(self) -> str:
        return f"server {self.name!r} of [tool.evalkit.servers]" if self.name else "the API"

    def _key(self) -> str | None:
        """The key for this server: its own variable, else (default server only)
        OPENAI_API_KEY; a server with a base_url and no key variable gets none, so an
        OpenAI key never goes to another host."""
        if self.server.api_key_env:
            value = os.environ.get(self.server.api_key_env, "").strip()
            if not value:
                raise ConfigError(
                    f"{self._where()} reads its key from {self.server.api_key_env}, which is "
                    "not set: export it, or replay the committed recordings (mode replay)"
                )
            return value
        if self.server.base_url:
            return NO_KEY
        key = os.environ.get("OPENAI_API_KEY")
        return key.strip() if key is not None else None

    @property
    def client(self) -> AsyncOpenAI:
        if self._client is None:
            base_url = self.server.base_url or os.environ.get("OPENAI_BASE_URL") or None
            if base_url is not None:
                try:
                    check_base_url(
                        base_url, "OPENAI_BASE_URL" if not self.server.base_url else "base_url"
                    )
                except ValueError as exc:
                    raise ConfigError(f"{exc} (got {redact(base_url)!r})") from None
            connections = max(self.server.concurrency or self.settings.concurrency, 10)
            http = openai.DefaultAsyncHttpxClient(
                limits=_http.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                timeout=self.settings.timeout_s,
            )
            try:
                self._client = AsyncOpenAI(
                    api_key=self._key(),
                    base_url=base_url,
                    timeout=self.settings.timeout_s,
                    max_retries=0,
                    http_client=http,
                )
            except openai.OpenAIError as exc:
                raise ConfigError(
                    f"cannot create the OpenAI client: {redact(str(exc)).rstrip('.')}. Record and "
                    "live modes call the API: set OPENAI_API_KEY (and OPENAI_BASE_URL for another "
                    "server), or replay the committed recordings (mode replay)"
                ) from None
        return self._client

    def source(self, headers: Any) -> str:
        marker = headers.get(TESTING_SERVER_HEADER)
        if marker:
            return str(marker)
        return self.client.base_url.host or str(self.client.base_url)

    async def _call(self, request: Request) -> Any:
        body = dict(request.body)
        model = body.pop("model")
        resources = self.client.with_raw_response
        stream: dict[str, Any] = {}
        if body.pop("stream", False):  # the SDK must know, to hand back a stream
            stream = {"stream": True}
            if "stream_options" in body:
                stream["stream_options"] = body.pop("stream_options")
        # The body is plain JSON already (the recordings are keyed by it), so it goes as
        # ``extra_body``, which the SDK sends as is: the typed ``messages``/``input`` given
        # to ``create`` are empty and overridden. The SDK's walk of typed params is an
        # identity on JSON data, and cost 69 calls and about a sixth of a live request's
        # client CPU (docs/project/benchmarks.md).
        if request.endpoint == "chat.completions":
            return await resources.chat.completions.create(
                model=model, messages=[], extra_body=body, **stream
            )
        if request.endpoint == "responses":
            return await resources.responses.create(
                model=model, input=[], extra_body=body, **stream
            )
        return await resources.embeddings.create(
            model=model, input=[], encoding_format="float", extra_body=body
        )

    async def send(self, request: Request) -> Response:
        """Send one request, retrying what is worth retrying; raises ApiCallError."""
        weighed: list[float] = []

        def weight() -> float:  # only under a tokens budget (RateLimiter.acquire)
            if not weighed:
                weighed.append(tokens.rate_tokens(request.endpoint, request.body))
            return weighed[0]

        _ = self.client  # a configuration error surfaces before any pacing
        error = ""
        for attempt in range(self.policy.max_retries + 1):
            if self.breaker.opened:
                raise CircuitOpen(f"not run: circuit open ({self.breaker.describe()})")
            if self.slots is not None:
                await self.slots.acquire()
            try:
                ticket = await self.limiter.acquire(weight, request.model)
                self.stats.sent += 1
                try:
                    outcome = await self._attempt(request, ticket, attempt)
                finally:
                    self.limiter.done(ticket)
            finally:
                if self.slots is not None:
                    self.slots.release()
            if isinstance(outcome, Response):
                return outcome
            error, hint = outcome
            if attempt < self.policy.max_retries:
                self.stats.retries += 1
                await asyncio.sleep(self.policy.delay(attempt, hint, self.rng))
        self.stats.failed += 1
        attempts = self.policy.max_retries + 1
        raise TransportError(  # never answered: the case did not run, --resume sends it again
            f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {error}",
            retries=self.policy.max_retries,
        )

    async def _attempt(
        self, request: Request, ticket: Ticket, attempt: int
    ) -> Response | tuple[str, float | None]:
        """One try: the response, or (what went wrong, the server's retry-after) when it is
        worth another; raises ApiCallError when it is not."""
        client = self.client
        started = time.perf_counter()
        ttft_ms: float | None = None
        try:
            raw = await self._call(request)
            if request.body.get("stream"):
                reader = read_chat if request.endpoint == "chat.completions" else read_responses
                body, ttft_ms = await reader(raw.parse(), started)
            latency_ms = (time.perf_counter() - started) * 1000
            self.limiter.observe(raw.headers, ticket)
            if not request.body.get("stream"):
                body = _decode(request, raw.http_response.content)
        except openai.APIStatusError as exc:
            headers = exc.response.headers
            self.limiter.observe(headers, ticket)
            hint = retry_after(headers)
            error = redact(f"{self._on()}answered {exc.status_code}: {_message(exc)}")
            if exc.status_code == 404 and _code(exc) == "model_not_found":  # shut down?
                error = shut_down_message(self.settings, request.model, error)
            quota = _code(exc) == "insufficient_quota"
            rejected = format_rejected(request, _message(exc), self.name)
            if rejected is not None:  # asking again gets the same answer (llama.cpp: a 500)
                self.breaker.record(False, error)
                self.stats.failed += 1
                raise ApiCallError(
                    f"{error}; {rejected}", exc.status_code, exc.request_id, retries=attempt
                ) from None
            if exc.status_code == 429 and not quota:
                self.stats.rate_limited += 1
                self.limiter.penalize(
                    hint if hint is not None else self.policy.delay(attempt, None, self.rng),
                    ticket,
                )
                return error, hint
            self.breaker.record(False, error)
            if quota or not is_retryable_status(exc.status_code):
                self.stats.failed += 1
                refused = TransportError if quota else ApiCallError  # quota: the account's
                raise refused(error, exc.status_code, exc.request_id, retries=attempt) from None
            return error, hint
        except openai.APITimeoutError:
            error = f"request timed out after {self.settings.timeout_s:g}s ({redact(str(client.base_url))})"
        except openai.APIConnectionError as exc:
            error = redact(f"could not connect to {client.base_url}: {exc.__cause__ or exc}")
        except (MalformedResponse, StreamBroken) as exc:
            error = redact(f"malformed response: {exc}")
        except _http.HTTPError as exc:  # a stream cut short under the SDK's reader
            error = redact(f"the connection to {client.base_url} broke: {exc}")
        else:
            self.breaker.record(True)
            self.stats.answered += 1
            response = Response(
                endpoint=request.endpoint,
                body=body,
                request_id=raw.request_id,
                latency_ms=latency_ms,
                ttft_ms=ttft_ms,
                source=self.source(raw.headers),
                retries=attempt,
            )
            self.stats.tokens += response.input_tokens + response.output_tokens
            return response
        self.breaker.record(False, error)
        return error, None

    def _on(self) -> str:
        return f"{self.name} server " if self.name else "the API "

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


class Live(Answerer):
    """The API: each request goes to the server its model lives on. Embedding requests of
    one model asked for together are sent as one batched call."""

    def __init__(self, settings: Settings, stats: LiveStats, breaker: CircuitBreaker):
        self.settings = settings
        self.stats = stats
        self.breaker = breaker
        self.policy = RetryPolicy(settings.max_retries, settings.retry_base_s, settings.retry_cap_s)
        self._clients: dict[str | None, LiveClient] = {}

    def client_for(self, model: str) -> LiveClient:
        name, server = self.settings.server_for(model)
        if name not in self._clients:
            self._clients[name] = LiveClient(
                self.settings, self.stats, self.breaker, self.policy, server=server, name=name
            )
        return self._clients[name]

    def preflight(self, models: Sequence[str]) -> None:
        """Create the clients these models need: a missing key is a usage error before any
        case starts."""
        for model in sorted(set(models)):
            _ = self.client_for(model).client

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        return await self.client_for(request.model).send(request)

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        out: list[Answered | None] = [None] * len(requests)
        groups: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            if request.endpoint == "embeddings" and len(request.body.get("input", [])) == 1:
                groups.setdefault(request.model, []).append(index)
            else:
                out[index] = await self._one(owner, request, purpose)
        for indexes in groups.values():
            batch = [requests[i] for i in indexes]
            try:
                response = await self.answer(owner, merge_embeddings(batch), purpose)
                parts: list[Answered] = list(split_embeddings(response, len(batch)))
            except CircuitOpen:
                raise
            except CaseError as exc:
                parts = [exc] * len(batch)
            except ValueError as exc:
                parts = [CaseError(redact(str(exc)))] * len(batch)
            for index, part in zip(indexes, parts, strict=True):
                out[index] = part
        return [a for a in out if a is not None]

    async def _one(self, owner: Owner, request: Request, purpose: str | None) -> Answered:
        try:
            return await self.answer(owner, request, purpose)
        except CircuitOpen:
            raise
        except CaseError as exc:
            return exc

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def _decode(request: Request, content: bytes) -> dict[str, Any]:
    try:
        body = loads_value(content)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"not JSON ({exc}): {content[:80]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get(BODY_LIST[request.endpoint]), list):
        raise MalformedResponse(f"no {BODY_LIST[request.endpoint]!r} list in {content[:80]!r}")
    return body


def _format_type(request: Request) -> str | None:
    """The response format's type the request asked for (both APIs), if any."""
    body = request.body
    spec = body.get("response_format")
    if spec is None and isinstance(body.get("text"), dict):
        spec = body["text"].get("format")
    return spec.get("type") if isinstance(spec, dict) else None


_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "text.format")


def format_rejected(request: Request, message: str, server: str | None) -> str | None:
    """The remedy when a server refused the response format itself (llama.cpp's server
    answers a strict json_schema with HTTP 500 "Input should be 'text' or 'json_object'"):
    the setting to change, not a retry."""
    kind = _format_type(request)
    if kind not in ("json_schema", "json_object") or not any(
        w in message.lower() for w in _FORMAT_WORDS
    ):
        return None
    other = "json_object" if kind == "json_schema" else "prompt"
    where = (
        f'`structured = "{other}"` in its [tool.evalkit.servers] entry ({server!r})'
        if server
        else f"a [tool.evalkit.servers] entry for {request.model!r} with "
        f'`structured = "{other}"`, or `structured: {other}` in the suite'
    )
    return f"this server does not take a {kind} response format: set {where}"


def _error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return error
    return {}


def _message(exc: openai.APIStatusError) -> str:
    return str(_error_body(exc).get("message") or exc.message)


def _code(exc: openai.APIStatusError) -> str:
    return str(_error_body(exc).get("code") or "")
