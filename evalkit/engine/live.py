"""Calls to the API through the official SDK, paced, retried and guarded.

One ``AsyncOpenAI`` client per engine, with the SDK's own retries off (``max_retries=0``)
so that every retry is ours: counted, jittered, honouring ``retry-after``, and slowing the
shared limiter on a 429. Every call uses ``with_raw_response`` so the request id, the
rate-limit headers and the latency are seen. ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` are
honoured as the SDK honours them (Azure OpenAI and compatible servers work the same way).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import openai
from openai import AsyncOpenAI

from .. import tokens
from ..config import Settings
from ..errors import ApiCallError, CircuitOpen, ConfigError
from ..requests import Request
from .limits import (
    CircuitBreaker,
    LiveStats,
    RateLimiter,
    RetryPolicy,
    Ticket,
    is_retryable_status,
    retry_after,
)
from .response import Response

try:  # the SDK's HTTP library: httpx2 in current releases, httpx before
    import httpx2 as _http
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as _http  # type: ignore[no-redef]

TESTING_SERVER_HEADER = "x-evalkit-testing-server"


class _Malformed(Exception):
    """A 200 whose body is not the JSON the endpoint returns."""


class LiveClient:
    def __init__(
        self,
        settings: Settings,
        stats: LiveStats,
        limiter: RateLimiter,
        breaker: CircuitBreaker,
        policy: RetryPolicy,
        *,
        seed: int | None = None,
    ):
        self.settings = settings
        self.stats = stats
        self.limiter = limiter
        self.breaker = breaker
        self.policy = policy
        self.rng = random.Random(seed)
        self._client: AsyncOpenAI | None = None

    @property
    def client(self) -> AsyncOpenAI:
        if self._client is None:
            connections = max(self.settings.concurrency, 10)
            http = openai.DefaultAsyncHttpxClient(
                limits=_http.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                timeout=self.settings.timeout_s,
            )
            try:
                self._client = AsyncOpenAI(
                    timeout=self.settings.timeout_s, max_retries=0, http_client=http
                )
            except openai.OpenAIError as exc:
                raise ConfigError(
                    f"cannot create the OpenAI client: {str(exc).rstrip('.')}. Record and live modes call the API: "
                    "set OPENAI_API_KEY (and OPENAI_BASE_URL for another server), or replay "
                    "the committed recordings with --mode replay"
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
        if request.endpoint == "chat.completions":
            return await resources.chat.completions.create(
                model=model, messages=body.pop("messages"), extra_body=body
            )
        if request.endpoint == "responses":
            return await resources.responses.create(
                model=model, input=body.pop("input"), extra_body=body
            )
        return await resources.embeddings.create(
            model=model, input=body.pop("input"), encoding_format="float", extra_body=body
        )

    async def send(self, request: Request) -> Response:
        """Send one request, retrying what is worth retrying; raises ApiCallError."""
        weight = tokens.rate_tokens(request.endpoint, request.body)
        _ = self.client  # a configuration error surfaces before any pacing
        error = ""
        for attempt in range(self.policy.max_retries + 1):
            if self.breaker.opened:
                raise CircuitOpen(f"not run: circuit open ({self.breaker.describe()})")
            ticket = await self.limiter.acquire(weight, str(request.body.get("model", "")))
            self.stats.sent += 1
            try:
                outcome = await self._attempt(request, ticket, attempt)
            finally:
                self.limiter.done(ticket)
            if isinstance(outcome, Response):
                return outcome
            error, hint = outcome
            if attempt < self.policy.max_retries:
                self.stats.retries += 1
                await asyncio.sleep(self.policy.delay(attempt, hint, self.rng))
        self.stats.failed += 1
        raise ApiCallError(f"gave up after {self.policy.max_retries + 1} attempts: {error}")

    async def _attempt(
        self, request: Request, ticket: Ticket, attempt: int
    ) -> Response | tuple[str, float | None]:
        """One try: the response, or (what went wrong, the server's retry-after) when it is
        worth another; raises ApiCallError when it is not."""
        client = self.client
        started = time.perf_counter()
        try:
            raw = await self._call(request)
            latency_ms = (time.perf_counter() - started) * 1000
            self.limiter.observe(raw.headers, ticket)
            body = _decode(request, raw.http_response.content)
        except openai.APIStatusError as exc:
            headers = exc.response.headers
            self.limiter.observe(headers, ticket)
            hint = retry_after(headers)
            error = f"the API answered {exc.status_code}: {_message(exc)}"
            quota = _code(exc) == "insufficient_quota"
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
                raise ApiCallError(error, exc.status_code, exc.request_id) from None
            return error, hint
        except openai.APITimeoutError:
            error = f"request timed out after {self.settings.timeout_s:g}s ({client.base_url})"
        except openai.APIConnectionError as exc:
            error = f"could not connect to {client.base_url}: {exc.__cause__ or exc}"
        except _Malformed as exc:
            error = f"malformed response body: {exc}"
        else:
            self.breaker.record(True)
            self.stats.answered += 1
            response = Response(
                endpoint=request.endpoint,
                body=body,
                request_id=raw.request_id,
                latency_ms=latency_ms,
                source=self.source(raw.headers),
                retries=attempt,
            )
            self.stats.tokens += response.input_tokens + response.output_tokens
            return response
        self.breaker.record(False, error)
        return error, None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


_SHAPE = {"chat.completions": "choices", "responses": "output", "embeddings": "data"}


def _decode(request: Request, content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError as exc:
        raise _Malformed(f"not JSON ({exc}): {content[:80]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get(_SHAPE[request.endpoint]), list):
        raise _Malformed(f"no {_SHAPE[request.endpoint]!r} list in {content[:80]!r}")
    return body


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
