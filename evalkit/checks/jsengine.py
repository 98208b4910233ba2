"""The JavaScript sandbox: one fresh QuickJS context (quickjs-ng) per evaluation.

Rules:

- **Fresh and bounded.** Every evaluation gets its own context (a QuickJS runtime of its
  own: nothing one case leaves behind is seen by the next), with a memory limit, a CPU-time
  limit and a stack limit (:data:`MEMORY_LIMIT`, :data:`TIME_LIMIT_S`, :data:`STACK_LIMIT`).
  A loop that never ends or an allocation that never stops ends *that* evaluation with a
  :class:`Failure` (``timed out after 1 s``, ``out of memory``); it never hangs the run.
  The context is created, used and dropped inside one call, on one worker thread whose
  stack is known to be larger than the JavaScript stack limit.
- **JSON only across the boundary.** What goes in (the output, the context, the function's
  source) is one JSON text, ASCII-escaped, parsed by the sandbox: model output is data and
  never becomes code. What comes back is one JSON text (``JSON.stringify`` of a description
  the bootstrap builds from intrinsics it captured before user code ran), validated here by
  pydantic (:class:`Returned`, :class:`Thrown`, :class:`Pending`).
- **Nothing but the language.** The context has ECMAScript's built-ins only: quickjs-ng's
  ``std``/``os`` modules are never added, there is no module loader (``import()`` of
  anything is refused by the engine), no ``require``, ``process``, network or timers.
  ``console.*`` exists and does nothing (promptfoo users log while they debug).
- **Promises settle or fail.** A returned Promise is settled by running the context's
  pending jobs (microtasks) within the same time budget; one still pending after that is
  reported as :class:`Pending` (nothing can ever settle it: there is no I/O).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

import _quickjs
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .jssource import wrap

# 64 MB: a check reads one model output (held as UTF-16, so a few MB of text uses a few
# times that); 64 MB leaves room for any reasonable parse of it and stops a runaway
# allocation long before the machine notices. Measured: a fresh context uses ~0.1 MB.
MEMORY_LIMIT = 64 * 1024 * 1024
# 1 s of CPU: promptfoo-style checks run in microseconds; a second is generous for a slow
# one and bounds `while (true) {}`. QuickJS's interrupt handler reads clock(), the process's
# CPU time, and so does the budget kept here across the steps of one evaluation.
TIME_LIMIT_S = 1.0
# 4 MB of JavaScript stack (QuickJS uses ~1.7 KB of C stack a call: ~2,400 nested calls).
# QuickJS counts from the stack pointer at the call, so a limit larger than the thread's
# real stack would crash instead of throwing RangeError: every evaluation therefore runs on
# one worker thread of evalkit's own, started with WORKER_STACK (a caller's thread may have
# as little as 128 KB, e.g. on musl).
STACK_LIMIT = 4 * 1024 * 1024
WORKER_STACK = 16 * 1024 * 1024
MAX_RETURNED_CHARS = 1_000_000  # the description that comes back (a returned object's JSON)

_SENTINEL = "__evalkit_parsed__"

# Runs first in every context; evaluates to the `finish` function Python calls last.
# `input` is parsed from JSON; the user's function is compiled from `input.source`.
_BOOTSTRAP = r"""
(function (inputText) {
  "use strict";
  const stringify = JSON.stringify, parse = JSON.parse, isArray = Array.isArray;
  const isFinite = Number.isFinite, defineProperty = Object.defineProperty;
  const PromiseCtor = Promise, ErrorCtor = Error, StringCtor = String, keys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf, ObjectProto = Object.prototype;
  const GRADING = ["pass", "score", "reason", "namedScores", "tokensUsed", "componentResults",
    "assertion", "comment"];
  const input = parse(inputText);
  const context = input.context;
  for (const name of input.unavailable) {
    defineProperty(context, name, {
      get() { throw new ErrorCtor("context." + name + " is not available in evalkit's javascript check"); },
      enumerable: false,
    });
  }
  const quiet = function () {};
  globalThis.console = { log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet, trace: quiet };

  function kind(v) {
    if (v === null) return "null";
    if (isArray(v)) return "array";
    return typeof v;
  }
  // An object's fields as promptfoo reads them (through getters and prototypes), not as its
  // toJSON would have them seen.
  function fields(v) {
    const copy = {};
    for (const key of keys(v)) if (key !== "toJSON") copy[key] = v[key];
    for (const key of GRADING) if (v[key] !== undefined) copy[key] = v[key];
    return copy;
  }
  function show(v) {
    try {
      switch (typeof v) {
        case "string": return stringify(v);
        case "function": return "a function";
        case "bigint": return StringCtor(v) + "n";
        case "symbol": return "a symbol";
        case "undefined": return "undefined";
        case "object":
          if (v === null) return "null";
          const text = stringify(isArray(v) ? v : fields(v), function (key, x) {
            if (typeof x === "number" && !isFinite(x)) return StringCtor(x);
            if (typeof x === "bigint") return StringCtor(x) + "n";
            if (typeof x === "function") return "[function]";
            return x;
          }) || StringCtor(v);
          const made = getPrototypeOf(v);
          const name = made && made !== ObjectProto && made.constructor && made.constructor.name;
          return name && !isArray(v) ? "a " + StringCtor(name) + " " + text : text;
        default: return StringCtor(v);
      }
    } catch (e) {
      return "an object that is not JSON (" + StringCtor(e && e.message) + ")";
    }
  }
  function returned(v) {
    const out = { kind: "value", type: kind(v), shown: show(v).slice(0, 300) };
    if (typeof v === "boolean") out.boolean = v;
    if (typeof v === "number") { out.finite = isFinite(v); if (out.finite) out.number = v; }
    if (out.type === "object") {
      try { out.json = stringify(fields(v)); } catch (e) { out.json = null; }
    }
    return out;
  }
  function thrown(e) {
    const isError = e instanceof ErrorCtor;
    let name = isError ? StringCtor(e.name) : kind(e);
    let message = isError ? StringCtor(e.message) : show(e);
    return { kind: "error", name: name, message: message.slice(0, 2000) };
  }

  let state = { kind: "pending" };
  try {
    const fn = (0, eval)(input.source);
    const result = fn(input.output, context);
    PromiseCtor.resolve(result).then(
      function (v) { state = returned(v); },
      function (e) { state = thrown(e); });
  } catch (e) {
    state = thrown(e);
  }
  return function finish() {
    try { return stringify(state); }
    catch (e) { return stringify({ kind: "error", name: "Error", message: "the result could not be read" }); }
  };
})
"""


class Returned(BaseModel):
    """The function returned (or its Promise fulfilled with) a value."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    kind: Literal["value"]
    type: Literal[
        "boolean",
        "number",
        "string",
        "undefined",
        "null",
        "object",
        "array",
        "function",
        "bigint",
        "symbol",
    ]
    shown: str
    boolean: bool | None = None
    number: float | None = Field(None, allow_inf_nan=False)
    finite: bool | None = None
    json_: str | None = Field(None, alias="json")


