"""``evalkit import promptfoo``: a promptfooconfig.yaml → evalkit suites, prompts and checks.

The config is read as promptfoo reads it (prompts from strings, files, globs, chat JSON and
label maps; OpenAI providers with their config; tests inline or from CSV/JSON/JSONL/YAML;
``defaultTest``; array vars expanded into cases; ``file://`` vars; ``$ref`` templates), then
written as evalkit's project files:

- one prompt (named after the config) with a version per promptfoo prompt, in Jinja;
- one suite per provider family (chat, responses, and each distinct tool set): the first
  prompt × model is the suite, every other combination a variant;
- a schema module per ``response_format`` JSON Schema, a module of generated checks;
- inline tests inline, tests from files as a cases file.

Everything not carried over is reported (terminal and suite header) with its file and line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..prompts import ROLES, PromptRef
from ..yamlfile import LineDict, LineList, load_yaml
from . import nunjucks
from .assertions import AssertionMapper, Item, MapContext, NeedsCase, assertion_from_string
from .generated import PACKAGE, CheckModule, plain
from .javascript import transform_path
from .jsparse import JsUnsupported
from .providers import Api, Pins, params_for, parse_provider_id, provider_hint, slug
from .report import Origin, Report
from .schemas import (
    SchemaUnsupported,
    build_module,
    module_name,
    unwrap_response_format,
)
from .sources import (
    Row,
    csv_rows,
    expand,
    file_ref,
    item_lines,
    jsonl_rows,
    key_line,
    load_structured,
    read_text,
    rows_of,
)
from .writer import ImportPlan
from .yamlout import Comment, document

_TOP_KEYS_USED = {
    "description",
    "prompts",
    "providers",
    "targets",
    "tests",
    "defaultTest",
    "assertionTemplates",
    "evaluateOptions",
}
_TOP_KEYS_HINTS = {
    "scenarios": "expand each scenario's config rows × tests into plain tests, then import again",
    "redteam": "evalkit has no red-teaming; keep running promptfoo for it",
    "env": "evalkit reads the environment only for OPENAI_API_KEY / OPENAI_BASE_URL; export them instead",
    "nunjucksFilters": "compute the filtered values into the cases' vars",
    "extensions": "evalkit has no hooks; run setup code in a pytest fixture (pytest --evalkit)",
    "outputPath": "evalkit writes every run to .evalkit/runs/ (see `evalkit report`)",
    "sharing": "evalkit shares results as files (evalkit report --html)",
    "tags": "evalkit suites have no tags; use the description",
    "metadata": "evalkit suites have no metadata; use the description",
    "writeLatestResults": "evalkit writes every run to .evalkit/runs/",
    "tracing": "evalkit records no traces",
    "derivedMetrics": "evalkit reports pass rates, cost and latency per suite; compute others from results.jsonl",
    "commandLineOptions": "pass evalkit's own flags instead",
    "$schema": "",
}
_TEST_KEYS = {"description", "vars", "assert", "options", "threshold", "metadata"}
_TEXT_SUFFIXES = {".txt", ".md", ".j2", ".njk", ".nunjucks", ".prompt", ".tmpl", ""}


@dataclass
class PromptVersion:
    version: str  # v1, v2...
    label: str
    text: str
    origin: Origin
    variables: set[str] = field(default_factory=set)
    config: dict[str, Any] = field(default_factory=dict)  # the prompt's own provider config


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


@dataclass
class TestSpec:
    """One promptfoo test, vars expanded (so one evalkit case)."""

    id: str
    description: str
    vars: dict[str, Any]
    asserts: list[Row]
    origin: Origin
    from_file: bool
    transform: str | None = None  # options.transform (own or defaultTest's)
    transform_origin: Origin | None = None
    grader: Any = None


class PromptfooImporter:
    def __init__(self, config: Path, pins: Pins):
        self.config = config.resolve()
        self.base = self.config.parent
        self.pins = pins
        self.report = Report()
        self.custom_filters: frozenset[str] = frozenset()
        self.loaded: dict[str, str] = {}
        self.project = slug(
            self.config.stem if self.config.stem != "promptfooconfig" else self.config.parent.name,
            "imported",
        )
        self.checks = CheckModule(name="promptfoo_" + self.project.replace("-", "_"))
        self.schemas: dict[str, str] = {}  # module name → source
        self._effective: dict[tuple[int, str], Provider] = {}

    def origin(self, line: int | None = None, file: Path | None = None) -> Origin:
        return Origin(file or self.config, line)

    def leave_out(self, line: int | None, what: str, fix: str, file: Path | None = None) -> None:
        self.report.leave_out(self.origin(line, file), what, fix)

    # -- the whole config ----------------------------------------------------------

    def run(self) -> ImportPlan:
        if not self.config.is_file():
            raise ConfigError(f"config file not found: {self.config}")
        data = load_yaml(self.config)
        if not isinstance(data, LineDict):
            raise ConfigError(
                "a promptfoo config is a YAML mapping (prompts:, providers:, tests:)",
                self.config,
                1,
            )
        description = data.get("description")
        if isinstance(description, str) and description.strip():
            self.project = slug(description, self.project)
            self.checks.name = "promptfoo_" + self.project.replace("-", "_")
        for key in data:
            if key in _TOP_KEYS_USED:
                continue
            line = data.key_lines.get(key)
            if key in _TOP_KEYS_HINTS:
                if key == "nunjucksFilters" and isinstance(data[key], dict):
                    self.custom_filters = frozenset(data[key])
                if key == "$schema":
                    continue
                self.leave_out(line, f"`{key}`", _TOP_KEYS_HINTS[key])
            else:
                self.leave_out(
                    line,
                    f"unknown key `{key}`",
                    "check its meaning in promptfoo's docs; evalkit has no equivalent",
                )
        templates = data.get("assertionTemplates") or {}
        if not isinstance(templates, dict):
            raise ConfigError(
                "assertionTemplates must be a mapping",
                self.config,
                data.key_lines.get("assertionTemplates"),
            )
        self.mapper = AssertionMapper(self.report, self.checks, self.pins, dict(templates))

        prompts = self.prompts(data.get("prompts", "{{prompt}}"), key_line(data, "prompts", 1))
        providers_node = data.get("providers", data.get("targets"))
        if providers_node is None:
            raise ConfigError("the config has no `providers:`", self.config, 1)
        providers = self.providers(
            providers_node, key_line(data, "providers", key_line(data, "targets"))
        )
        repeat = self.evaluate_options(data)
        default = self.default_test(data)
        self.default_origin = self.origin(
            key_line(default, "options", key_line(data, "defaultTest"))
        )
        tests = self.tests(data.get("tests", []), key_line(data, "tests"), default)
        return self.plan(data, prompts, providers, tests, default, repeat)

    def evaluate_options(self, data: LineDict) -> int:
        options = data.get("evaluateOptions")
        repeat = 1
        if not isinstance(options, dict):
            return repeat
        for key, value in options.items():
            line = key_line(options, key)
            if key == "repeat" and isinstance(value, int) and value >= 1:
                repeat = value
            elif key == "maxConcurrency":
                self.leave_out(
                    line,
                    "evaluateOptions.maxConcurrency",
                    f"set `concurrency = {value}` under [tool.evalkit] or pass --concurrency",
                )
            elif key in ("cache", "showProgressBar"):
                self.leave_out(
                    line,
                    f"evaluateOptions.{key}",
                    "evalkit records answers instead of caching (replay mode)",
                )
            else:
                self.leave_out(line, f"evaluateOptions.{key}", "evalkit has no equivalent setting")
        return repeat

    # -- prompts --------------------------------------------------------------------

    def prompts(self, node: Any, line: int | None) -> list[PromptVersion]:
        items: list[tuple[Any, int | None, str | None]] = []  # (item, line, label)
        if isinstance(node, str):
            items = [(node, line, None)]
        elif isinstance(node, list):
            items = [
                (item, item_line, None)
                for item, item_line in zip(node, item_lines(node), strict=True)
            ]
        elif isinstance(node, dict):
            for key, value in node.items():
                key_ln = key_line(node, key, line)
                # promptfoo maps prompt → label; accept label → prompt too
                if (
                    isinstance(value, str)
                    and (file_ref(value) or "{{" in value or "\n" in value)
                    and not (file_ref(key) or "{{" in str(key))
                ):
                    items.append((value, key_ln, str(key)))
                else:
                    items.append((key, key_ln, str(value) if value is not None else None))
        else:
            raise ConfigError("prompts must be a string, a list or a mapping", self.config, line)
        versions: list[PromptVersion] = []
        for item, item_line, label in items:
            found = self.prompt_item(item, item_line, label)
            labels = [found_label for _, _, found_label in found]
            if len(found) > 1 and len(set(labels)) == 1 and labels[0]:
                # one label over several prompts (a glob, `---` sections): number them
                found = [(t, o, f"{lbl}-{n}") for n, (t, o, lbl) in enumerate(found, 1)]
            config = item.get("config") if isinstance(item, dict) else None
            for text, origin, found_label in found:
                versions.append(
                    PromptVersion(
                        version=f"v{len(versions) + 1}",
                        label=found_label or label or "",
                        text=text,
                        origin=origin,
                        config=dict(config) if isinstance(config, dict) else {},
                    )
                )
        if not versions:
            raise ConfigError(
                "no prompt could be imported (see the report above)", self.config, line
            )
        for version in versions:
            version.text, version.variables = self.translate(version.text, version.origin)
        return versions

    def prompt_item(
        self, item: Any, line: int | None, label: str | None
    ) -> list[tuple[str, Origin, str | None]]:
        """One entry of ``prompts:`` → [(template text in Jinja-with-blocks form, origin, label)]."""
        origin = self.origin(line)
        if isinstance(item, dict):
            raw = item.get("raw", item.get("id"))
            item_label = item.get("label") or label
            for key in set(item) - {"raw", "id", "label", "config"}:
                self.leave_out(
                    key_line(item, key, line),
                    f"prompt option `{key}`",
                    "evalkit prompts are templates only",
                )
            if not isinstance(raw, str):
                if isinstance(raw, list):
                    chat = self.chat(raw, origin)
                    return [(chat, origin, item_label)] if chat is not None else []
                self.leave_out(
                    line,
                    "a prompt entry without raw text or a file id",
                    "give `raw:` or `id: file://...`",
                )
                return []
            return [
                (t, o, lbl or item_label) for t, o, lbl in self.prompt_item(raw, line, item_label)
            ]
        if isinstance(item, list):
            chat = self.chat(item, origin)
            return [(chat, origin, label)] if chat is not None else []
        if not isinstance(item, str):
            self.leave_out(
                line,
                f"a prompt of type {type(item).__name__}",
                "give text, a file or chat messages",
            )
            return []
        ref = file_ref(item)
        bare_path = re.fullmatch(r"[\w./*-]+\.(txt|md|json|jsonl|yaml|yml|j2|njk)", item.strip())
        if (
            ref is None
            and bare_path
            and ((self.base / item.strip()).exists() or any(c in item for c in "*?"))
        ):
            ref = item.strip()  # promptfoo also accepts bare paths
        if ref is None:
            return [(self.text_or_chat(item, origin), origin, label)]
        if re.match(r"^(langfuse|portkey|helicone)://", item):
            self.leave_out(
                line,
                f"an external prompt ({item})",
                "export the prompt's text into a file and import again",
            )
            return []
        out: list[tuple[str, Origin, str | None]] = []
        for path in expand(ref, self.base, origin):
            out += self.prompt_file(path, ref, origin, label)
        return out

    def prompt_file(
        self, path: Path, ref: str, origin: Origin, label: str | None
    ) -> list[tuple[str, Origin, str | None]]:
        suffix = path.suffix.lower()
        file_origin = Origin(path, 1)
        if suffix in (".py", ".js", ".ts", ".mjs", ".cjs") or ":" in ref.rsplit("/", 1)[-1]:
            self.report.leave_out(
                origin,
                f"a prompt function ({ref})",
                "render its prompt text into a .j2 template (evalkit prompts are templates)",
            )
            return []
        if suffix == ".json":
            data = load_structured(path, origin)
            if isinstance(data, list):
                chat = self.chat(data, file_origin)
                return [(chat, file_origin, label)] if chat is not None else []
            if isinstance(data, str):
                return [(self.text_or_chat(data, file_origin), file_origin, label)]
            self.report.leave_out(
                file_origin,
                "a JSON prompt file that is not a message list",
                "write it as chat messages",
            )
            return []
        if suffix == ".jsonl":
            out = []
            for row in jsonl_rows(path, origin):
                chat = self.chat(row.value, row.origin) if isinstance(row.value, list) else None
                if chat is not None:
                    out.append((chat, row.origin, label))
            return out
        if suffix in (".yaml", ".yml"):
            data = load_structured(path, origin)
            if isinstance(data, list):
                chat = self.chat(data, file_origin)
                return [(chat, file_origin, label)] if chat is not None else []
            self.report.leave_out(
                file_origin,
                "a YAML prompt file that is not a message list",
                "write it as chat messages",
            )
            return []
        if suffix == ".csv":
            out = []
            for row in csv_rows(path, origin):
                text = row.value.get("prompt") or row.value.get("raw")
                if text:
                    out.append(
                        (
                            self.text_or_chat(text, row.origin),
                            row.origin,
                            row.value.get("label") or label,
                        )
                    )
            return out
        if suffix not in _TEXT_SUFFIXES:
            self.report.leave_out(
                origin, f"a prompt file of type {suffix} ({ref})", "save the prompt as text"
            )
            return []
        text = read_text(path, origin)
        out = []
        line = 1
        chunks = re.split(r"(?m)^---[ \t]*\n", text)
        for chunk in chunks:
            chunk_origin = Origin(path, line)
            line += chunk.count("\n") + 1
            if not chunk.strip():
                continue
            out.append((self.text_or_chat(chunk.rstrip("\n"), chunk_origin), chunk_origin, label))
        return out

    def text_or_chat(self, text: str, origin: Origin) -> str:
        stripped = text.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            try:
                data = json.loads(stripped)
            except ValueError:
                data = None
            if (
                isinstance(data, list)
                and data
                and all(isinstance(m, dict) and "role" in m for m in data)
            ):
                chat = self.chat(data, origin)
                if chat is not None:
                    return chat
        return text

    def chat(self, messages: list[Any], origin: Origin) -> str | None:
        """Chat messages → ``{% message %}`` blocks (contents still in Nunjucks)."""
        blocks: list[str] = []
        lines = (
            item_lines(messages)
            if isinstance(messages, LineList)
            else [origin.line] * len(messages)
        )
        for message, line in zip(messages, lines, strict=True):
            where = origin.at(line)
            if not isinstance(message, dict) or "role" not in message:
                self.report.leave_out(
                    where, "a chat message without a role", "give each message a role and content"
                )
                return None
            role = str(message["role"])
            content = message.get("content", "")
            if role not in ROLES:
                self.report.leave_out(
                    where,
                    f"a `{role}` message in a prompt",
                    "evalkit prompts hold system, developer, user and assistant messages; tool turns go in a case's `history`",
                )
                continue
            if isinstance(content, list):
                texts = []
                for part in content:
                    if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                        texts.append(str(part.get("text", "")))
                    else:
                        self.report.leave_out(
                            where,
                            f"a {part.get('type') if isinstance(part, dict) else 'non-text'} content part",
                            'evalkit templates take images with {% image "path" %}; add it by hand',
                        )
                content = "\n".join(texts)
            if not isinstance(content, str):
                content = json.dumps(plain(content), ensure_ascii=False)
            blocks.append(f'{{% message "{role}" %}}\n{content}\n{{% endmessage %}}')
        return "\n".join(blocks) + "\n" if blocks else None

    def translate(self, text: str, origin: Origin) -> tuple[str, set[str]]:
        translation = nunjucks.translate(text, self.custom_filters, self.loaded)
        for problem in translation.problems:
            where = origin.at((origin.line or 1) + problem.line - 1)
            self.report.leave_out(where, f"in a prompt: {problem.what}", problem.fix)
        for note in translation.notes:
            self.report.note(
                origin.at((origin.line or 1) + note.line - 1), f"in a prompt: {note.what}"
            )
        if "_conversation" in translation.variables:
            self.report.leave_out(
                origin,
                "the `_conversation` variable (multi-turn history)",
                "write earlier turns in each case's `history:`",
            )
        if any(p.what.startswith("template syntax Jinja rejects") for p in translation.problems):
            return "{% raw %}" + text.replace("{% endraw %}", "") + "{% endraw %}\n", set()
        body = translation.text if translation.text.endswith("\n") else translation.text + "\n"
        return body, translation.variables

    # -- providers ------------------------------------------------------------------

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
            if isinstance(value, dict):
                key = "response_format" if provider.api == "chat" else "text"
                provider.params[key] = (
                    plain(value) if key == "response_format" else {"format": plain(value)}
                )
            return
        module = module_name(name or f"{self.project}_output")
        try:
            built = build_module(plain(schema), name or f"{self.project} output", str(origin))
        except SchemaUnsupported as exc:
            self.report.note(
                origin,
                f"response_format is sent unchanged in params: its schema cannot be a strict pydantic model ({exc})",
            )
            if provider.api == "chat":
                provider.params["response_format"] = plain(value)
            else:
                provider.params["text"] = {
                    "format": plain(value)
                    if value.get("type") == "json_schema"
                    else {"type": "json_schema", "name": name or "output", "schema": plain(schema)}
                }
            return
        existing = self.schemas.get(module)
        if existing is not None and existing != built.source:
            n = 2
            while f"{module}_{n}" in self.schemas and self.schemas[f"{module}_{n}"] != built.source:
                n += 1
            module = f"{module}_{n}"
        self.schemas[module] = built.source
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

    # -- tests ---------------------------------------------------------------------

    def default_test(self, data: LineDict) -> dict[str, Any]:
        node = data.get("defaultTest") or {}
        line = key_line(data, "defaultTest")
        ref = file_ref(node)
        if ref is not None:
            node = load_structured(expand(ref, self.base, self.origin(line))[0], self.origin(line))
        if not isinstance(node, dict):
            raise ConfigError(
                "defaultTest must be a mapping or a file:// reference", self.config, line
            )
        return node

    def tests(self, node: Any, line: int | None, default: dict[str, Any]) -> list[TestSpec]:
        rows = self.test_rows(node, line)
        specs: list[TestSpec] = []
        for index, (row, from_file) in enumerate(rows, 1):
            specs += self.test(row, index, from_file, default)
        seen: dict[str, int] = {}
        for spec in specs:
            base = spec.id
            if base in seen:
                seen[base] += 1
                spec.id = f"{base}-{seen[base]}"
            else:
                seen[base] = 1
        return specs

    def test_rows(self, node: Any, line: int | None) -> list[tuple[Row, bool]]:
        origin = self.origin(line)
        items: list[tuple[Any, Origin]]
        if isinstance(node, str):
            items = [(node, origin)]
        elif isinstance(node, list):
            items = [
                (item, self.origin(ln)) for item, ln in zip(node, item_lines(node), strict=True)
            ]
        elif isinstance(node, dict):
            items = [(node, origin)]
        else:
            raise ConfigError("tests must be a list, a file or a mapping", self.config, line)
        out: list[tuple[Row, bool]] = []
        for item, item_origin in items:
            if (
                isinstance(item, dict)
                and "path" in item
                and len(set(item) - {"path", "config"}) == 0
            ):
                item = item["path"]  # {path: file://tests.csv}
            if isinstance(item, dict):
                out.append((Row(item, item_origin), False))
                continue
            if not isinstance(item, str):
                self.report.leave_out(
                    item_origin, f"a test of type {type(item).__name__}", "write tests as mappings"
                )
                continue
            if re.match(r"^(huggingface|https?|gs|s3)://", item):
                self.report.leave_out(
                    item_origin,
                    f"tests from {item.split(':', 1)[0]} ({item})",
                    "export them to a CSV or JSONL file and import again",
                )
                continue
            ref = file_ref(item) or item
            for path in expand(ref, self.base, item_origin):
                out += [(row, True) for row in self.test_file(path, item_origin)]
        return out

    def test_file(self, path: Path, origin: Origin) -> list[Row]:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return [Row(self.csv_test(row), row.origin) for row in csv_rows(path, origin)]
        if suffix == ".jsonl":
            return jsonl_rows(path, origin)
        if suffix in (".json", ".yaml", ".yml"):
            data = load_structured(path, origin)
            if isinstance(data, dict) and isinstance(data.get("tests"), list):
                data = data["tests"]
            return rows_of(data, path)
        self.report.leave_out(
            origin,
            f"tests from a {suffix or 'extension-less'} file ({path.name})",
            "export them to CSV, JSONL or YAML and import again",
        )
        return []

    def csv_test(self, row: Row) -> dict[str, Any]:
        """promptfoo's CSV columns: vars, ``__expected``/``__expectedN``, ``__description``..."""
        test: dict[str, Any] = {"vars": {}, "assert": []}
        for column, value in row.value.items():
            if column.startswith("__expected"):
                if value.strip():
                    test["assert"].append(assertion_from_string(value))
            elif column == "__description":
                test["description"] = value
            elif column in (
                "__prefix",
                "__suffix",
                "__metric",
                "__threshold",
                "__providerOutput",
                "__metadata",
            ) or column.startswith("__metadata"):
                if value.strip():
                    test.setdefault("_csv_left_out", []).append(column)
            else:
                test["vars"][column] = value
        return test

    def test(
        self, row: Row, index: int, from_file: bool, default: dict[str, Any]
    ) -> list[TestSpec]:
        node = row.value
        origin = row.origin
        if not isinstance(node, dict):
            self.report.leave_out(
                origin, "a test that is not a mapping", "write it as {vars, assert}"
            )
            return []
        for column in node.get("_csv_left_out", []):
            self.report.leave_out(
                origin,
                f"the CSV column `{column}`",
                "evalkit cases have no prompt prefix/suffix, named metrics or per-case thresholds",
            )
        for key in set(node) - _TEST_KEYS - {"_csv_left_out"}:
            hint = {
                "provider": "a case cannot pick its own model: make it a variant",
                "providers": "a case runs under every variant; split the suite to restrict it",
                "prompts": "a case runs under every variant; split the suite to restrict it",
                "assertScoringFunction": "evalkit passes a case when every assertion passes",
            }.get(key, "evalkit cases have no such field")
            self.report.leave_out(origin.at(key_line(node, key)), f"test field `{key}`", hint)
        if node.get("threshold") is not None:
            self.report.leave_out(
                origin.at(key_line(node, "threshold")),
                f"the test threshold {node['threshold']}",
                "evalkit passes a case when all its checks pass (weights apply to scores); drop the failing-allowed checks or give them weight 0",
            )
        if node.get("metadata"):
            self.report.note(
                origin.at(key_line(node, "metadata")),
                "test metadata is not carried (evalkit cases have an id and a description)",
            )
        raw_vars = node.get("vars") or {}
        ref = file_ref(raw_vars)
        if ref is not None:
            raw_vars = load_structured(expand(ref, self.base, origin)[0], origin)
        if not isinstance(raw_vars, dict):
            self.report.leave_out(
                origin, "test vars that are not a mapping", "write vars as name: value"
            )
            raw_vars = {}
        default_vars = default.get("vars") or {}
        merged = {**(default_vars if isinstance(default_vars, dict) else {}), **raw_vars}
        own_options = node.get("options") or {}
        options = {**(default.get("options") or {}), **own_options}
        if "transform" in own_options:
            transform, transform_origin = (
                own_options["transform"],
                origin.at(key_line(node, "options")),
            )
        else:
            transform, transform_origin = options.get("transform"), self.default_origin
        for key in set(own_options) - {"transform", "provider"}:
            hint = (
                "a judge uses evalkit's own grading prompt; a project prompt can replace it (judge `prompt:`)"
                if key == "rubricPrompt"
                else "evalkit has no such case option"
            )
            self.report.leave_out(
                origin.at(key_line(node, "options")), f"test option `{key}`", hint
            )
        asserts = node.get("assert") or []
        if not isinstance(asserts, list):
            self.report.leave_out(origin, "`assert` that is not a list", "list the assertions")
            asserts = []
        lines = item_lines(asserts)
        assert_rows = [
            Row(a, origin.at(ln) if ln else origin) for a, ln in zip(asserts, lines, strict=True)
        ]
        description = str(node.get("description") or "")
        base_id = slug(description, "") if description else ""
        if not base_id:
            stem = Path(origin.file).stem if from_file else "test"
            base_id = f"{slug(stem, 'test')}-{index}"
        specs = []
        for n, combo in enumerate(self.combinations(merged, origin), 1):
            specs.append(
                TestSpec(
                    id=base_id if n == 1 else f"{base_id}-{n}",
                    description=description,
                    vars=combo,
                    asserts=assert_rows,
                    origin=origin,
                    from_file=from_file,
                    transform=transform,
                    transform_origin=transform_origin,
                    grader=options.get("provider"),
                )
            )
        return specs

    def case_transform(self, code: Any, origin: Origin, base: Provider) -> tuple[bool, str | None]:
        """A test's ``options.transform``, for the suite's provider: (output parsed, path).
        With tools (or a json_schema answer) promptfoo's output is an object, so a path into
        it (``output[0].function.name``) is read from that object."""
        if code is None:
            return False, None
        object_output = base.structured or bool(base.tools)
        try:
            if not isinstance(code, str) or code.startswith("file://"):
                raise JsUnsupported("a transform from a file")
            return transform_path(code, parsed=object_output)
        except JsUnsupported as exc:
            self.report.leave_out(
                origin,
                f"options.transform `{' '.join(str(code).split())[:60]}` ({exc})",
                "the case's checks see the untransformed output; add `path:` to them or use a python check",
            )
            return False, None

    def combinations(self, variables: dict[str, Any], origin: Origin) -> list[dict[str, Any]]:
        """promptfoo's var expansion: an array of strings (or a file glob) is one case each."""
        combos: list[dict[str, Any]] = [{}]
        for key, value in variables.items():
            values: list[Any]
            ref = file_ref(value)
            if ref is not None:
                values = [
                    self.var_file(path, key, origin) for path in expand(ref, self.base, origin)
                ]
            elif isinstance(value, list) and value and isinstance(value[0], str):
                values = list(value)
            else:
                values = [plain(value)]
            combos = [{**combo, key: v} for combo in combos for v in values]
        return combos

    def var_file(self, path: Path, name: str, origin: Origin) -> Any:
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return json.dumps(plain(yaml.safe_load(read_text(path, origin))), ensure_ascii=False)
        if suffix in (
            ".py",
            ".js",
            ".ts",
            ".png",
            ".jpg",
            ".jpeg",
            ".gif",
            ".webp",
            ".pdf",
            ".docx",
            ".mp3",
            ".wav",
        ):
            self.report.leave_out(
                origin,
                f"var `{name}` from {path.name}",
                "compute the value into the case's vars (images: {% image %} in the template)",
            )
            return ""
        return read_text(path, origin)

    # -- the plan ----------------------------------------------------------------------

    def plan(
        self,
        data: LineDict,
        prompts: list[PromptVersion],
        providers: list[Provider],
        tests: list[TestSpec],
        default: dict[str, Any],
        repeat: int,
    ) -> ImportPlan:
        plan = ImportPlan(project_name=self.project)
        prompt_name = self.project
        for version in prompts:
            plan.add("prompts", f"{prompt_name}/{version.version}.j2", version.text)
            plan.prompts.append(PromptRef(prompt_name, version.version))
        families: dict[str, list[Provider]] = {}
        for provider in providers:
            families.setdefault(provider.family, []).append(provider)
        suites: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = []
        for number, members in enumerate(families.values()):
            suffix = (
                ""
                if len(families) == 1
                else "-" + (members[0].api + (f"-tools-{number + 1}" if members[0].tools else ""))
            )
            name = slug(self.project + suffix, "imported")
            suite, file_cases = self.suite(
                name, data, prompt_name, prompts, members, tests, default, repeat, count=number == 0
            )
            suites.append((name, suite, file_cases))
        for module, source in self.schemas.items():
            plan.add("root", f"schemas/{module}.py", source)
        if self.schemas:
            plan.add("root", "schemas/__init__.py", "", if_missing=True)
        if self.checks or self.checks.copies:
            plan.add("root", f"{PACKAGE}/__init__.py", "", if_missing=True)
            plan.add(
                "root", f"{PACKAGE}/{self.checks.name}.py", self.checks.source(self.config.name)
            )
            for user_file, module in self.checks.copies.items():
                plan.add("root", f"{PACKAGE}/{module}.py", user_file.read_text(encoding="utf-8"))
        header = [
            f"# Imported from {self.config.name} by `evalkit import promptfoo`.",
            *self.report.comment_lines(),
        ]
        if self.pins.unpinned:
            first = sorted(self.pins.unpinned)[0]
            header.append(
                "# allow_unpinned: true below because these models were given as aliases: "
                + ", ".join(sorted(self.pins.unpinned))
                + ". An alias can change under you without a commit; pin each with "
                f"`--pin ALIAS=SNAPSHOT` (e.g. --pin {first}={first}-YYYY-MM-DD, a dated snapshot "
                "from the provider's model list) and import again."
            )
        for name, suite, file_cases in suites:
            plan.add("suites", f"{name}.yaml", document(suite, header))
            if file_cases:
                plan.add(
                    "suites",
                    f"cases/{name}.jsonl",
                    "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in file_cases),
                )
        return plan

    def suite(
        self,
        name: str,
        data: LineDict,
        prompt_name: str,
        prompts: list[PromptVersion],
        providers: list[Provider],
        tests: list[TestSpec],
        default: dict[str, Any],
        repeat: int,
        count: bool,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        combos = [
            (prompt, provider, self.effective(provider, prompt))
            for provider in providers
            for prompt in prompts
            if provider.prompt_filter is None
            or prompt.label in provider.prompt_filter
            or any(prompt.label.startswith(f"{f}:") for f in provider.prompt_filter)
        ]
        if not combos:
            raise ConfigError(
                f"no prompt is allowed for the providers of suite {name} (their `prompts:` filters match no label)",
                self.config,
            )
        base_prompt, _, base = combos[0]
        tools = tuple(t["name"] for t in base.tools)
        suite: dict[str, Any] = {"suite": name}
        description = data.get("description")
        if isinstance(description, str) and description.strip():
            suite["description"] = description.strip()
        suite["prompt"] = f"{prompt_name}@{base_prompt.version}"
        suite["model"] = base.model
        if base.api != "chat":
            suite["api"] = base.api
        if base.params:
            suite["params"] = base.params
        if base.schema:
            suite["schema"] = base.schema
        if base.tools:
            suite["tools"] = base.tools
            suite.update(base.tool_settings)
        if repeat > 1:
            suite["repeat"] = repeat

        grader = (default.get("options") or {}).get("provider")
        default_parsed, default_path = self.case_transform(
            (default.get("options") or {}).get("transform"), self.default_origin, base
        )
        suite_vars = {
            k: plain(v)
            for k, v in (default.get("vars") or {}).items()
            if not (isinstance(v, list) and v and isinstance(v[0], str)) and file_ref(v) is None
        }
        suite_asserts: list[Item] = []
        per_case: list[Row] = []
        default_asserts = default.get("assert") or []
        for raw, line in zip(default_asserts, item_lines(default_asserts), strict=True):
            ctx = MapContext(
                origin=self.origin(line),
                base_dir=self.base,
                output_parsed=default_parsed or default_path is not None or base.structured,
                path=default_path,
                tools=tools,
                function_call=base.legacy_functions,
                grader=grader,
            )
            try:
                suite_asserts += self.mapper.map(raw, ctx, count=count)
            except NeedsCase:
                per_case.append(Row(raw, ctx.origin))
        if default.get("threshold") is not None:
            self.leave_out(
                key_line(default, "threshold"),
                "defaultTest.threshold",
                "evalkit passes a case when all its checks pass",
            )
        if default.get("metadata"):
            self.report.note(
                self.origin(key_line(default, "metadata")), "defaultTest metadata is not carried"
            )

        inline: list[dict[str, Any]] = []
        from_files: list[dict[str, Any]] = []
        counted: set[int] = set()
        for spec in tests:
            case_vars = {
                k: v for k, v in spec.vars.items() if k not in suite_vars or suite_vars[k] != v
            }
            case: dict[str, Any] = {"id": spec.id}
            if spec.description:
                case["description"] = spec.description
            all_vars = {**suite_vars, **case_vars}
            if not self.add_parsed_vars(case_vars, all_vars, spec):
                continue
            case["vars"] = case_vars
            items: list[Item] = []
            for row in [*per_case, *spec.asserts]:
                first = id(row) not in counted
                counted.add(id(row))
                parsed, path = self.case_transform(
                    spec.transform, spec.transform_origin or spec.origin, base
                )
                ctx = MapContext(
                    origin=row.origin,
                    base_dir=self.base,
                    vars=all_vars,
                    output_parsed=parsed or path is not None or base.structured,
                    path=path,
                    tools=tools,
                    function_call=base.legacy_functions,
                    grader=spec.grader if spec.grader is not None else grader,
                )
                items += self.mapper.map(row.value, ctx, count=count and first)
            if items:
                case["assert"] = items
            (from_files if spec.from_file else inline).append(case)
        suite_vars.update(self.missing_vars(prompts, suite_vars, inline + from_files))
        if suite_vars:
            suite["vars"] = suite_vars
        if suite_asserts:
            suite["assert"] = suite_asserts
        cases: list[Any] = list(inline)
        if from_files:
            cases.append({"cases_from": f"cases/{name}.jsonl"})
        if not cases:
            self.leave_out(
                key_line(data, "tests"),
                "a config without tests",
                "add cases to the suite; one empty case was written so it loads",
            )
            cases = [{"id": "example", "vars": {}}]
        suite["cases"] = cases
        variants = self.variants(combos, prompt_name)
        if variants:
            suite["variants"] = variants
        if self.pins.unpinned:
            suite = _after(suite, "model", {"allow_unpinned": True})
        return suite, [_without_comments(c) for c in from_files]

    def add_parsed_vars(
        self, case_vars: dict[str, Any], all_vars: dict[str, Any], spec: TestSpec
    ) -> bool:
        """Fill the parsed twin of each var a prompt reads with ``| load``."""
        for source, target in self.loaded.items():
            if source not in all_vars:
                continue
            value = all_vars[source]
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    self.report.leave_out(
                        spec.origin,
                        f"case {spec.id}: var `{source}` is not JSON, but the prompt parses it (`| load`)",
                        "fix the value; the case was not imported",
                    )
                    return False
            case_vars[target] = value
        return True

    def missing_vars(
        self, prompts: list[PromptVersion], suite_vars: dict[str, Any], cases: list[dict[str, Any]]
    ) -> dict[str, str]:
        """promptfoo renders a missing variable as empty; evalkit refuses to. Variables some
        case lacks get an empty default (and a note)."""
        needed = set().union(*(p.variables for p in prompts)) - set(self.loaded.values())
        missing: dict[str, str] = {}
        for var in sorted(needed):
            if var in suite_vars:
                continue
            if not cases or any(var not in c.get("vars", {}) for c in cases):
                missing[var] = ""
        if missing:
            self.report.note(
                self.origin(1),
                f"variables {', '.join(missing)} are missing from some tests; promptfoo renders them "
                "empty, evalkit would refuse, so the suite gives them an empty default",
            )
        return missing

    def variants(
        self, combos: list[tuple[PromptVersion, Provider, Provider]], prompt_name: str
    ) -> dict[str, Any]:
        """Every prompt × model combination after the first, as a named variant."""
        several_prompts = len({p.version for p, _, _ in combos}) > 1
        several_models = len({id(m) for _, m, _ in combos}) > 1
        base_prompt, base_provider, base = combos[0]
        out: dict[str, Any] = {}
        for prompt, provider, effective in combos[1:]:
            parts = []
            if several_models:
                parts.append(slug(provider.label, provider.model))
            if several_prompts:
                parts.append(slug(prompt.label, prompt.version) if prompt.label else prompt.version)
            name = "-".join(parts) or prompt.version
            unique, n = name, 2
            while unique in out or unique == "base":
                unique, n = f"{name}-{n}", n + 1
            variant: dict[str, Any] = {}
            if prompt.version != base_prompt.version:
                variant["prompt"] = f"{prompt_name}@{prompt.version}"
            if provider is not base_provider or effective.model != base.model:
                variant["model"] = effective.model
            if effective.api != base.api:
                variant["api"] = effective.api
            if effective.params != base.params:
                variant["params"] = effective.params
            if effective.schema != base.schema:
                if effective.schema:
                    variant["schema"] = effective.schema
                else:
                    self.report.leave_out(
                        effective.origin,
                        f"provider {provider.label} has no schema while the suite's first one has",
                        "split it into its own suite (a variant cannot drop the schema)",
                    )
            out[unique] = variant
        return out


def _after(mapping: dict[str, Any], key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` with ``extra`` inserted right after ``key``."""
    out: dict[str, Any] = {}
    for k, v in mapping.items():
        out[k] = v
        if k == key:
            out.update(extra)
    return out


def _without_comments(case: dict[str, Any]) -> dict[str, Any]:
    """A case for a JSONL file: comments cannot live there (the suite header lists them)."""
    out = dict(case)
    if "assert" in out:
        out["assert"] = [a for a in out["assert"] if not isinstance(a, Comment)]
        if not out["assert"]:
            del out["assert"]
    return out


def import_promptfoo(config: Path, pins: Pins) -> tuple[ImportPlan, Report]:
    importer = PromptfooImporter(config, pins)
    plan = importer.run()
    return plan, importer.report


__all__ = ["PromptfooImporter", "import_promptfoo"]
