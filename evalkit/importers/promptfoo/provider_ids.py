"""promptfoo provider ids and configs → evalkit's model, API and request params.

Only OpenAI's own chat and responses providers carry over (``openai:chat:MODEL``,
``openai:responses:MODEL``, ``openai:MODEL``); every other provider is reported. A model
is pinned with ``--pin MODEL=SNAPSHOT``; an alias left unpinned is written with
``allow_unpinned: true`` and a comment, so ``evalkit check`` passes and the reader knows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ...wire.pinning import is_pinned

Api = Literal["chat", "responses"]

# promptfoo config keys sent to the API as they are (both APIs unless listed per API).
CHAT_PARAMS = frozenset(
    {
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "seed",
        "stop",
        "reasoning_effort",
        "verbosity",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "service_tier",
        "store",
        "metadata",
        "parallel_tool_calls",
        "tool_choice",
        "prediction",
        "modalities",
    }
)
RESPONSES_PARAMS = frozenset(
    {
        "temperature",
        "max_output_tokens",
        "top_p",
        "reasoning",
        "instructions",
        "user",
        "service_tier",
        "store",
        "metadata",
        "parallel_tool_calls",
        "tool_choice",
        "truncation",
        "include",
        "text",
        "max_tool_calls",
    }
)
# Keys about the connection, not the request: where they go instead.
CONNECTION_KEYS = {
    "apiKey": "keys are read from the environment only: set OPENAI_API_KEY (or api_key_env in [tool.evalkit.servers])",
    "apiKeyEnvar": "name the variable in [tool.evalkit.servers] (api_key_env) or export OPENAI_API_KEY",
    "apiBaseUrl": "set OPENAI_BASE_URL, or a [tool.evalkit.servers] entry with base_url",
    "apiHost": "set OPENAI_BASE_URL, or a [tool.evalkit.servers] entry with base_url",
    "organization": "set OPENAI_ORG_ID in the environment (the SDK reads it)",
    "headers": "evalkit sends no custom headers; use an OpenAI-compatible proxy if you need them",
    "cost": "set the price under [tool.evalkit.prices] in pyproject.toml",
    "inputCost": "set the price under [tool.evalkit.prices] in pyproject.toml",
    "outputCost": "set the price under [tool.evalkit.prices] in pyproject.toml",
}
DEFAULT_JUDGE = "gpt-5.5-2026-04-23"  # promptfoo grades with gpt-4.1, which retires 2027-01-14
DEFAULT_EMBEDDING = "text-embedding-3-large"  # promptfoo's OpenAI embedding default


@dataclass(frozen=True)
class ProviderId:
    """A parsed promptfoo provider id."""

    kind: Literal["chat", "responses", "embedding", "other"]
    model: str
    raw: str


def parse_provider_id(raw: str) -> ProviderId:
    text = raw.strip()
    if text.startswith("openai:chat:"):
        return ProviderId("chat", text.removeprefix("openai:chat:"), raw)
    if text.startswith("openai:responses:"):
        return ProviderId("responses", text.removeprefix("openai:responses:"), raw)
    for prefix in ("openai:embedding:", "openai:embeddings:"):
        if text.startswith(prefix):
            return ProviderId("embedding", text.removeprefix(prefix), raw)
    if text.startswith("openai:") and text.count(":") == 1:
        model = text.removeprefix("openai:")
        if model.startswith("text-embedding-"):
            return ProviderId("embedding", model, raw)
        return ProviderId("chat", model, raw)
    return ProviderId("other", "", raw)


def provider_hint(raw: str) -> str:
    """What to do with a provider evalkit cannot call."""
    prefix = raw.split(":", 1)[0]
    if raw.startswith("openai:completion"):
        return "the legacy completions API is not supported: use openai:chat:MODEL"
    if raw.startswith("openai:assistant") or raw.startswith("openai:realtime"):
        return "evalkit calls chat completions and responses only"
    if prefix in ("azure", "azureopenai"):
        return "point OPENAI_BASE_URL at your Azure OpenAI endpoint and name the deployment's model"
    if prefix in ("ollama", "localai", "vllm", "llama", "llamacpp", "lmstudio"):
        return (
            "if the server is OpenAI-compatible, use its model name and add a "
            "[tool.evalkit.servers] entry with its base_url"
        )
    if raw.startswith(("file://", "python:", "exec:", "http", "https")):
        return "evalkit calls OpenAI-compatible APIs only; custom providers have no equivalent"
    return "evalkit calls OpenAI-compatible APIs only; add this model's suite by hand if it has an OpenAI-compatible endpoint"


@dataclass
class Pins:
    """``--pin MODEL=SNAPSHOT`` and the models that stayed unpinned."""

    pins: dict[str, str] = field(default_factory=dict)
    unpinned: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, specs: list[str]) -> Pins:
        pins: dict[str, str] = {}
        for spec in specs:
            model, sep, snapshot = spec.partition("=")
            if not sep or not model.strip() or not snapshot.strip():
                raise ValueError(
                    f"--pin {spec!r}: use MODEL=SNAPSHOT, e.g. gpt-4.1-mini=gpt-4.1-mini-2025-04-14"
                )
            if not is_pinned(snapshot.strip()):
                raise ValueError(f"--pin {spec!r}: {snapshot.strip()!r} is not a dated snapshot")
            pins[model.strip()] = snapshot.strip()
        return cls(pins)

    def resolve(self, model: str) -> str:
        """The model to write: its pin, or itself (remembered as unpinned if it is not)."""
        pinned = self.pins.get(model, model)
        if pinned != model:
            self.used.add(model)
        if not is_pinned(pinned):
            self.unpinned.add(pinned)
        return pinned


def params_for(api: Api, config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Request params from a provider config, and the keys not carried (key → reason).
    Handled elsewhere: response_format, tools, functions."""
    params: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    allowed = CHAT_PARAMS if api == "chat" else RESPONSES_PARAMS
    for key, value in config.items():
        if key in ("response_format", "tools", "functions"):
            continue
        if api == "responses" and key == "max_tokens":
            params["max_output_tokens"] = value
        elif api == "responses" and key == "reasoning_effort":
            params["reasoning"] = {**params.get("reasoning", {}), "effort": value}
        elif api == "responses" and key == "verbosity":
            params["text"] = {**params.get("text", {}), "verbosity": value}
        elif key in allowed:
            params[key] = value
        elif key in CONNECTION_KEYS:
            skipped[key] = CONNECTION_KEYS[key]
        elif key == "n":
            if value != 1:
                skipped[key] = "evalkit reads one answer per request: use `repeat: N` for N samples"
        elif key in ("passthrough",) and isinstance(value, dict):
            params.update(value)
        else:
            skipped[key] = (
                "not a request parameter evalkit knows; add it under `params:` if the API takes it"
            )
    return params, skipped
