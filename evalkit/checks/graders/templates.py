"""Grader templates: ``{{ item.x }}`` and ``{{ sample.output_text }}``, rendered by Jinja.

OpenAI's graders substitute ``{{ namespace.variable }}`` with two namespaces (its graders
guide, "Templating"): ``item`` (a row of the eval's data) and ``sample`` (what the model
answered: ``output_text``; ``output_json``, "only if response_format is included";
``output_tools``, the chat tool calls; ``choices``; ``output_audio``). Nested values are
reached with a JSON-path-like syntax (``{{ sample.output_tools[0].function.name }}``),
which is Jinja's own attribute and subscript syntax.

In evalkit ``item`` is the case's vars (suite vars, then the case's), and ``sample`` is the
case's output: ``output_json`` is the parsed output whenever it is JSON (evalkit has no
per-request ``response_format`` to ask about); when it is not JSON, using it fails the check
saying so. evalkit records no audio, so ``output_audio`` is a load-time error.

Rules:

- Rendering runs in Jinja's immutable sandbox with ``StrictUndefined``: a template is data
  from an exported file, and a missing field fails the check naming it, never renders "".
- A value that is not a string renders as JSON (``{"a": 1}``, ``true``, ``null``), as
  OpenAI's JSON world would show it, not as a Python repr.
- A template holds only what OpenAI's do: text and ``{{ }}`` substitutions of a name, its
  attributes and its ``[index]`` or ``['key']`` items. No statements, filters, calls or
  operators: a template is untrusted, and ``{{ "x" * 10**10 }}`` or nested loops would
  exhaust the run even inside the sandbox.
- At load time a template must parse, keep to that subset, use no names but ``item`` and
  ``sample``, and name only sample fields that exist, so those mistakes are ``file:line``
  errors.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .. import CheckFailed, Observation, preview

NAMESPACES = ("item", "sample")
SAMPLE_FIELDS = ("output_text", "output_json", "output_tools", "choices")
MAX_TEMPLATE_CHARS = 100_000
MAX_RENDERED_CHARS = 1_000_000


def _as_text(value: Any) -> Any:
    if isinstance(value, (str, jinja2.Undefined)):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)


class _Node(dict[str, Any]):
    """A mapping that knows where it is (``item.nested``), so a missing field is named in
    full. The attribute starts with ``_``, which the sandbox never lets a template read."""

    _where: str = ""


def _tracked(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        node = _Node((str(k), _tracked(v, f"{where}.{k}")) for k, v in value.items())
        node._where = where
        return node
    if isinstance(value, list):
        return [_tracked(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


class _Missing(jinja2.StrictUndefined):
    """StrictUndefined whose message names the whole path and what is there instead."""

    @property
    def _undefined_message(self) -> str:
        obj = self._undefined_obj
        if not self._undefined_hint and isinstance(obj, _Node):
            keys = ", ".join(list(obj)[:20]) or "no fields"
            return f"{obj._where}.{self._undefined_name} is missing ({obj._where} has: {keys})"
        if not self._undefined_hint and isinstance(obj, list):
            return f"no item [{self._undefined_name}] (the list has {len(obj)})"
        return str(super()._undefined_message)


class _JsonPaths(ImmutableSandboxedEnvironment):
    """``.x`` and ``[k]`` read JSON: a mapping's key (``item.keys`` is the field "keys",
    not the dict method) or a list's item; nothing else has attributes."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self.getitem(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, jinja2.Undefined):
            return obj  # the first missing link is the one to report
        if isinstance(obj, dict) and isinstance(argument, str) and argument in obj:
            return obj[argument]
        if (
            isinstance(obj, list)
            and isinstance(argument, int)
            and not isinstance(argument, bool)
            and -len(obj) <= argument < len(obj)
        ):
            return obj[argument]
        return self.undefined(obj=obj, name=argument)


