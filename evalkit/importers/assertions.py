"""promptfoo assertions → evalkit assertions (or generated checks), one at a time.

Each promptfoo assertion maps to evalkit checks with the same meaning where evalkit has
them (``icontains`` → ``contains`` with ``ignore_case``, ``llm-rubric`` → ``judge``,
``cost`` → ``cost_usd``), to a generated Python check where it does not (``contains-json``,
``levenshtein``, translated ``javascript``), and otherwise to a :class:`~.report.LeftOut`
entry and a comment in place. ``not-``, ``weight``, ``threshold`` and a field-path
``transform`` carry over on every type.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import nunjucks
from .generated import CheckModule, literal, plain
from .javascript import JsContext, js_regex_to_python, transform_path, translate
from .jsparse import JsUnsupported
from .providers import DEFAULT_EMBEDDING, DEFAULT_JUDGE, Pins, parse_provider_id
from .report import Origin, Report
from .yamlout import Comment

Check = dict[str, Any]
Item = Check | Comment

_KNOWN_KEYS = {
    "type",
    "value",
    "threshold",
    "weight",
    "metric",
    "provider",
    "transform",
    "config",
    "description",
}
_SCORED = {"similar", "judge", "python"}
_NOT_MAPPED = {
    "answer-relevance": "evalkit has no answer-relevance check; a `judge` with a rubric such as 'The answer addresses the question' is the closest",
    "context-faithfulness": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "context-recall": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "context-relevance": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "conversation-relevance": "evalkit has no conversation checks; use a `judge` rubric",
    "g-eval": "write the criteria as a `judge` rubric",
    "select-best": "evalkit compares variants with `evalkit diff`, not within a run",
    "max-score": "evalkit compares variants with `evalkit diff`, not within a run",
    "moderation": "evalkit has no moderation check; call the moderation API from a `python` check if you need it",
    "classifier": "evalkit runs no local classifiers; use a `python` check",
    "pi": "evalkit has no Pi Labs scorer; use a `judge` rubric",
    "guardrails": "evalkit has no guardrails check",
    "perplexity": "evalkit does not request logprobs; add `logprobs` to params and a `python` check",
    "perplexity-score": "evalkit does not request logprobs; add `logprobs` to params and a `python` check",
    "rouge-n": "evalkit has no ROUGE metric; use `similar` or a `python` check",
    "bleu": "evalkit has no BLEU metric; use `similar` or a `python` check",
    "gleu": "evalkit has no GLEU metric; use `similar` or a `python` check",
    "meteor": "evalkit has no METEOR metric; use `similar` or a `python` check",
    "webhook": "evalkit never calls out from checks; port the webhook's logic to a `python` check",
    "is-sql": "evalkit has no SQL validator; use a `python` check",
    "contains-sql": "evalkit has no SQL validator; use a `python` check",
    "is-xml": "evalkit has no XML check; use a `python` check",
    "contains-xml": "evalkit has no XML check; use a `python` check",
    "is-html": "evalkit has no HTML check; use a `python` check",
    "contains-html": "evalkit has no HTML check; use a `python` check",
    "is-refusal": "evalkit has no refusal check; use a `judge` rubric",
    "trace-span-count": "evalkit records no traces",
    "trace-span-duration": "evalkit records no traces",
    "trace-error-spans": "evalkit records no traces",
    "skill-used": "evalkit records no agent skills",
    "trajectory:step-count": "evalkit has no step count; `budget: {turns: N}` limits model turns",
    "search-rubric": "evalkit has no web-search grader; use a `judge` rubric",
    "ruby": "evalkit checks are Python; port it to a `python` check",
}


class NeedsCase(Exception):
    """The assertion's value is a template over the case's vars: map it per case."""


@dataclass(frozen=True)
class MapContext:
    """Where an assertion sits and what it may depend on."""

    origin: Origin
    base_dir: Path  # for file:// values
    vars: dict[str, Any] | None = None  # the case's vars (None: suite level)
    output_parsed: bool = False  # options.transform: JSON.parse(output)
    path: str | None = None  # options.transform: a field of the parsed output
    tools: tuple[str, ...] = ()
    function_call: bool = False  # legacy `functions`: the output is one {name, arguments}
    grader: Any = None  # options.provider (model-graded assertions)


class AssertionMapper:
    """Maps promptfoo assertions of one import; shares its report, pins and check module."""

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

    # entry point

    def map(self, raw: Any, ctx: MapContext, count: bool = True) -> list[Item]:
        """evalkit items for one promptfoo assertion (checks, and comments for what is
        left out). Raises NeedsCase when it must be mapped per case instead."""
        origin = ctx.origin
        try:
            items = self._map(raw, ctx)
        except NeedsCase:
            raise
        except _LeftOut as exc:
            self.report.leave_out(origin, exc.what, exc.fix)
            if count:
                self.report.assertion(False)
            where = origin.relative(ctx.base_dir)
            return [Comment(f"left out: {exc.what} ({where}); {exc.fix}")]
        if count:
            self.report.assertion(any(isinstance(i, dict) for i in items))
        return items

    def _map(self, raw: Any, ctx: MapContext) -> list[Item]:
        if isinstance(raw, dict) and "$ref" in raw:
            raw = self.resolve_ref(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise _LeftOut(f"an assertion without a `type` ({_preview(raw)})", "give it a type")
        extra = sorted(set(raw) - _KNOWN_KEYS)
        if extra:
            self.report.note(
                ctx.origin,
                f"assertion keys {', '.join(extra)} have no evalkit equivalent and were not carried",
            )
        kind = raw["type"]
        negate = kind.startswith("not-")
        base = kind.removeprefix("not-")
        if "metric" in raw:
            self.report.note(
                ctx.origin,
                f"named metric {raw['metric']!r} is not carried (evalkit reports each check by its type and line)",
            )
        path = ctx.path
        if raw.get("transform") is not None:
            path = self.transform(raw["transform"], ctx)
        tool_check = self.tool_name_path(base, raw, ctx, path)
        if tool_check is None and path is not None and _tool_path(path, ctx):
            raise _LeftOut(
                f"`{kind}` on the tool call's {path.lstrip('.')} (a transform into the call)",
                "evalkit checks tool calls with tool_called (name, args subset) and tool_sequence",
            )
        checks = tool_check or self.by_type(base, raw, ctx, path)
        out: list[Item] = []
        weight = raw.get("weight")
        for item in checks:
            if isinstance(item, Comment):
                out.append(item)
                continue
            check = dict(item)
            if (
                path is not None
                and "path" not in check
                and not check["type"].startswith(("tool_", "cost_", "latency_", "finish_"))
            ):
                check["path"] = path
            if negate:
                if check.get("not"):
                    del check["not"]
                else:
                    check["not"] = True
            if weight is not None and weight != 1:
                share = weight / len(checks) if len(checks) > 1 else weight
                check["weight"] = share
            out.append(_ordered(check))
        return out

    def tool_name_path(
        self, base: str, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item] | None:
        """``equals`` on the first tool call's name (a transform to ``output[0].function.name``,
        or ``output.name`` with legacy functions) → ``tool_called``."""
        name_path = (ctx.tools and path == "[0].function.name") or (
            ctx.function_call and path == "name"
        )
        if base != "equals" or not name_path or not isinstance(raw.get("value"), str):
            return None
        self.report.note(
            ctx.origin,
            "approximated: evalkit's tool_called looks at every call, not only the first",
        )
        return [{"type": "tool_called", "name": raw["value"]}]

    def resolve_ref(self, raw: dict[str, Any]) -> dict[str, Any]:
        ref = str(raw["$ref"])
        name = ref.removeprefix("#/assertionTemplates/")
        if name == ref or name not in self.templates:
            known = ", ".join(self.templates) or "none"
            raise _LeftOut(
                f"assertion $ref {ref!r} names no assertionTemplates entry (known: {known})",
                "fix the reference",
            )
        merged = {**self.templates[name], **{k: v for k, v in raw.items() if k != "$ref"}}
        return merged

    def transform(self, code: Any, ctx: MapContext) -> str | None:
        if not isinstance(code, str):
            raise _LeftOut(
                "a transform that is not inline JavaScript", "use `path:` on the evalkit check"
            )
        if code.startswith("file://"):
            raise _LeftOut(
                f"a transform from a file ({code})", "express it as a `path:` or a `python` check"
            )
        object_output = ctx.output_parsed or bool(ctx.tools) or ctx.function_call
        try:
            _, path = transform_path(code, object_output)
        except JsUnsupported as exc:
            if ctx.tools or ctx.function_call:
                raise _LeftOut(
                    f"the transform `{_preview(code)}` into the tool call",
                    "evalkit checks tool calls with tool_called (name, args subset) and tool_sequence",
                ) from None
            raise _LeftOut(
                f"the transform `{_preview(code)}` ({exc})",
                "express it as a `path:` or a `python` check",
            ) from None
        return path

    # values

    def text_value(self, raw: dict[str, Any], ctx: MapContext, what: str = "value") -> str:
        value = raw.get("value")
        if value is None:
            raise _LeftOut(f"`{raw['type']}` without a value", "add the value")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return _js_number(value)
        if not isinstance(value, str):
            raise _LeftOut(f"`{raw['type']}` with a {type(value).__name__} {what}", "give a string")
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
            raise _LeftOut(f"a templated value ({problem.what})", problem.fix)
        try:
            return self._env.from_string(translation.text).render(**ctx.vars)
        except jinja2.TemplateError as exc:
            raise _LeftOut(
                f"a templated value that does not render ({exc})", "check the case's vars"
            ) from None

    def load_file(self, ref: str, ctx: MapContext) -> Any:
        """A ``file://`` value: JSON/YAML parsed, anything else as text."""
        target = (ctx.base_dir / ref.removeprefix("file://")).resolve()
        if not target.is_file():
            raise _LeftOut(f"the file {ref} does not exist", "fix the path")
        text = target.read_text(encoding="utf-8")
        try:
            if target.suffix.lower() == ".json":
                return json.loads(text)
            if target.suffix.lower() in (".yaml", ".yml"):
                return yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise _LeftOut(f"the file {ref} does not parse ({exc})", "fix the file") from None
        return text

    def schema_value(self, raw: dict[str, Any], ctx: MapContext) -> dict[str, Any] | None:
        value = raw.get("value")
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("file://"):
            value = self.load_file(value, ctx)
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else None
            except ValueError:
                try:
                    value = yaml.safe_load(value)
                except yaml.YAMLError:
                    raise _LeftOut(
                        "a JSON schema that is neither JSON nor YAML", "fix the schema"
                    ) from None
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _LeftOut("a JSON schema that is not an object", "fix the schema")
        schema: dict[str, Any] = plain(value)
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise _LeftOut(f"an invalid JSON schema ({exc.message})", "fix the schema") from None
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
                f"grader {_preview(provider)} is not a provider id; judged by {DEFAULT_JUDGE}",
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

    # the types

    def by_type(
        self, base: str, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        handler = getattr(self, "t_" + base.replace("-", "_").replace(":", "_"), None)
        if handler is not None:
            result: list[Item] = handler(raw, ctx, path)
            return result
        if base in _NOT_MAPPED:
            raise _LeftOut(f"`{raw['type']}` assertion", _NOT_MAPPED[base])
        raise _LeftOut(f"unknown assertion type `{raw['type']}`", "write the check by hand")

    def t_equals(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = raw.get("value")
        if isinstance(value, str) and value.startswith("file://"):
            value = self.load_file(value, ctx)
        if isinstance(value, (dict, list)):
            return [{"type": "equals", "value": plain(value)}]
        return [{"type": "equals", "value": self.text_value({**raw, "value": value}, ctx)}]

    def t_contains(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return [{"type": "contains", "value": self.text_value(raw, ctx)}]

    def t_icontains(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return [{"type": "contains", "value": self.text_value(raw, ctx), "ignore_case": True}]

    def values(self, raw: dict[str, Any], ctx: MapContext) -> list[str]:
        value = raw.get("value")
        if isinstance(value, str):
            value = [v.strip() for v in self.render(value, ctx).split(",")]
        if not isinstance(value, list) or not value:
            raise _LeftOut(f"`{raw['type']}` without a list of values", "give a list")
        return [self.text_value({"type": raw["type"], "value": v}, ctx) for v in value]

    def any_of(self, raw: dict[str, Any], ctx: MapContext, ignore_case: bool) -> list[Item]:
        pattern = "|".join(re.escape(v) for v in self.values(raw, ctx))
        check: Check = {"type": "regex", "value": f"(?:{pattern})"}
        if ignore_case:
            check["ignore_case"] = True
        return [check]

    def t_contains_any(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return self.any_of(raw, ctx, ignore_case=False)

    def t_icontains_any(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return self.any_of(raw, ctx, ignore_case=True)

    def all_of(self, raw: dict[str, Any], ctx: MapContext, ignore_case: bool) -> list[Item]:
        values = self.values(raw, ctx)
        if raw["type"].startswith("not-"):
            # "not all of them": one check, so the negation applies to the whole set
            lookaheads = "".join(f"(?=.*?{re.escape(v)})" for v in values)
            check: Check = {"type": "regex", "value": f"(?s)\\A{lookaheads}"}
            if ignore_case:
                check["ignore_case"] = True
            return [check]
        checks: list[Item] = []
        for value in values:
            item: Check = {"type": "contains", "value": value}
            if ignore_case:
                item["ignore_case"] = True
            checks.append(item)
        return checks

    def t_contains_all(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return self.all_of(raw, ctx, ignore_case=False)

    def t_icontains_all(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return self.all_of(raw, ctx, ignore_case=True)

    def t_starts_with(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return [{"type": "starts_with", "value": self.text_value(raw, ctx)}]

    def t_regex(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = self.text_value(raw, ctx)
        try:
            pattern, _ = js_regex_to_python(value, "")
        except JsUnsupported as exc:
            raise _LeftOut(
                f"the regex {value!r} ({exc})", "rewrite it in Python's syntax"
            ) from None
        return [{"type": "regex", "value": pattern}]

    def t_is_json(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        schema = self.schema_value(raw, ctx)
        if schema is None and (ctx.tools or ctx.function_call) and path is None:
            raise _LeftOut(
                "`is-json` on a provider with tools (promptfoo's output is the tool-call object there)",
                "check the calls with tool_called and tool_args_valid",
            )
        if schema is None:
            return [{"type": "is_json"}]
        return [{"type": "json_schema", "value": schema}]

    def t_contains_json(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        schema = self.schema_value(raw, ctx)
        body = ["found = js.contains_json(obs.text)"]
        imports: set[str] = set()
        if schema is None:
            body.append(
                'return bool(found), "JSON found in the output" if found else "no JSON in the output"'
            )
        else:
            name = self.module.constant("schema", schema)
            imports.add("jsonschema")
            body += [
                f"validator = jsonschema.Draft202012Validator({name})",
                "ok = any(validator.is_valid(item) for item in found)",
                'return ok, "JSON matching the schema found" if ok else f"no JSON matching the schema in {len(found)} JSON value(s) found"',
            ]
        ref = self.module.add(
            "contains_json", ctx.origin, "`contains-json` assertion", body, imports
        )
        return [{"type": "python", "fn": ref}]

    def t_python(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = raw.get("value")
        if not isinstance(value, str) or not value.strip():
            raise _LeftOut("a `python` assertion without code", "add the code")
        scored = raw.get("threshold") is not None
        config = raw.get("config") or {}
        config_arg = f", {self.module.constant('config', config)}" if config else ""
        check: Check = {"type": "python"}
        if scored:
            check["threshold"] = raw["threshold"]
        if value.startswith("file://"):
            target, _, function = value.removeprefix("file://").partition(":")
            source = (ctx.base_dir / target).resolve()
            if source.suffix != ".py" or not source.is_file():
                raise _LeftOut(f"the python assertion file {target} does not exist", "fix the path")
            function = function or "get_assert"
            if not function.isidentifier():
                raise _LeftOut(f"python function name {function!r}", "use a plain function name")
            module = self.module.copy_user_file(source)
            alias = self.module.alias(module)
            output = "value" if (ctx.output_parsed or path is not None) else "obs.text"
            body = [
                f"result = {alias}.{function}({output}, js.context(obs{config_arg}))",
                f"return js.python_result(result{', scored=True' if scored else ''})",
            ]
            self.report.note(
                ctx.origin,
                f"{target} is copied into {module.replace('.', '/')}.py; its function gets the output text and a "
                "context with vars and config (context['prompt'] is None in evalkit)",
            )
            check["fn"] = self.module.add(
                "python", ctx.origin, f"`python` assertion {target}:{function}", body, {module}
            )
            return [check]
        code = value.rstrip()
        inner = f"return {code.strip()}" if "\n" not in code.strip() else code
        try:
            compile("def _f(output, context):\n" + _indent(inner, 4), "<assertion>", "exec")
        except SyntaxError as exc:
            raise _LeftOut(
                f"inline python that does not compile ({exc.msg})", "fix the code"
            ) from None
        body = [
            "output = value" if (ctx.output_parsed or path is not None) else "output = obs.text",
            f"context = js.context(obs{config_arg})",
            "",
            "def assertion(output, context):",
            *[f"    {line}" if line.strip() else "" for line in _dedent(inner).split("\n")],
            "",
            f"return js.python_result(assertion(output, context){', scored=True' if scored else ''})",
        ]
        check["fn"] = self.module.add(
            "python",
            ctx.origin,
            "`python` assertion (inline code, copied as written)",
            body,
            {"json", "math", "re"},
        )
        return [check]

    def t_javascript(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = raw.get("value")
        if not isinstance(value, str) or not value.strip():
            raise _LeftOut("a `javascript` assertion without code", "add the code")
        if value.startswith("file://"):
            raise _LeftOut(
                f"a javascript assertion file ({value})",
                "port its function to a `python` check (fn: module:function)",
            )
        code = self.render(value, ctx) if ("{{" in value and ctx.vars is not None) else value
        if "{{" in code:
            raise NeedsCase
        scored = raw.get("threshold") is not None
        js_ctx = JsContext(
            output_parsed=ctx.output_parsed or path is not None,
            tools=ctx.tools,
            scored=scored,
            path=path,
            function_call=ctx.function_call,
        )
        try:
            translation = translate(code, js_ctx)
        except JsUnsupported as exc:
            raise _LeftOut(
                f"javascript `{_preview(code)}` ({exc})",
                "write it as a `python` check (fn: module:function)",
            ) from None
        for note in translation.notes:
            self.report.note(ctx.origin, note)
        if translation.checks:
            return list(translation.checks)
        check: Check = {"type": "python"}
        if scored:
            check["threshold"] = raw["threshold"]
        check["fn"] = self.module.add(
            "js",
            ctx.origin,
            "`javascript` assertion",
            translation.body,
            translation.imports,
            detail=code.strip(),
        )
        return [check]

    def t_similar(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        if isinstance(raw.get("value"), list):
            raise _LeftOut(
                "`similar` against a list of values (passes when any is similar)",
                "keep the closest reference value, or add one `similar` per value in a variant",
            )
        check: Check = {"type": "similar", "value": self.text_value(raw, ctx)}
        check["threshold"] = raw.get("threshold", 0.75)
        check["model"] = self.embedding_model(raw, ctx)
        return [check]

    t_similar_cosine = t_similar

    def t_llm_rubric(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = raw.get("value")
        if isinstance(value, str) and value.startswith("file://"):
            value = self.load_file(value, ctx)
        if not isinstance(value, str):
            raise _LeftOut("an `llm-rubric` whose rubric is not text", "write the rubric as text")
        check: Check = {
            "type": "judge",
            "rubric": self.render(value, ctx),
            "model": self.judge_model(raw, ctx),
        }
        if raw.get("threshold") is not None:
            check["threshold"] = raw["threshold"]
        return [check]

    def t_model_graded_closedqa(
        self, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        self.report.note(ctx.origin, "model-graded-closedqa's criterion becomes the judge's rubric")
        return self.t_llm_rubric(raw, ctx, path)

    def t_factuality(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        reference = self.text_value(raw, ctx)
        self.report.note(
            ctx.origin,
            "factuality is approximated by a judge rubric (promptfoo grades five categories of agreement)",
        )
        rubric = (
            "The output is factually consistent with this reference answer: it may add or omit "
            f"detail but must not contradict it. Reference: {reference}"
        )
        return self.t_llm_rubric({**raw, "value": rubric}, ctx, path)

    def t_cost(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        if raw.get("threshold") is None:
            raise _LeftOut(
                "`cost` without a threshold (a metric only)",
                "evalkit reports cost per case in its results anyway",
            )
        return [{"type": "cost_usd", "max": raw["threshold"]}]

    def t_latency(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        if raw.get("threshold") is None:
            raise _LeftOut(
                "`latency` without a threshold",
                "evalkit reports latency per case in its results anyway",
            )
        return [{"type": "latency_ms", "max": raw["threshold"]}]

    def t_finish_reason(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        return [{"type": "finish_reason", "value": self.text_value(raw, ctx)}]

    def t_levenshtein(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = self.text_value(raw, ctx)
        threshold = raw.get("threshold", 5)
        name = self.module.constant("expected", value)
        body = [
            f"distance = js.levenshtein(obs.text, {name})",
            f'return distance <= {literal(threshold)}, f"Levenshtein distance {{distance}} (at most {literal(threshold)})"',
        ]
        ref = self.module.add("levenshtein", ctx.origin, "`levenshtein` assertion", body, set())
        return [{"type": "python", "fn": ref}]

    def t_word_count(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        value = raw.get("value")
        low: Any
        high: Any
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low = high = value
        elif isinstance(value, dict) and ({"min", "max"} & set(value)):
            low, high = value.get("min"), value.get("max")
        else:
            raise _LeftOut("`word-count` without a number or {min, max}", "give the bounds")
        body = [
            "words = len(obs.text.split())",
            f"low, high = {literal(low)}, {literal(high)}",
            "ok = (low is None or words >= low) and (high is None or words <= high)",
            "return ok, f\"{words} words (expected {low if low is not None else 0} to {high if high is not None else 'any'})\"",
        ]
        ref = self.module.add("word_count", ctx.origin, "`word-count` assertion", body, set())
        return [{"type": "python", "fn": ref}]

    # tools

    def needs_tools(self, raw: dict[str, Any], ctx: MapContext) -> None:
        if not ctx.tools:
            raise _LeftOut(
                f"`{raw['type']}` on a provider without tools",
                "add `tools:` to the suite, then the tool checks",
            )

    def t_is_valid_openai_tools_call(
        self, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        self.needs_tools(raw, ctx)
        return [{"type": "tool_args_valid"}]

    t_is_valid_function_call = t_is_valid_openai_tools_call
    t_is_valid_openai_function_call = t_is_valid_openai_tools_call

    def t_tool_call_f1(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        self.needs_tools(raw, ctx)
        threshold = raw.get("threshold", 1.0)
        if threshold < 1:
            raise _LeftOut(
                f"`tool-call-f1` with threshold {threshold} (partial credit)",
                "evalkit's tool checks pass or fail; list the calls that must happen with tool_called",
            )
        self.report.note(
            ctx.origin,
            "tool-call-f1 became one tool_called per expected tool; extra calls are not penalized",
        )
        return [{"type": "tool_called", "name": name} for name in self.values(raw, ctx)]

    def t_trajectory_tool_used(
        self, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        self.needs_tools(raw, ctx)
        value = raw.get("value")
        if isinstance(value, str):
            return [{"type": "tool_called", "name": value}]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [{"type": "tool_called", "name": v} for v in value]
        if isinstance(value, dict) and isinstance(value.get("pattern") or value.get("name"), str):
            name = value.get("name") or value["pattern"]
            if any(c in name for c in "*?["):
                raise _LeftOut(f"trajectory:tool-used with the pattern {name!r}", "name the tools")
            low, high = value.get("min", 1), value.get("max")
            if high is not None and high == low:
                return [{"type": "tool_called", "name": name, "times": low}]
            if low == 1 and high is None:
                return [{"type": "tool_called", "name": name}]
            raise _LeftOut(
                "trajectory:tool-used with a min/max range", "use `times` for an exact count"
            )
        raise _LeftOut("trajectory:tool-used with an unexpected value", "write tool_called checks")

    def t_trajectory_tool_args_match(
        self, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        self.needs_tools(raw, ctx)
        value = raw.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise _LeftOut(
                "trajectory:tool-args-match without a tool name", "write a tool_called check"
            )
        if (
            value.get("mode", "partial") != "partial"
            or value.get("defaults")
            or value.get("ignore")
        ):
            raise _LeftOut(
                "trajectory:tool-args-match in exact mode (or with defaults/ignore)",
                "evalkit's tool_called matches args as a subset",
            )
        args = value.get("args", value.get("arguments"))
        if not isinstance(args, dict):
            raise _LeftOut("trajectory:tool-args-match without args", "add the args")
        return [{"type": "tool_called", "name": value["name"], "args": plain(args)}]

    def t_trajectory_tool_sequence(
        self, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        self.needs_tools(raw, ctx)
        value = raw.get("value")
        steps, mode = (value, "in_order") if isinstance(value, list) else (None, None)
        if isinstance(value, dict):
            steps, mode = value.get("steps"), value.get("mode", "in_order")
        if (
            not isinstance(steps, list)
            or not all(isinstance(s, str) for s in steps)
            or mode not in ("in_order", "exact")
        ):
            raise _LeftOut(
                "trajectory:tool-sequence with unexpected steps", "write a tool_sequence check"
            )
        return [{"type": "tool_sequence", "names": steps, "order": mode}]

    def t_assert_set(self, raw: dict[str, Any], ctx: MapContext, path: str | None) -> list[Item]:
        if raw.get("threshold") is not None:
            raise _LeftOut(
                "an assert-set with a threshold (passes when a share of its assertions pass)",
                "evalkit checks each assertion; keep the ones that must pass",
            )
        children = raw.get("assert")
        if not isinstance(children, list):
            raise _LeftOut("an assert-set without assertions", "list them")
        out: list[Item] = []
        for child in children:
            out += self.map(child, ctx, count=False)
        return out


def _tool_path(path: str, ctx: MapContext) -> bool:
    """A path into promptfoo's tool-call output rather than into an answer."""
    if ctx.tools and path.startswith("[0].function"):
        return True
    return ctx.function_call and path.split(".")[0] in ("name", "arguments")


class _LeftOut(Exception):
    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what = what
        self.fix = fix


def _ordered(check: Check) -> Check:
    """type first, then path, then the rest: how evalkit's docs write assertions."""
    order = ["type", "path"]
    head = {k: check[k] for k in order if k in check}
    return {**head, **{k: v for k, v in check.items() if k not in head}}


def _preview(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _js_number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _indent(text: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line) if line.strip() else "" for line in text.split("\n"))


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def assertion_from_string(expected: str) -> dict[str, Any]:
    """A CSV ``__expected`` cell → a promptfoo assertion (promptfoo's own rules)."""
    text = expected.strip()
    for prefix in ("javascript:", "fn:", "eval:"):
        if text.startswith(prefix):
            return {"type": "javascript", "value": text[len(prefix) :].strip()}
    if text.startswith("grade:") or text.startswith("llm-rubric:"):
        return {"type": "llm-rubric", "value": text.split(":", 1)[1].strip()}
    if text.startswith("python:"):
        return {"type": "python", "value": text[len("python:") :].strip()}
    if text.startswith("file://") and (text.endswith(".py") or ".py:" in text):
        return {"type": "python", "value": text}
    if text.startswith("file://") and re.search(r"\.(js|ts|mjs|cjs)(:|$)", text):
        return {"type": "javascript", "value": text}
    match = _ASSERTION_STRING.match(text)
    if match and (match.group(4) is not None or match.group(2) in _NO_VALUE_TYPES):
        negate, kind, threshold, value = match.groups()
        if kind in _STRING_TYPES:
            full = f"{negate or ''}{kind}"
            out: dict[str, Any] = {"type": full}
            value = (value or "").strip() if kind not in ("equals",) else (value or "")
            if kind in ("contains-all", "contains-any", "icontains-all", "icontains-any"):
                out["value"] = [v.strip() for v in value.split(",")]
            elif value != "":
                out["value"] = value
            if kind in _THRESHOLD_TYPES:
                out["threshold"] = (
                    float(threshold) if threshold else (0.8 if kind == "similar" else 0.75)
                )
            return out
    return {"type": "equals", "value": expected}


_NO_VALUE_TYPES = {"is-json", "contains-json", "is-valid-openai-tools-call", "is-xml", "is-sql"}
_THRESHOLD_TYPES = {
    "similar",
    "levenshtein",
    "cost",
    "latency",
    "starts-with",
    "rouge-n",
    "perplexity",
    "perplexity-score",
    "answer-relevance",
    "classifier",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
}
_STRING_TYPES = {
    "equals",
    "contains",
    "icontains",
    "contains-all",
    "contains-any",
    "icontains-all",
    "icontains-any",
    "starts-with",
    "regex",
    "is-json",
    "contains-json",
    "similar",
    "llm-rubric",
    "model-graded-closedqa",
    "factuality",
    "levenshtein",
    "cost",
    "latency",
    "finish-reason",
    "is-valid-openai-tools-call",
    "python",
    "javascript",
    "answer-relevance",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "rouge-n",
    "perplexity",
    "perplexity-score",
    "classifier",
    "is-xml",
    "is-sql",
    "webhook",
    "word-count",
    "moderation",
}


_ASSERTION_STRING = re.compile(
    r"^(not-)?("
    + "|".join(re.escape(t) for t in sorted(_STRING_TYPES, key=len, reverse=True))
    + r")(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$"
)