class Thrown(BaseModel):
    """The function threw (or its Promise was rejected)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["error"]
    name: str
    message: str


class Pending(BaseModel):
    """The returned Promise never settled."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["pending"]


_ENVELOPE: TypeAdapter[Returned | Thrown | Pending] = TypeAdapter(
    Annotated[Returned | Thrown | Pending, Field(discriminator="kind")]
)


@dataclass(frozen=True)
class Failure:
    """The sandbox stopped the evaluation (a limit), or what came back could not be read."""

    reason: str


Result = Returned | Thrown | Pending | Failure


_T = TypeVar("_T")
_worker: tuple[int, ThreadPoolExecutor] | None = None
_worker_lock = threading.Lock()


def _on_worker(fn: Callable[..., _T], *args: Any) -> _T:
    """Run ``fn`` on the sandbox's worker thread (made again after a fork)."""
    global _worker
    with _worker_lock:
        if _worker is None or _worker[0] != os.getpid():
            previous = threading.stack_size()
            threading.stack_size(WORKER_STACK)
            try:
                pool = ThreadPoolExecutor(1, thread_name_prefix="evalkit-javascript")
                pool.submit(int).result()  # start the thread now, with this stack size
            finally:
                threading.stack_size(previous)
            _worker = (os.getpid(), pool)
        pool = _worker[1]
    return pool.submit(fn, *args).result()


