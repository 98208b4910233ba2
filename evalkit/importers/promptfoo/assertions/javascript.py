"""promptfoo ``javascript`` assertions → one native evalkit check when the code is exactly one
(:mod:`.jsmatch`), else evalkit's ``javascript`` check with the code unchanged.

The ``javascript`` check runs promptfoo's code in a sandbox by promptfoo's own rules
(``output``, ``context.vars``, ``context.config``; true/false, a score, ``{pass, score,
reason}``), so nothing is translated. What the importer still does:

- ``{{ var }}`` templates become ``context.vars.var`` where that is certain to mean the
  same (:mod:`.jstemplates`), per case; the rest is left out;
- a case transform ``JSON.parse(output)`` is applied first in the code (``output =
  JSON.parse(output);``), a transform to a field becomes the check's ``path``; with a suite
  ``schema`` the check hands the parsed output over itself, as promptfoo does;
- ``threshold`` is carried when it is in [0, 1] (evalkit's range; promptfoo allows more, and
  such an assertion is left out with the reason), ``config`` becomes the check's
  ``config``; ``not-`` and ``weight`` are the mapper's;
- what the sandbox refuses at load (``require``, ``import``, ``process``, ``fetch``, timers,
  ``await`` outside an async function) and code that does not parse are left out with the
  check's own message, as are ``file://`` scripts (the check runs inline code only); on a
  suite with tools, code that reads promptfoo's tool-call output is left out too (the check
  sees the answer's text), except the two shapes ``tool_called`` expresses.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ....checks import ArgumentError
from ....checks.jsengine import syntax_error
from ....checks.jssource import function_body, prepare
from ....errors import NeedsCase, NotCarried
from ...sources import plain
from .common import Check, Item, MapContext, join_path, preview
from .jsmatch import Output, native, reads_tool_calls, tool_call
from .jstemplates import TemplateLeftOut, carry, has_templates
from .values import ValueReader

PORT = "port it to a `python` check (fn: module:function), or rewrite it for the sandbox"


def javascript(
    m: ValueReader, raw: dict[str, Any], ctx: MapContext, path: str | None
) -> list[Item]:
    value = raw.get("value")
    if not isinstance(value, str) or not value.strip():
        raise NotCarried("a `javascript` assertion without code", "add the code")
    if value.startswith(("file://", "package:")):
        raise NotCarried(
            f"a javascript assertion from a file ({value})",
            "the javascript check runs inline code only: put the function's body in `value`, "
            "or port it to a `python` check",
        )
    if has_templates(value) and ctx.vars is None:
        raise NeedsCase
    try:
        carried = carry(value, ctx.vars or {})
    except TemplateLeftOut as exc:
        raise NotCarried(f"javascript `{preview(value)}`: {exc.what}", exc.fix) from None
    negated = raw["type"].startswith("not-")
    output = Output(
        parsed=ctx.output_parsed and path is None,
        at_path=path is not None,
        tools=ctx.tools,
        function_call=ctx.function_call,
    )
    threshold = raw.get("threshold")
    if ctx.tools or ctx.function_call:
        found = tool_call(carried.rendered or carried.code, output) if not negated else None
        if found is not None:
            m.report.note(ctx.origin, found.note or "")
            return [found.check]
        if reads_tool_calls(carried.code):
            raise NotCarried(
                f"javascript `{preview(value)}` reads promptfoo's tool-call output",
                "the javascript check sees the answer's text; check calls with tool_called "
                "(name, args) and tool_sequence",
            )
    if carried.rendered is not None:
        found = native(carried.rendered, output, negated)
        if found is not None:
            check = dict(found.check)
            full = join_path(path, check.pop("path", None))
            if full is not None:
                check["path"] = full
            if threshold is not None:
                m.report.note(
                    ctx.origin,
                    f"threshold {threshold} not carried: it applies to a returned number, "
                    "and this code returns true or false",
                )
            return [check]
    check = javascript_check(carried.code, ctx, path, threshold, raw.get("config"))
    if carried.code != value:
        m.report.note(ctx.origin, "`{{ var }}` in the javascript became context.vars.var")
    return [check]


def javascript_check(
    code: str, ctx: MapContext, path: str | None, threshold: Any, config: Any
) -> Check:
    """A ``{type: javascript}`` check for ``code``, validated as ``evalkit check`` will."""
    if ctx.output_parsed and path is None and not ctx.schema:
        code = "output = JSON.parse(output);\n" + function_body(code)
    check: Check = {"type": "javascript", "value": code}
    if threshold is not None:
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, (int, float))
            or not math.isfinite(threshold)
            or not 0 <= threshold <= 1
        ):
            raise NotCarried(
                f"javascript `{preview(code)}` with threshold {threshold!r} (evalkit's "
                "thresholds are in [0, 1]; promptfoo compares the returned number with it)",
                f"scale the code's score into [0, 1] (e.g. divide it by {threshold}) and use "
                "threshold 1",
            )
        check["threshold"] = threshold
    if config is not None:
        try:
            json.dumps(plain(config), allow_nan=False)
        except ValueError:
            raise NotCarried("a javascript `config` that is not JSON", "fix the config") from None
        if not isinstance(config, dict):
            raise NotCarried("a javascript `config` that is not a mapping", "fix the config")
        check["config"] = plain(config)
    try:
        source = prepare(code)
    except ArgumentError as exc:
        raise NotCarried(f"javascript `{preview(code)}` ({_said(exc)})", PORT) from None
    error = syntax_error(source.body)
    if error is not None:
        raise NotCarried(f"javascript `{preview(code)}` does not parse ({error})", "fix the code")
    return check


def _said(exc: ArgumentError) -> str:
    return str(exc).removeprefix("javascript: ")


HANDLERS = {"javascript": javascript}
