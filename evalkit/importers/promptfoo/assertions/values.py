"""Reading an assertion's values as promptfoo does: Nunjucks templates over the case's vars,
``file://`` files, JSON schemas (JSON or YAML), lists given as comma-separated text, and
the grader and embedding models (``provider``, ``options.provider``), pinned.

:class:`ValueReader` holds what one import's assertions share (its report, generated
checks module and pins); :class:`~.mapper.AssertionMapper` builds on it, and each family of
assertion types reads its values through it.
"""

from __future__ import annotations

from typing import Any

import jinja2
import jsonschema
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ....errors import NeedsCase, NotCarried
from ....io.jsonfile import loads_value
from ...report import Report
from ...sources import plain
from .. import nunjucks
from ..checkmodule import CheckModule
from ..provider_ids import DEFAULT_EMBEDDING, DEFAULT_JUDGE, Pins, parse_provider_id
from .common import MapContext, js_number, preview


class ValueReader:
    """The values of one import's assertions; shares its report, pins and check module."""

    def __init__(
        self,
        report: Report,
        module: CheckModule,
        pins: Pins,
        templates: dict[str, Any] | None = None,
    ):
        self.report = report
        self.module = module
        self.pins = pins
        self.templates = templates or {}
        self._env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)

    def text_value(self, raw: dict[str, Any], ctx: MapContext, what: str = "value") -> str:
        value = raw.get("value")
        if value is None:
            raise NotCarried(f"`{raw['type']}` without a value", "add the value")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return js_number(value)
        if not isinstance(value, str):
            raise NotCarried(
                f"`{raw['type']}` with a {type(value).__name__} {what}", "give a string"
            )
        return self.render(value, ctx)

    def render(self, text: str, ctx: MapContext) -> str:
        """Assertion values are Nunjucks templates over the case's vars in promptfoo."""
        if "{{" not in text and "{%" not in text:
            return text
        if ctx.vars is None:
            raise NeedsCase
        translation = nunjucks.translate(text)
        if translation.problems:
            problem = translation.problems[0]
            raise NotCarried(f"a templated value ({problem.what})", problem.fix)
        try:
            return self._env.from_string(translation.text).render(**ctx.vars)
        except jinja2.TemplateError as exc:
            raise NotCarried(
                f"a templated value that does not render ({exc})", "check the case's vars"
            ) from None

    def load_file(self, ref: str, ctx: MapContext) -> Any:
        """A ``file://`` value: JSON/YAML parsed, anything else as text."""
        target = (ctx.base_dir / ref.removeprefix("file://")).resolve()
        if not target.is_file():
            raise NotCarried(f"the file {ref} does not exist", "fix the path")
        text = target.read_text(encoding="utf-8")
        try:
            if target.suffix.lower() == ".json":
                return loads_value(text)
            if target.suffix.lower() in (".yaml", ".yml"):
                return yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise NotCarried(f"the file {ref} does not parse ({exc})", "fix the file") from None
        return text

    def schema_value(self, raw: dict[str, Any], ctx: MapContext) -> dict[str, Any] | None:
        value = raw.get("value")
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("file://"):
            value = self.load_file(value, ctx)
        if isinstance(value, str):
            try:
                value = loads_value(value) if value.strip() else None
            except ValueError:
                try:
                    value = yaml.safe_load(value)
                except yaml.YAMLError:
                    raise NotCarried(
                        "a JSON schema that is neither JSON nor YAML", "fix the schema"
                    ) from None
        if value is None:
            return None
        if not isinstance(value, dict):
            raise NotCarried("a JSON schema that is not an object", "fix the schema")
        schema: dict[str, Any] = plain(value)
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise NotCarried(f"an invalid JSON schema ({exc.message})", "fix the schema") from None
        return schema

    def judge_model(self, raw: dict[str, Any], ctx: MapContext) -> str:
        provider = raw.get("provider") or ctx.grader
        if isinstance(provider, dict) and ("text" in provider or "embedding" in provider):
            provider = provider.get("text")  # options.provider: {text: ..., embedding: ...}
        if provider is None:
            return self.pins.resolve(DEFAULT_JUDGE)
        if isinstance(provider, dict):
            provider = provider.get("id")
        if not isinstance(provider, str):
            self.report.note(
                ctx.origin,
                f"grader {preview(provider)} is not a provider id; judged by {DEFAULT_JUDGE}",
            )
            return self.pins.resolve(DEFAULT_JUDGE)
        parsed = parse_provider_id(provider)
        if parsed.kind in ("chat", "responses"):
            return self.pins.resolve(parsed.model)
        self.report.note(
            ctx.origin,
            f"grader {provider!r} is not an OpenAI chat model; the judge is {DEFAULT_JUDGE} instead",
        )
        return self.pins.resolve(DEFAULT_JUDGE)

    def embedding_model(self, raw: dict[str, Any], ctx: MapContext) -> str:
        provider = raw.get("provider")
        if provider is None and isinstance(ctx.grader, dict) and "embedding" in ctx.grader:
            provider = ctx.grader["embedding"]
        if isinstance(provider, dict):
            provider = provider.get("id")
        if isinstance(provider, str):
            parsed = parse_provider_id(provider)
            if parsed.kind == "embedding":
                return parsed.model
            self.report.note(
                ctx.origin,
                f"embedding provider {provider!r} is not an OpenAI embedding model; {DEFAULT_EMBEDDING} is used",
            )
        return DEFAULT_EMBEDDING

    def values(self, raw: dict[str, Any], ctx: MapContext) -> list[str]:
        value = raw.get("value")
        if isinstance(value, str):
            value = [v.strip() for v in self.render(value, ctx).split(",")]
        if not isinstance(value, list) or not value:
            raise NotCarried(f"`{raw['type']}` without a list of values", "give a list")
        return [self.text_value({"type": raw["type"], "value": v}, ctx) for v in value]
