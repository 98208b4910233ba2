"""The project's exceptions: one small tree under :class:`EvalkitError`.

::

    EvalkitError                 str() is what the user sees, its location first
    ├── ConfigError              bad input (suite, template, setting, flag, recording): exit 2,
    │   │                        shown as ``file:line: message`` without a traceback
    │   ├── TemplateError        a prompt template failed to load or render
    │   ├── LockError            a released prompt version changed after it was locked
    │   ├── RecordingError       a recording file is unreadable or malformed: re-record it
    │   └── EstimateOverCap      the run's upper-bound cost is over --max-cost: not started
    └── CaseError                a case could not be answered: the run goes on without it
        ├── RecordingMissing     replay found no recording for a request: "not run"
        ├── RequestRefused       a check refused the request before it was sent (a budget)
        ├── CircuitOpen          no more requests are sent: the case is "not run"
        │   ├── CostCapReached   sending it could cross the cost cap
        │   └── BatchCancelled   its batch was cancelled before it ran
        ├── ApiCallError         the API refused a request (400, 401, 403, 404): the case fails
        │   └── TransportError   it never got an answer (connection, timeout, 429 or 5xx after
        │                        every retry): "not run", and ``--resume`` sends it again
        └── BatchFailed          the Batch API did not answer it (after its follow-up rounds)

Signals inside one layer, caught there and never shown as they are:

    CheckFailed                  a check cannot even look (no JSON, no such path): it fails
    ArgumentError                a check's arguments are wrong (``key`` names the argument)
    StreamBroken                 a stream ended before its last event: the request is retried
    MalformedResponse            a 200 whose body is not the endpoint's JSON: retried
    BadJSON                      text that is not JSON within io/jsonfile's bounds (a model's
                                 output, a server's line): a ValueError its reader handles
    BlockError                   a message block was misused in a template (with its line)
    CollectError, CaseFailed     how the pytest front reports a bad suite and a failed case
    InconclusiveCase             the pytest warning of a case left unsettled (on_inconclusive: warn)
    DamagedRun                   the warning of a frame that left out unreadable lines
    ModelRetiring                the pytest warning of a model shutting down soon (lifecycle)
    NotCarried (Untranslatable,  an importer cannot carry a piece of another tool's config:
      TemplateLeftOut)           ``what`` it is and the ``fix`` to offer, for its report
    NeedsCase, NotAPath,         the importers' other turns: map per case, not a field path,
      RegexUnsupported,          a pattern Python reads differently, a schema strict
      SchemaUnsupported          pydantic cannot express

A :class:`CaseError` may name a ``remedy`` (``"record"``): the engine's words stay neutral
and each front (pytest, the CLI) says how to apply the remedy with its own flags. One whose
``not_run`` is set means the request was never answered for a reason outside the case (no
recording, the transport): the case has no verdict (see evalkit/results/verdicts.py), is
never a pass nor a failure a threshold may absorb, and a resumed run plans it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


def display_path(path: str | Path) -> str:
    """A path as users typed it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return str(path)


class EvalkitError(Exception):
    """Base class; ``str()`` is what the user sees, with its location first."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = display_path(file) if file is not None else None
        self.line = line

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ConfigError(EvalkitError):
    """Bad input: a suite, template, schema, setting, flag or recording. Exit code 2."""


class TemplateError(ConfigError):
    """A prompt template failed to load or render (syntax, missing variable, sandbox)."""


class LockError(ConfigError):
    """A released prompt version changed after it was locked."""


class RecordingError(ConfigError):
    """A recording file is unreadable or malformed: it is untrusted input, re-record it."""


class CaseError(EvalkitError):
    """A case could not be answered: it fails (or, with ``not_run``, has no verdict), the
    run goes on."""

    remedy: ClassVar[str | None] = None
    # Why a request that raised this was never answered for a reason outside the case
    # ("no recording", "transport error"): the case then did not run. None: it failed.
    not_run: str | None = None


class RecordingMissing(CaseError):
    """Replay found no recording for a request."""

    remedy = "record"
    not_run = "no recording"


class RequestRefused(CaseError):
    """A check refused the request before it was sent (it could only fail, and would cost)."""


class CircuitOpen(CaseError):
    """The circuit breaker is open: the request was not sent."""


class ApiCallError(CaseError):
    """The API refused or failed a request for good (after any retries)."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        request_id: str | None = None,
        retries: int = 0,
    ):
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.retries = retries


