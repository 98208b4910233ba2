"""promptfoo ``providers:`` → the model, API, params, schema and tools of suites and variants.

OpenAI chat and responses providers carry over (ids, ``{id, label, config, prompts}``
objects and ``{id: options}`` maps, from the config or a ``file://``); their ``config``
becomes request params, ``response_format`` a pydantic schema module (or, when no strict
model can express it, the same ``response_format`` sent unchanged), ``tools`` and legacy
``functions`` evalkit function tools. Anything else is reported with its line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigError
from ..report import Origin
from ..schemas import SchemaUnsupported, build_module, module_name, unwrap_response_format
from ..sources import (
    Row,
    expand,
    file_ref,
    item_lines,
    key_line,
    load_structured,
    plain,
    rows_of,
)
from .context import Part
from .prompts import PromptVersion
from .provider_ids import Api, params_for, parse_provider_id, provider_hint


@dataclass
class Provider:
    label: str
    api: Api
    model: str
    params: dict[str, Any]
    origin: Origin
    schema: str | None = None  # module:Class
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_settings: dict[str, Any] = field(default_factory=dict)
    prompt_filter: list[str] | None = None
    legacy_functions: bool = False  # `functions:`: promptfoo's output is one {name, arguments}

    @property
    def structured(self) -> bool:
        """promptfoo parses a json_schema answer: assertions see an object, not text
        (json_object answers stay text)."""
        fmt = self.params.get("response_format") or (self.params.get("text") or {}).get("format")
        return self.schema is not None or (
            isinstance(fmt, dict) and fmt.get("type") == "json_schema"
        )

    @property
    def family(self) -> str:
        return self.api + ("" if not self.tools else ":" + json.dumps(self.tools, sort_keys=True))


class ProviderReader(Part):
    def __init__(self, context: Any):
        super().__init__(context)
        self._effective: dict[tuple[int, str], Provider] = {}

    def providers(self, node: Any, line: int | None) -> list[Provider]:
        ref = file_ref(node)
        if ref is not None:
            rows: list[Row] = []
            for path in expand(ref, self.base, self.origin(line)):
                data = load_structured(path, self.origin(line))
                rows += rows_of(data if isinstance(data, list) else [data], path)
        elif isinstance(node, str):
            rows = [Row(node, self.origin(line))]
        elif isinstance(node, list):
            rows = [
                Row(item, self.origin(ln)) for item, ln in zip(node, item_lines(node), strict=True)
            ]
        else:
            raise ConfigError("providers must be a string or a list", self.config, line)
        out: list[Provider] = []
        for row in rows:
            provider = self.provider(row.value, row.origin)
            if provider is not None:
                out.append(provider)
        if not out:
            raise ConfigError(
                "no OpenAI chat or responses provider to import (evalkit calls OpenAI-compatible APIs); see the report",
                self.config,
                line,
            )
        return out

    def provider(self, item: Any, origin: Origin) -> Provider | None:
        options: dict[str, Any] = {}
        if isinstance(item, str):
            pid = item
        elif isinstance(item, dict) and "id" in item:
            pid, options = str(item["id"]), item
        elif isinstance(item, dict) and len(item) == 1:
            pid, options = next(iter(item.items()))
            options = options if isinstance(options, dict) else {}
        else:
            self.report.leave_out(
                origin,
                f"a provider entry {str(item)[:60]!r}",
                "write providers as ids or {id, config}",
            )
            return None
        parsed = parse_provider_id(str(pid))
        if parsed.kind not in ("chat", "responses"):
            what = (
                "an embedding provider as the model under test"
                if parsed.kind == "embedding"
                else f"provider `{pid}`"
            )
            self.report.leave_out(origin, what, provider_hint(str(pid)))
            return None
        label = str(options.get("label") or parsed.model)
        for key in set(options) - {"id", "label", "config", "prompts"}:
            self.report.leave_out(
                origin.at(key_line(options, key)),
                f"provider option `{key}`",
                "evalkit has no per-provider " + key,
            )
        config = options.get("config") or {}
        if not isinstance(config, dict):
            self.report.leave_out(
                origin, "a provider `config` that is not a mapping", "fix the config"
            )
            config = {}
        model = self.pins.resolve(parsed.model)
        params, skipped = params_for(parsed.kind, config)  # type: ignore[arg-type]
        for key, why in skipped.items():
            self.report.leave_out(origin.at(key_line(config, key)), f"provider config `{key}`", why)
        provider = Provider(label=label, api=parsed.kind, model=model, params=params, origin=origin)  # type: ignore[arg-type]
        if "response_format" in config:
            self.response_format(
                provider, config["response_format"], origin.at(key_line(config, "response_format"))
            )
        if "tools" in config:
            self.tools(provider, config["tools"], origin.at(key_line(config, "tools")))
        if "functions" in config:
            where = origin.at(key_line(config, "functions"))
            functions = config["functions"]
            ref = file_ref(functions)
            if ref is not None:
                functions = plain(load_structured(expand(ref, self.base, where)[0], where))
            if isinstance(functions, list):
                self.tools(
                    provider, [{"type": "function", "function": f} for f in functions], where
                )
                provider.legacy_functions = True
                self.report.note(
                    where,
                    "legacy `functions` became function `tools` (the API's current form of the same calls)",
                )
            else:
                self.report.leave_out(
                    where, "`functions` that are not a list", "list the functions"
                )
        if isinstance(options.get("prompts"), list):
            provider.prompt_filter = [str(p) for p in options["prompts"]]
        return provider

    def effective(self, provider: Provider, prompt: PromptVersion) -> Provider:
        """The provider as promptfoo calls it for this prompt: a prompt's own ``config``
        (params, response_format) applies on top of the provider's."""
        if not prompt.config:
            return provider
        key = (id(provider), prompt.version)
        if key not in self._effective:
            merged = Provider(
                label=provider.label,
                api=provider.api,
                model=provider.model,
                params=dict(provider.params),
                origin=provider.origin,
                schema=provider.schema,
                tools=list(provider.tools),
                tool_settings=dict(provider.tool_settings),
                prompt_filter=provider.prompt_filter,
                legacy_functions=provider.legacy_functions,
            )
            params, skipped = params_for(provider.api, prompt.config)
            merged.params.update(params)
            for name, why in skipped.items():
                self.report.leave_out(prompt.origin, f"prompt config `{name}`", why)
            if "response_format" in prompt.config:
                self.response_format(merged, prompt.config["response_format"], prompt.origin)
            for name in ("tools", "functions"):
                if name in prompt.config:
                    self.report.leave_out(
                        prompt.origin, f"prompt config `{name}`", "declare tools on the provider"
                    )
            self._effective[key] = merged
        return self._effective[key]

    def response_format(self, provider: Provider, value: Any, origin: Origin) -> None:
        ref = file_ref(value)
        if ref is not None:
            path = expand(ref, self.base, origin)[0]
            value = plain(load_structured(path, origin))
        name, schema = unwrap_response_format(value)
        if schema is None:
            if isinstance(value, dict) and provider.api == "chat":
                provider.params["response_format"] = plain(value)
            elif isinstance(value, dict):  # beside `verbosity`, which also lives in `text`
                provider.params["text"] = {
                    **provider.params.get("text", {}),
                    "format": plain(value),
                }
            return
        module = module_name(name or f"{self.context.project}_output")
        try:
            built = build_module(
                plain(schema), name or f"{self.context.project} output", origin.relative(self.base)
            )
        except SchemaUnsupported as exc:
            self.report.note(
                origin,
                f"response_format is sent unchanged in params: its schema cannot be a strict pydantic model ({exc})",
            )
            if provider.api == "chat":
                provider.params["response_format"] = plain(value)
            else:
                provider.params["text"] = {
                    **provider.params.get("text", {}),
                    "format": plain(value)
                    if value.get("type") == "json_schema"
                    else {"type": "json_schema", "name": name or "output", "schema": plain(schema)},
                }
            return
        existing = self.context.schemas.get(module)
        if existing is not None and existing != built.source:
            n = 2
            while (
                f"{module}_{n}" in self.context.schemas
                and self.context.schemas[f"{module}_{n}"] != built.source
            ):
                n += 1
            module = f"{module}_{n}"
        self.context.schemas[module] = built.source
        for note in built.notes:
            self.report.note(origin, note)
        provider.schema = f"schemas.{module}:{built.root}"
        if isinstance(value, dict) and value.get("json_schema", value).get("strict") is False:
            self.report.note(
                origin, "the schema is sent in strict mode (evalkit always sends strict schemas)"
            )

    def tools(self, provider: Provider, value: Any, origin: Origin) -> None:
        ref = file_ref(value)
        if ref is not None:
            value = plain(load_structured(expand(ref, self.base, origin)[0], origin))
        if not isinstance(value, list):
            self.report.leave_out(origin, "`tools` that are not a list", "list the function tools")
            return
        for tool in value:
            if not isinstance(tool, dict):
                continue
            function = (
                tool.get("function", tool) if tool.get("type", "function") == "function" else None
            )
            if not isinstance(function, dict) or "name" not in function:
                self.report.leave_out(
                    origin, f"a `{tool.get('type')}` tool", "evalkit offers function tools only"
                )
                continue
            spec: dict[str, Any] = {"name": function["name"]}
            if function.get("description"):
                spec["description"] = function["description"]
            spec["parameters"] = plain(
                function.get("parameters") or {"type": "object", "properties": {}}
            )
            provider.tools.append(spec)
        for key in ("tool_choice", "parallel_tool_calls"):
            if key in provider.params:
                choice = provider.params.pop(key)
                if key == "tool_choice" and isinstance(choice, dict):
                    name = (choice.get("function") or {}).get("name") or choice.get("name")
                    choice = {"name": name} if name else choice
                provider.tool_settings[key] = choice