def _context() -> Any:
    ctx = _quickjs.Context()
    ctx.set_memory_limit(MEMORY_LIMIT)
    ctx.set_max_stack_size(STACK_LIMIT)
    ctx.set_time_limit(TIME_LIMIT_S)
    return ctx


def _limit(exc: BaseException) -> Failure | None:
    """A limit the engine enforced, from its exception's text."""
    first = str(exc).split("\n", 1)[0]
    if "interrupted" in first:
        return Failure(f"timed out after {TIME_LIMIT_S:g} s")
    if "out of memory" in first:
        return Failure(f"out of memory (limit {MEMORY_LIMIT // (1024 * 1024)} MB)")
    if isinstance(exc, _quickjs.StackOverflow) or "stack size exceeded" in first:
        return Failure(f"stack overflow (limit {STACK_LIMIT // 1024} KB)")
    return None


def syntax_error(body: str) -> str | None:
    """The engine's syntax error for ``body`` (with its line in the value), or None. The
    code is compiled behind a ``throw``, so none of it runs."""
    return _on_worker(_syntax_error, body)


def _syntax_error(body: str) -> str | None:
    ctx = _context()
    try:
        ctx.eval(f"throw {json.dumps(_SENTINEL)}; " + wrap(body))
    except _quickjs.JSException as exc:
        text = str(exc)
        if text.startswith(_SENTINEL):
            return None
        limit = _limit(exc)
        if limit is not None:
            return limit.reason
        first, _, rest = text.partition("\n")
        where = rest.strip().split("\n", 1)[0]
        at = where.rsplit(":", 2)
        if where.startswith("at <input>:") and len(at) == 3 and at[1].isdigit():
            first += f" (line {max(int(at[1]) - 1, 1)} of the code)"
        return first
    return "the code did not compile"  # the throw always runs: unreachable in practice


def run(body: str, output: Any, context: dict[str, Any], unavailable: list[str]) -> Result:
    """Call the function ``body`` with ``output`` and ``context`` in a fresh context.

    ``output`` and ``context`` must be JSON values; ``unavailable`` names context fields
    promptfoo has and evalkit cannot give (reading one throws a clear error)."""
    return _on_worker(_run, body, output, context, unavailable)


def _run(body: str, output: Any, context: dict[str, Any], unavailable: list[str]) -> Result:
    started = time.process_time()
    try:
        payload = json.dumps(
            {
                "source": wrap(body),
                "output": output,
                "context": context,
                "unavailable": unavailable,
            },
            ensure_ascii=True,
            allow_nan=False,
            default=str,
        )
    except (ValueError, RecursionError) as exc:
        return Failure(f"the output or vars cannot be handed over as JSON ({exc})")

    def remaining() -> float:
        return TIME_LIMIT_S - (time.process_time() - started)

    ctx = _context()  # dropped with `bootstrap` and `finish` when this call returns
    try:
        bootstrap = ctx.eval(_BOOTSTRAP)
        finish = bootstrap(payload)
        while True:
            left = remaining()
            if left <= 0:
                return Failure(f"timed out after {TIME_LIMIT_S:g} s")
            ctx.set_time_limit(left)
            if not ctx.execute_pending_job():
                break
        if remaining() <= 0:
            return Failure(f"timed out after {TIME_LIMIT_S:g} s")
        ctx.set_time_limit(max(remaining(), 0.05))  # reading the result must not be cut
        text = finish()
    except _quickjs.JSException as exc:
        limit = _limit(exc)
        if limit is not None:
            return limit
        return Failure(f"the sandbox failed: {str(exc).partition(chr(10))[0] or repr(exc)}")
    if not isinstance(text, str) or len(text) > MAX_RETURNED_CHARS:
        return Failure("the result is too large to read")
    try:
        result = _ENVELOPE.validate_json(text)
    except ValidationError as exc:
        return Failure(f"the result could not be read ({exc.errors()[0]['msg']})")
    if isinstance(result, Thrown) and (result.name, result.message) == (
        "InternalError",
        "out of memory",
    ):
        return Failure(f"out of memory (limit {MEMORY_LIMIT // (1024 * 1024)} MB)")
    if isinstance(result, Thrown) and result.name == "null":
        # QuickJS throws null when it runs out of memory while building the error itself.
        return Failure(
            f"threw null: out of memory (limit {MEMORY_LIMIT // (1024 * 1024)} MB), "
            "or the code throws null"
        )
    return result