class TransportError(ApiCallError):
    """The request never got an answer: the connection failed, it timed out, or a 429 or
    5xx came back after every retry. The case did not run (nothing is known of its
    prompt), so ``--resume`` sends it again instead of keeping it as a failure."""

    not_run = "transport error"


class EstimateOverCap(ConfigError):
    """The run's upper-bound cost is over the cap (``--max-cost``): it does not start."""


class CostCapReached(CircuitOpen):
    """Sending this request could cross the cost cap: it was not sent."""

    why = "cost cap"


class BatchCancelled(CircuitOpen):
    """The batch carrying this request was cancelled (``evalkit batch cancel``) before it
    ran: the case is not run, and a resumed run submits it again."""

    why = "batch cancelled"


class BatchFailed(CaseError):
    """The Batch API did not answer this request (after its follow-up rounds), or a call
    about a batch failed for good (``status``: the HTTP status when there was one).
    ``transport``: the line expired or its batch failed, nothing was said of the request
    itself, so the case did not run (and a resumed run submits it again)."""

    def __init__(self, message: str, status: int | None = None, *, transport: bool = False):
        super().__init__(message)
        self.status = status
        if transport:
            self.not_run = "transport error"


# -- signals inside one layer ---------------------------------------------------------


class CheckFailed(Exception):
    """Raised inside a check when it cannot even look (no JSON, no such path)."""


class ArgumentError(ValueError):
    """A check's arguments are wrong in a way its model cannot see; ``key`` names the
    argument, so the error points at its line."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


class StreamBroken(Exception):
    """The stream ended before its last event."""


class MalformedResponse(Exception):
    """A 200 whose body is not the JSON the endpoint returns."""


class BadJSON(ValueError):
    """Text that is not JSON within the bounds of evalkit/io/jsonfile.py (malformed, nested
    too deeply, too large, a number out of range), where no file is to blame: a model's
    output, a server's line. A ValueError, so a reader that treats unparsable text as "not
    JSON" treats these the same way."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.file, self.line = file, line


class BlockError(Exception):
    """A message block was misused; carries the template line."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


class CollectError(Exception):
    """A configuration error found while pytest collects: shown as ``file:line: message``."""


class CaseFailed(Exception):
    """A case item failed: its report is the message (no traceback)."""


class NotCarried(Exception):
    """An importer cannot carry this piece: ``what`` it is, and the ``fix`` to offer."""

    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what = what
        self.fix = fix


class Untranslatable(NotCarried):
    """A Nunjucks construct with no Jinja translation."""


class TemplateLeftOut(NotCarried):
    """A ``{{ }}`` template inside promptfoo JavaScript that cannot become ``context.vars``."""

    def __init__(self, what: str, fix: str = "write context.vars.NAME in the code instead"):
        super().__init__(what, fix)


class NeedsCase(Exception):
    """The assertion's value is a template over the case's vars: map it per case."""


class NotAPath(ValueError):
    """A transform other than ``JSON.parse(output)`` or a field path."""


class RegexUnsupported(Exception):
    """A regular expression Python would not read the way JavaScript does."""


class SchemaUnsupported(Exception):
    """The schema uses something a strict pydantic model cannot express (message says what)."""


class InconclusiveCase(UserWarning):
    """A case whose samples could not settle its verdict, let pass by ``on_inconclusive:
    warn``: pytest shows it in its warnings summary."""


class DamagedRun(UserWarning):
    """A frame of :mod:`evalkit.analysis` left out what it could not read (unreadable lines,
    a run holding fewer cases than it planned), said in ``evalkit report``'s words."""


class ModelRetiring(UserWarning):
    """A suite's model shuts down within ``retire_warn_days`` (or its models.json is old):
    pytest shows it in its warnings summary; shut down or nearer is a collection error."""
