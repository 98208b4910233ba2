"""Versioned prompt templates: discovery (``name@version``), sandboxed rendering, the lock.

Templates run in Jinja's immutable sandbox with StrictUndefined: a prompt is data a team
edits in review, and a missing variable must stop the run rather than send an empty string
to a paid API.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .errors import ConfigError, LockError, TemplateError

ROLES = ("system", "developer", "user", "assistant")
_OPEN = "\x00evalkit-message:"
_CLOSE = "\x00evalkit-end\x00"
_REF = re.compile(r"^(?P<name>[A-Za-z0-9_.\-/]+)@(?P<version>[A-Za-z0-9_.\-]+)$")
LOCK_NAME = "evalkit.lock"


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class PromptRef:
    name: str
    version: str

    @classmethod
    def parse(cls, text: str) -> PromptRef:
        match = _REF.match(text.strip())
        if not match:
            raise ValueError(f"prompt {text!r} is not of the form name@version (e.g. triage@v2)")
        return cls(match["name"], match["version"])

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


class MessageExtension(Extension):
    """``{% message "role" %}...{% endmessage %}``: one chat message per block."""

    tags = {"message"}

    def parse(self, parser: jinja2.parser.Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        role = parser.parse_expression()
        body = parser.parse_statements(("name:endmessage",), drop_needle=True)
        call = self.call_method("_wrap", [role])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _wrap(self, role: Any, caller: Any) -> str:
        return f"{_OPEN}{role}\x00{caller()}{_CLOSE}"


def _environment(folder: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        extensions=[MessageExtension],
    )


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def split_messages(text: str, path: Path) -> list[Message]:
    """Turn rendered text into messages; text with no blocks is one user message."""
    if _OPEN not in text:
        return [Message("user", text.strip())]
    messages: list[Message] = []
    rest = text
    while _OPEN in rest:
        before, _, rest = rest.partition(_OPEN)
        if before.strip():
            raise TemplateError(
                "text outside {% message %} blocks; put it inside a block", path, None
            )
        role, _, rest = rest.partition("\x00")
        content, _, rest = rest.partition(_CLOSE)
        if role not in ROLES:
            raise TemplateError(
                f"unknown message role {role!r}; use one of {', '.join(ROLES)}", path
            )
        messages.append(Message(role, content.strip()))
    if rest.strip():
        raise TemplateError("text outside {% message %} blocks; put it inside a block", path)
    return messages


class PromptStore:
    """The prompts folder: ``<name>/<version>.j2`` files and their lock."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._env = _environment(folder)
        self._templates: dict[PromptRef, jinja2.Template] = {}
        self._digests: dict[PromptRef, str] = {}

    def path(self, ref: PromptRef) -> Path:
        return self.folder / ref.name / f"{ref.version}.j2"

    def versions(self, name: str) -> list[str]:
        return sorted(p.stem for p in (self.folder / name).glob("*.j2"))

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir() and any(p.glob("*.j2")))

    def refs(self) -> list[PromptRef]:
        return [PromptRef(n, v) for n in self.names() for v in self.versions(n)]

    def require(self, ref: PromptRef) -> Path:
        """The template's path, or a ConfigError that lists what exists."""
        path = self.path(ref)
        if path.is_file():
            return path
        if (self.folder / ref.name).is_dir():
            known = ", ".join(self.versions(ref.name)) or "none"
            raise ConfigError(
                f"prompt {ref} not found: no {path}; versions of {ref.name!r}: {known}"
            )
        known = ", ".join(self.names()) or "none"
        raise ConfigError(f"prompt {ref} not found: no folder {path.parent}; prompts: {known}")

    def template(self, ref: PromptRef) -> jinja2.Template:
        if ref not in self._templates:
            path = self.require(ref)
            try:
                self._templates[ref] = self._env.get_template(f"{ref.name}/{ref.version}.j2")
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(
                    f"template syntax error: {exc.message}", path, exc.lineno
                ) from None
        return self._templates[ref]

    def render(self, ref: PromptRef, variables: dict[str, Any]) -> list[Message]:
        template = self.template(ref)
        path = self.path(ref)
        try:
            text = template.render(**variables)
        except SecurityError as exc:
            line = _template_line(exc.__traceback__, template.filename or "")
            raise TemplateError(
                f"unsafe template expression blocked by the sandbox: {exc}", path, line
            ) from None
        except jinja2.UndefinedError as exc:
            line = _template_line(exc.__traceback__, template.filename or "")
            raise TemplateError(
                f"undefined variable in {ref}: {exc.message}; pass it in the suite's or case's vars",
                path,
                line,
            ) from None
        except jinja2.TemplateError as exc:
            line = _template_line(exc.__traceback__, template.filename or "")
            raise TemplateError(f"template error in {ref}: {exc}", path, line) from None
        except Exception as exc:  # a filter or object raised: still the template's problem
            line = _template_line(exc.__traceback__, template.filename or "")
            raise TemplateError(
                f"rendering {ref} failed: {type(exc).__name__}: {exc}", path, line
            ) from None
        return split_messages(text, path)

    def digest(self, ref: PromptRef) -> str:
        if ref not in self._digests:
            self._digests[ref] = (
                "sha256:" + hashlib.sha256(self.require(ref).read_bytes()).hexdigest()
            )
        return self._digests[ref]

    # -- the lock -------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_NAME

    def read_lock(self) -> dict[str, tuple[str, int]]:
        """``{"name@version": (digest, line)}`` from the lock file."""
        if not self.lock_path.is_file():
            return {}
        out: dict[str, tuple[str, int]] = {}
        for number, raw in enumerate(self.lock_path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2 or "@" not in parts[0]:
                raise LockError("expected 'name@version sha256:<hex>'", self.lock_path, number)
            out[parts[0]] = (parts[1], number)
        return out

    def check_lock(self) -> list[LockError]:
        """Every locked version whose file changed or vanished."""
        problems: list[LockError] = []
        for key, (digest, line) in self.read_lock().items():
            ref = PromptRef.parse(key)
            path = self.path(ref)
            if not path.is_file():
                problems.append(
                    LockError(f"locked prompt {key} is missing ({path})", self.lock_path, line)
                )
            elif self.digest(ref) != digest:
                versions = self.versions(ref.name)
                problems.append(
                    LockError(
                        f"locked prompt {key} changed since it was released ({path}); "
                        f"released versions are immutable: restore it and create "
                        f"{_next_version(versions)} instead",
                        self.lock_path,
                        line,
                    )
                )
        return problems

    def unlocked(self) -> list[PromptRef]:
        locked = self.read_lock()
        return [ref for ref in self.refs() if str(ref) not in locked]

    def write_lock(self) -> list[PromptRef]:
        """Add every unlocked version; never rewrites a locked one. Returns what was added."""
        problems = self.check_lock()
        if problems:
            raise problems[0]
        added = self.unlocked()
        entries = {k: d for k, (d, _) in self.read_lock().items()}
        entries.update({str(ref): self.digest(ref) for ref in added})
        lines = ["# evalkit prompt lock: released prompt versions are immutable.", ""]
        lines += [f"{key} {entries[key]}" for key in sorted(entries)]
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        self.lock_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return added


def _next_version(versions: list[str]) -> str:
    numbers = [int(m[1]) for v in versions if (m := re.fullmatch(r"v(\d+)", v))]
    return f"v{max(numbers) + 1}" if numbers else "a new version"
