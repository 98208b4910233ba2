"""The project's exceptions.

Users meet two kinds of trouble: their input is wrong (a suite, a template, a setting),
which must read as ``file:line: message`` and exit 2, and a case that could not be
answered (no recording, an API error), which fails that case and nothing else.
"""

from __future__ import annotations

from pathlib import Path


def display_path(path: str | Path) -> str:
    """A path as users typed it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
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
    """Bad input: a suite, template, schema, setting or flag. Exit code 2."""


class TemplateError(ConfigError):
    """A prompt template failed to load or render (syntax, missing variable, sandbox)."""


class LockError(ConfigError):
    """A released prompt version changed after it was locked."""


class CaseError(EvalkitError):
    """A case could not be answered: it fails, the run goes on."""


class RecordingMissing(CaseError):
    """Replay found no recording for a request."""


class CircuitOpen(CaseError):
    """The circuit breaker is open: the request was not sent."""


class ApiCallError(CaseError):
    """The API refused or failed a request for good (after any retries)."""

    def __init__(self, message: str, status: int | None = None, request_id: str | None = None):
        super().__init__(message)
        self.status = status
        self.request_id = request_id
