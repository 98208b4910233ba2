"""Every file evalkit reads or writes goes through here.

Three rules live in this one module so no caller has to remember them:

- a name that becomes a path (a run id, a suite or case name, a prompt name) is checked or
  slugged so it stays inside its folder (`safe_name`, `slug`, `inside`);
- text is read as UTF-8 or refused with ``file: not UTF-8`` (`read_text`), never a raw
  UnicodeDecodeError;
- a file is written whole or not at all, through a uniquely named temporary file in the same
  folder (`atomic_write`), so a crash never leaves a torn file and two writers never share a
  temporary name; an append-only log starts every record on a clean line (`AppendLog`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import IO

from ..errors import ConfigError

SLUG_MAX = 80  # characters of a file name taken from a user's id, before the hash suffix
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def read_text(path: Path, what: str = "file") -> str:
    """A text file's content; a ConfigError naming the file when it is unreadable or not UTF-8."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ConfigError(f"cannot read {what}: it is a folder", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 (byte {exc.start}): save the {what} as UTF-8", path, line
        ) from None
    return text.removeprefix("\ufeff")


def safe_name(name: str, what: str) -> str:
    """A name used as one path component, as given, or a ConfigError saying what is allowed."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ConfigError(
            f"{what} {name!r} cannot be used as a folder name: use letters, digits, '_', '-' "
            "and '.', starting with a letter or digit (at most 128 characters)"
        )
    return name


def inside(folder: Path, path: Path, what: str = "path") -> Path:
    """``path`` resolved, or a ConfigError when it leaves ``folder`` (``..``, absolute, links)."""
    resolved = path.resolve()
    root = folder.resolve()
    if resolved != root and root not in resolved.parents:
        raise ConfigError(f"{what} {path} is outside {folder}: keep it inside that folder")
    return resolved


@functools.lru_cache(maxsize=65536)
def slug(text: str) -> str:
    """A file-name-safe, length-capped form of ``text``; a short hash keeps distinct texts
    distinct whenever anything had to change."""
    out = _UNSAFE.sub("-", text).strip("-.") or "case"
    if out != text or len(out) > SLUG_MAX:
        out = out[:SLUG_MAX].rstrip("-.") + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return out


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all. Raises OSError (read-only folder, a
    file where a folder should be, a full disk); the old file is then left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class AppendLog:
    """An append-only text file of one record per line, flushed after each record.

    A crash can leave a torn last line; before appending, the log makes sure the file ends
    at a line boundary, so the torn record stays a single unreadable line (reported by the
    reader) and never swallows the next one.
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = path.open("a+", encoding="utf-8", newline="\n")
        end = self._handle.seek(0, os.SEEK_END)
        if end:
            with path.open("rb") as raw:
                raw.seek(end - 1)
                if raw.read(1) != b"\n":
                    self._handle.write("\n")
                    self._handle.flush()

    def write(self, line: str) -> None:
        self._handle.write(line.replace("\n", " ") + "\n")
        self._handle.flush()  # survives a crash or Ctrl-C of this process

    def close(self) -> None:
        self._handle.close()
