"""Versioned prompt templates: discovery (``name@version``), sandboxed rendering, the lock.

Templates run in Jinja's immutable sandbox with StrictUndefined: a prompt is data a team
edits in review, and a missing variable must stop the run rather than send an empty string
to a paid API.

Messages are collected, not parsed back out of rendered text: each ``{% message %}`` block
appends its rendered body to the render's own message list and outputs nothing. Whatever a
variable holds (markers, tags, role names), it stays text inside its message.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .errors import BlockError, ConfigError, LockError, TemplateError
from .io.files import atomic_write, is_regular, read_bytes, read_text, resolved
from .wire.messages import MAX_IMAGE_BYTES, ROLES, ImagePart, Message, Part, image_type

_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"
_REF = re.compile(rf"^(?P<name>{_SEGMENT}(?:/{_SEGMENT})*)@(?P<version>{_SEGMENT})$")
LOCK_NAME = "evalkit.lock"


@dataclass(frozen=True)
class PromptRef:
    name: str
    version: str

    @classmethod
    def parse(cls, text: str) -> PromptRef:
        match = _REF.match(text.strip()) if isinstance(text, str) else None
        if not match or ".." in text:
            raise ValueError(
                f"prompt {text!r} is not of the form name@version (e.g. triage@v2; letters, "
                "digits, '_', '-', '.' and '/' between folder names)"
            )
        return cls(match["name"], match["version"])

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass
class _Collector:
    """The messages of one render, in the order their blocks ran, and the images their
    blocks hold (each stands in the block's text as a marker only this render knows)."""

    base: Path | None = None  # image paths are relative to this folder
    root: Path | None = None  # and must stay inside this one
    messages: list[tuple[Message, int]] = field(default_factory=list)
    depth: int = 0
    images: list[ImagePart] = field(default_factory=list)

    @functools.cached_property
    def token(self) -> str:
        """Made on the first image only: most renders hold none."""
        return secrets.token_hex(8)

    def marker(self, index: int) -> str:
        return f"\x00img{self.token}:{index}\x00"

    def parts(self, text: str) -> str | tuple[Part, ...]:
        if not self.images or f"\x00img{self.token}:" not in text:
            return text.strip()
        pattern = re.compile(rf"\x00img{self.token}:(\d+)\x00")
        out: list[Part] = []
        position = 0
        for match in pattern.finditer(text):
            before = text[position : match.start()]
            if before.strip():
                out.append(before.strip())
            out.append(self.images[int(match.group(1))])
            position = match.end()
        if text[position:].strip():
            out.append(text[position:].strip())
        return tuple(out)


_CURRENT: ContextVar[_Collector | None] = ContextVar("evalkit_messages", default=None)


class MessageExtension(Extension):
    """``{% message "role" %}...{% endmessage %}``: one chat message per block, and
    ``{% image "path" %}`` inside a block: an image part of that message."""

    tags = {"message", "image"}

    def parse(self, parser: jinja2.parser.Parser) -> nodes.Node:
        token = next(parser.stream)
        lineno = token.lineno
        if token.value == "image":
            path = parser.parse_expression()
            call = self.call_method("_image", [path, nodes.Const(lineno)])
            return nodes.Output([call]).set_lineno(lineno)
        role = parser.parse_expression()
        body = parser.parse_statements(("name:endmessage",), drop_needle=True)
        call = self.call_method("_message", [role, nodes.Const(lineno)])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _image(self, path: Any, lineno: int) -> str:
        collector = _CURRENT.get()
        if collector is None or not collector.depth:
            raise BlockError("{% image %} belongs inside a {% message %} block", lineno)
        if not isinstance(path, str) or not path:
            raise BlockError(f"{{% image %}} takes a file path, got {path!r}", lineno)
        collector.images.append(_load_image(path, collector, lineno))
        return collector.marker(len(collector.images) - 1)

    def _message(self, role: Any, lineno: int, caller: Callable[[], str]) -> str:
        collector = _CURRENT.get()
        if collector is None:
            raise BlockError("message blocks render only through evalkit", lineno)
        if collector.depth:
            raise BlockError(
                "a {% message %} block inside another one: close the first with "
                "{% endmessage %} before opening the next",
                lineno,
            )
        if role not in ROLES:
            raise BlockError(
                f"unknown message role {role!r}; use one of {', '.join(ROLES)}", lineno
            )
        collector.depth += 1
        try:
            content = caller()
        finally:
            collector.depth -= 1
        collector.messages.append((Message(str(role), collector.parts(content)), lineno))
        return ""


def _load_image(path: str, collector: _Collector, lineno: int) -> ImagePart:
    base = collector.base or Path.cwd()
    try:
        full = resolved(base / path, "image")
        root = resolved(collector.root or base, "project")
    except ConfigError as exc:
        raise BlockError(exc.message, lineno) from None
    if full != root and root not in full.parents:
        raise BlockError(f"image {path!r} is outside the project ({root}): keep it inside", lineno)
    try:  # a regular file only: a FIFO here would hang check, run and pytest
        data = read_bytes(full, f"image {path!r}", limit=MAX_IMAGE_BYTES)
    except ConfigError as exc:
        why = exc.message.split(": ", 1)[-1]  # "No such file", "it is a FIFO ..., not a file"
        raise BlockError(
            f"image {path!r} is larger than 20 MB"
            if why.startswith("larger than")
            else f"image {path!r} cannot be read ({why}); paths are relative to the suite",
            lineno,
        ) from None
    kind = image_type(data)
    if kind is None:
        raise BlockError(f"image {path!r} is not a PNG, JPEG, WebP or GIF file", lineno)
    return ImagePart(kind, data, path)


class _Loader(jinja2.BaseLoader):
    """Templates read through evalkit's one text reader (UTF-8 or a clear error)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder / template
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        return read_text(path, "prompt template"), str(path), lambda: True


def _environment(folder: Path) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=_Loader(folder),
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


def _stray_text_line(tree: nodes.Template) -> int | None:
    """The line of the first text or expression outside message blocks, in a template that
    has blocks (such text would be silently dropped)."""
    blocks = [n for n in tree.find_all(nodes.CallBlock)]
    if not blocks:
        return None
    inside: set[int] = {id(n) for block in blocks for n in block.find_all(nodes.Node)}
    for output in tree.find_all(nodes.Output):
        if id(output) in inside:
            continue
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                if not child.data.strip():
                    continue
                lead = child.data[: len(child.data) - len(child.data.lstrip())]
                return child.lineno + lead.count("\n")
            return child.lineno
    return None


class PromptStore:
    """The prompts folder: ``<name>/<version>.j2`` files and their lock."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._env = _environment(folder)
        self._templates: dict[PromptRef, jinja2.Template] = {}
        self._digests: dict[PromptRef, str] = {}
        self._paths: dict[PromptRef, Path] = {}

    def path(self, ref: PromptRef) -> Path:
        """``<name>/<version>.j2`` under the folder (kept: every render asks for it)."""
        path = self._paths.get(ref)
        if path is None:
            path = self._paths[ref] = self.folder / ref.name / f"{ref.version}.j2"
        return path

    def versions(self, name: str) -> list[str]:
        return sorted(p.stem for p in (self.folder / name).glob("*.j2"))

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(
            {
                str(p.parent.relative_to(self.folder)).replace("\\", "/")
                for p in self.folder.rglob("*.j2")
                if p.parent != self.folder
            }
        )

    def refs(self) -> list[PromptRef]:
        return [PromptRef(n, v) for n in self.names() for v in self.versions(n)]

    def require(self, ref: PromptRef) -> Path:
        """The template's path, or a ConfigError that lists what exists."""
        path = self.path(ref)
        if is_regular(path, f"prompt {ref}"):
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
            name = f"{ref.name}/{ref.version}.j2"
            try:
                source = self._env.loader.get_source(self._env, name)[0]  # type: ignore[union-attr]
                line = _stray_text_line(self._env.parse(source, name, str(path)))
                if line is not None:
                    raise TemplateError(
                        "text outside {% message %} blocks would be dropped: put it inside a block",
                        path,
                        line,
                    )
                self._templates[ref] = self._env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateError(
                    f"template syntax error: {exc.message}", path, exc.lineno
                ) from None
        return self._templates[ref]

    def render(
        self,
        ref: PromptRef,
        variables: dict[str, Any],
        *,
        base: Path | None = None,
        root: Path | None = None,
    ) -> list[Message]:
        """The template's messages. Images are read relative to ``base`` (the suite's
        folder) and must lie inside ``root`` (the project)."""
        template = self.template(ref)
        path = self.path(ref)
        collector = _Collector(base=base, root=root)
        token = _CURRENT.set(collector)
        try:
            text = template.render(**variables)
        except BlockError as exc:
            raise TemplateError(f"{exc} (in {ref})", path, exc.line) from None
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
        except RecursionError:
            raise TemplateError(f"rendering {ref} recursed too deeply", path) from None
        except Exception as exc:  # a filter or object raised: still the template's problem
            line = _template_line(exc.__traceback__, template.filename or "")
            raise TemplateError(
                f"rendering {ref} failed: {type(exc).__name__}: {exc}", path, line
            ) from None
        finally:
            _CURRENT.reset(token)
        if not collector.messages:
            if not text.strip():
                raise TemplateError(f"{ref} renders no message (the output is empty)", path)
            return [Message("user", text.strip())]
        if text.strip():
            raise TemplateError(
                "text outside {% message %} blocks would be dropped: put it inside a block", path
            )
        for message, line in collector.messages:
            if not message.content or message.content == ():
                raise TemplateError(
                    f"the {message.role} message of {ref} is empty after rendering", path, line
                )
        return [message for message, _ in collector.messages]

    def digest(self, ref: PromptRef) -> str:
        if ref not in self._digests:
            data = read_bytes(self.require(ref), f"prompt {ref}")
            self._digests[ref] = "sha256:" + hashlib.sha256(data).hexdigest()
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
        text = read_text(self.lock_path, "prompt lock")
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2 or not re.fullmatch(r"sha256:[0-9a-f]{64}", parts[1]):
                raise LockError(
                    "expected 'name@version sha256:<64 hex digits>'; restore the line or "
                    "delete it and run `evalkit lock`",
                    self.lock_path,
                    number,
                )
            try:
                PromptRef.parse(parts[0])
            except ValueError as exc:
                raise LockError(str(exc), self.lock_path, number) from None
            if parts[0] in out:
                raise LockError(
                    f"{parts[0]} is locked twice (first at line {out[parts[0]][1]})",
                    self.lock_path,
                    number,
                )
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
        try:
            atomic_write(self.lock_path, "\n".join(lines) + "\n")
        except OSError as exc:
            raise ConfigError(f"cannot write the lock: {exc.strerror}", self.lock_path) from None
        return added


def _next_version(versions: list[str]) -> str:
    numbers = [int(m[1]) for v in versions if (m := re.fullmatch(r"v(\d+)", v))]
    return f"v{max(numbers) + 1}" if numbers else "a new version"