# evalkit/prompts.py keeps its environment private and bound to a prompts folder and the
# {% message %} extension; grader fields are plain strings, so they get their own.
_ENV = _JsonPaths(
    undefined=_Missing,
    autoescape=False,
    keep_trailing_newline=True,
    finalize=_as_text,
)


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def check_template(text: str) -> str:
    """``text`` when it is a usable grader template; ValueError saying why not."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise ValueError(f"a template is at most {MAX_TEMPLATE_CHARS} characters")
    try:
        tree = _ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template {preview(text, 60)!r}: {exc.message}") from None
    except RecursionError:
        raise ValueError(f"template {preview(text, 60)!r} nests too deeply") from None
    _only_substitutions(tree, text)
    unknown = sorted(meta.find_undeclared_variables(tree) - set(NAMESPACES))
    if unknown:
        raise ValueError(
            f"template {preview(text, 60)!r} uses {', '.join(unknown)}: the only namespaces "
            "are item (the case's vars) and sample (the output)"
        )
    for name in _sample_fields(tree):
        if name == "output_audio":
            raise ValueError("sample.output_audio: evalkit records no audio output")
        if name not in SAMPLE_FIELDS:
            raise ValueError(f"sample.{name} does not exist: sample has {', '.join(SAMPLE_FIELDS)}")
    try:
        _compiled(text)
    except (jinja2.TemplateError, RecursionError) as exc:
        raise ValueError(f"template {preview(text, 60)!r}: {exc}") from None
    return text


def _only_substitutions(tree: nodes.Template, text: str) -> None:
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            raise ValueError(
                f"template {preview(text, 60)!r}: {{% {type(statement).__name__.lower()} %}} is "
                "not allowed; grader templates hold {{ item.x }} and {{ sample.y }} only"
            )
        for node in statement.nodes:
            if not isinstance(node, nodes.TemplateData):
                _check_path(node, text)


def _check_path(node: nodes.Node, text: str) -> None:
    """``node`` is ``name``, ``x.attr``, ``x[0]`` or ``x['key']``, recursively."""
    if isinstance(node, nodes.Name):
        return
    if isinstance(node, nodes.Getattr):
        _check_path(node.node, text)
        return
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, (str, int))
        and not isinstance(node.arg.value, bool)
    ):
        _check_path(node.node, text)
        return
    raise ValueError(
        f"template {preview(text, 60)!r}: only substitutions such as {{{{ item.x }}}}, "
        "{{ sample.output_json.y }} or {{ sample.output_tools[0].function.name }} are "
        f"allowed, not a {type(node).__name__.lower()}"
    )


def _sample_fields(tree: nodes.Template) -> list[str]:
    found: list[str] = []
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "sample":
            found.append(node.attr)
    for item in tree.find_all(nodes.Getitem):
        if not (isinstance(item.node, nodes.Name) and item.node.name == "sample"):
            continue
        if isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            found.append(item.arg.value)
    return found


@dataclass(frozen=True)
class Namespaces:
    """What a grader's templates (and a Python grader) see of one sample."""

    item: dict[str, Any]
    output_text: str
    output_json: Any = None
    json_error: str | None = None  # why output_json is missing, when the output is not JSON
    output_tools: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None

    @classmethod
    def of(cls, obs: Observation) -> Namespaces:
        try:
            parsed, problem = obs.parsed, None
        except CheckFailed as exc:
            parsed, problem = None, str(exc)
        tools = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in obs.tool_calls
        ]
        return cls(
            item=dict(obs.vars),
            output_text=obs.text,
            output_json=parsed,
            json_error=problem,
            output_tools=tools,
            finish_reason=obs.finish_reason,
        )

    @property
    def choices(self) -> list[dict[str, Any]]:
        message: dict[str, Any] = {"role": "assistant", "content": self.output_text}
        if self.output_tools:
            message["tool_calls"] = self.output_tools
        return [{"index": 0, "message": message, "finish_reason": self.finish_reason}]

    def sample(self) -> dict[str, Any]:
        """The sample as plain data (a Python grader's first argument). ``output_json`` is
        None when the output is not JSON."""
        return {
            "output_text": self.output_text,
            "output_json": self.output_json,
            "output_tools": self.output_tools,
            "choices": self.choices,
        }

    def for_templates(self) -> dict[str, Any]:
        sample = _tracked(self.sample(), "sample")
        if self.json_error is not None:
            sample["output_json"] = _ENV.undefined(
                hint=f"sample.output_json: {self.json_error}", name="output_json"
            )
        return {"item": _tracked(self.item, "item"), "sample": sample}


def render(text: str, ns: Namespaces, where: str) -> str:
    """``text`` with its templates filled in; CheckFailed naming ``where`` (the field) and
    what was missing."""
    if "{" not in text:
        return text
    try:
        out = _compiled(text).render(ns.for_templates())
    except jinja2.UndefinedError as exc:
        raise CheckFailed(f"{where}: {exc.message} (in {preview(text, 80)!r})") from None
    except SecurityError as exc:
        raise CheckFailed(f"{where}: blocked by the template sandbox: {exc}") from None
    except (jinja2.TemplateError, RecursionError) as exc:
        raise CheckFailed(f"{where}: template error: {exc}") from None
    except Exception as exc:  # a filter raised on a value: still this template's failure
        raise CheckFailed(f"{where}: rendering failed: {type(exc).__name__}: {exc}") from None
    if len(out) > MAX_RENDERED_CHARS:
        raise CheckFailed(f"{where}: renders to more than {MAX_RENDERED_CHARS} characters")
    return out
