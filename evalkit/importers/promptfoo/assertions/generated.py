"""promptfoo assertions evalkit has no check type for → generated ``python`` checks.

``contains-json``, ``levenshtein``, ``word-count`` and promptfoo ``python`` assertions
(inline code, or ``file://x.py:fn``, copied into the project) become one function each in
the import's checks module (:mod:`..checkmodule`), following promptfoo's rule for each
(the helpers they call are copied in with them: :mod:`..helpers`). Values from the config
are module constants of plain data, never code.
"""

from __future__ import annotations

import textwrap
from typing import Any

from ....errors import NotCarried
from ..checkmodule import literal
from .common import Check, Item, MapContext
from .values import ValueReader

Raw = dict[str, Any]


def contains_json(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    schema = m.schema_value(raw, ctx)
    body = ["found = contains_json(obs.text)"]
    imports: set[str] = set()
    if schema is None:
        body.append(
            'return bool(found), "JSON found in the output" if found else "no JSON in the output"'
        )
    else:
        name = m.module.constant("schema", schema)
        imports.add("jsonschema")
        body += [
            f"validator = jsonschema.Draft202012Validator({name})",
            "ok = any(validator.is_valid(item) for item in found)",
            'return ok, "JSON matching the schema found" if ok else f"no JSON matching the schema in {len(found)} JSON value(s) found"',
        ]
    ref = m.module.add(
        "contains_json",
        ctx.origin,
        "`contains-json` assertion",
        body,
        imports,
        helpers=frozenset({"contains_json"}),
    )
    return [{"type": "python", "fn": ref}]


def levenshtein(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    value = m.text_value(raw, ctx)
    threshold = raw.get("threshold", 5)
    name = m.module.constant("expected", value)
    body = [
        f"distance = levenshtein(obs.text, {name})",
        f'return distance <= {literal(threshold)}, f"Levenshtein distance {{distance}} (at most {literal(threshold)})"',
    ]
    ref = m.module.add(
        "levenshtein",
        ctx.origin,
        "`levenshtein` assertion",
        body,
        set(),
        helpers=frozenset({"levenshtein"}),
    )
    return [{"type": "python", "fn": ref}]


def word_count(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    value = raw.get("value")
    low: Any
    high: Any
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, dict) and ({"min", "max"} & set(value)):
        low, high = value.get("min"), value.get("max")
    else:
        raise NotCarried("`word-count` without a number or {min, max}", "give the bounds")
    body = [
        "words = word_count(obs.text)",
        f"low, high = {literal(low)}, {literal(high)}",
        "ok = (low is None or words >= low) and (high is None or words <= high)",
        "return ok, f\"{words} words (expected {low if low is not None else 0} to {high if high is not None else 'any'})\"",
    ]
    ref = m.module.add(
        "word_count",
        ctx.origin,
        "`word-count` assertion",
        body,
        set(),
        helpers=frozenset({"word_count"}),
    )
    return [{"type": "python", "fn": ref}]


def python(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    value = raw.get("value")
    if not isinstance(value, str) or not value.strip():
        raise NotCarried("a `python` assertion without code", "add the code")
    scored = raw.get("threshold") is not None
    config = raw.get("config") or {}
    config_arg = f", {m.module.constant('config', config)}" if config else ""
    result = "promptfoo_result({}" + (", scored=True)" if scored else ")")
    helpers = frozenset({"promptfoo_context", "promptfoo_result"})
    check: Check = {"type": "python"}
    if scored:
        check["threshold"] = raw["threshold"]
    output = "value" if (ctx.output_parsed or path is not None) else "obs.text"
    if value.startswith("file://"):
        target, _, function = value.removeprefix("file://").partition(":")
        source = (ctx.base_dir / target).resolve()
        if source.suffix != ".py" or not source.is_file():
            raise NotCarried(f"the python assertion file {target} does not exist", "fix the path")
        function = function or "get_assert"
        if not function.isidentifier():
            raise NotCarried(f"python function name {function!r}", "use a plain function name")
        module = m.module.copy_user_file(source)
        alias = m.module.alias(module)
        body = [
            f"result = {alias}.{function}({output}, promptfoo_context(obs{config_arg}))",
            "return " + result.format("result"),
        ]
        m.report.note(
            ctx.origin,
            f"{target} is copied into {module.replace('.', '/')}.py; its function gets the output text and a "
            "context with vars and config (context['prompt'] is None in evalkit)",
        )
        check["fn"] = m.module.add(
            "python",
            ctx.origin,
            f"`python` assertion {target}:{function}",
            body,
            {module},
            helpers=helpers,
        )
        return [check]
    code = value.rstrip()
    inner = f"return {code.strip()}" if "\n" not in code.strip() else code
    try:
        compile("def _f(output, context):\n" + _indent(inner, 4), "<assertion>", "exec")
    except SyntaxError as exc:
        raise NotCarried(
            f"inline python that does not compile ({exc.msg})", "fix the code"
        ) from None
    body = [
        f"output = {output}",
        f"context = promptfoo_context(obs{config_arg})",
        "",
        "def assertion(output, context):",
        *[f"    {line}" if line.strip() else "" for line in _dedent(inner).split("\n")],
        "",
        "return " + result.format("assertion(output, context)"),
    ]
    check["fn"] = m.module.add(
        "python",
        ctx.origin,
        "`python` assertion (inline code, copied as written)",
        body,
        {"json", "math", "re"},
        helpers=helpers,
    )
    return [check]


def _indent(text: str, spaces: int) -> str:
    return "\n".join((" " * spaces + line) if line.strip() else "" for line in text.split("\n"))


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


HANDLERS = {
    "contains-json": contains_json,
    "levenshtein": levenshtein,
    "word-count": word_count,
    "python": python,
}
