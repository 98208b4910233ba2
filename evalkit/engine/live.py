"""Calls to the API through the official SDK (one AsyncOpenAI client per engine).

Everything goes through ``client.<resource>.with_raw_response.create`` so the request id,
headers and latency are seen, and ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` are honoured as
the SDK honours them (Azure OpenAI and OpenAI-compatible servers work the same way).
"""

from __future__ import annotations

import time
from typing import Any

import openai
from openai import AsyncOpenAI

from ..config import Settings
from ..errors import ApiCallError, ConfigError
from ..requests import Request
from .response import Response

TESTING_SERVER_HEADER = "x-evalkit-testing-server"


class LiveClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: AsyncOpenAI | None = None

    @property
    def client(self) -> AsyncOpenAI:
        if self._client is None:
            try:
                self._client = AsyncOpenAI(
                    timeout=self.settings.timeout_s,
                    max_retries=self.settings.max_retries,
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
            return marker
        return self.client.base_url.host or str(self.client.base_url)

    async def send(self, request: Request) -> Response:
        body = dict(request.body)
        model = body.pop("model")
        client = self.client
        started = time.perf_counter()
        try:
            if request.endpoint == "chat.completions":
                raw: Any = await client.chat.completions.with_raw_response.create(
                    model=model, messages=body.pop("messages"), extra_body=body
                )
            elif request.endpoint == "responses":
                raw = await client.responses.with_raw_response.create(
                    model=model, input=body.pop("input"), extra_body=body
                )
            else:
                raw = await client.embeddings.with_raw_response.create(
                    model=model, input=body.pop("input"), encoding_format="float", extra_body=body
                )
        except openai.APIStatusError as exc:
            raise ApiCallError(
                f"the API answered {exc.status_code}: {_message(exc)}",
                exc.status_code,
                exc.request_id,
            ) from None
        except openai.APITimeoutError:
            raise ApiCallError(
                f"request timed out after {self.settings.timeout_s:g}s ({client.base_url})"
            ) from None
        except openai.APIConnectionError as exc:
            raise ApiCallError(
                f"could not connect to {client.base_url}: {exc.__cause__ or exc}"
            ) from None
        latency_ms = (time.perf_counter() - started) * 1000
        parsed = raw.parse()
        return Response(
            endpoint=request.endpoint,
            body=parsed.model_dump(mode="json", exclude_unset=True),
            request_id=raw.request_id,
            latency_ms=latency_ms,
            source=self.source(raw.headers),
            retries=getattr(raw, "retries_taken", 0),
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return exc.message
