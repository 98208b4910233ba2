"""Every file evalkit reads or writes goes through here.

Three rules live in this one module so no caller has to remember them:

- a name that becomes a path (a run id, a suite or case name, a prompt name) is checked or
  slugged so it stays inside its folder (`safe_name`, `slug`, `inside`);
- text is read as UTF-8 or refused with ``file: not UTF-8`` (`read_text`), never a raw
  UnicodeDecodeError; only a regular file is read (`read_bytes`, `open_text`): a FIFO,
  a device or a socket where a file is expected is refused at once, never waited on
  (``stat`` first, then an ``O_NONBLOCK`` open checked again with ``fstat``), and a
  symlink loop is a ConfigError, never a RuntimeError (`resolved`);
- a file is written whole or not at all, through a uniquely named temporary file in the same
  folder (`atomic_write`), so a crash never leaves a torn file and two writers never share a
  temporary name; an append-only log starts every record on a clean line (`AppendLog`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import stat
import tempfile
from pathlib import Path

from ..errors import ConfigError

SLUG_MAX = 80  # characters of a file name taken from a user's id, before the hash suffix
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class Missing(ConfigError):
    """Nothing (or a folder) where a file was to be read: a reader that takes absence as
    "none" (a case without a recording) catches this one, and only this one, in place of
    asking :func:`is_regular` first (one ``stat`` less per file)."""


def _open_checked(path: Path, what: str) -> tuple[int, os.stat_result]:
    """A descriptor of ``path`` and its fstat, when it is a regular file: anything else (a
    folder, a FIFO that would block until a writer comes, a device that never ends) is a
    ConfigError naming it, raised before any read (``stat`` first, then an ``O_NONBLOCK``
    open checked again with ``fstat``, in case the file was swapped between the two).
    Nothing there, or a folder, is :class:`Missing`."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise Missing(f"cannot read {what}: {exc.strerror or exc}", path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path) from None
    if stat.S_ISDIR(mode):
        raise Missing(f"cannot read {what}: it is a folder, not a file", path)
    try:
        kind = _not_regular(mode)
        if kind is None:
            fd = os.open(path, _READ_FLAGS)
            try:
                info = os.fstat(fd)
                kind = _not_regular(info.st_mode)
            except BaseException:
                os.close(fd)
                raise
            if kind is None:
                return fd, info
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path) from None
    raise ConfigError(f"cannot read {what}: it is {kind}, not a file", path)


def open_regular(path: Path, what: str = "file") -> io.BufferedReader:
    """``path`` opened for reading in binary, when it is a regular file (see
    :func:`_open_checked`)."""
    fd, _ = _open_checked(path, what)
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_regular(path: Path, what: str = "file") -> bool:
    """Whether a regular file is at ``path`` (False: nothing, or a folder there). A FIFO, a
    device or a socket is a ConfigError saying so, rather than "not found" or a read that
    never returns."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # absent, or a symlink loop (a reader says which)
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return stat.S_ISREG(mode)
    raise ConfigError(f"cannot read {what}: it is {_not_regular(mode)}, not a file", path)


class TooLarge(ConfigError):
    """A file over the reader's size limit, refused before its bytes are read."""

    def __init__(self, what: str, size: int, limit: int, path: Path):
        super().__init__(f"cannot read {what}: larger than {limit:,} bytes", path)
        self.size, self.limit = size, limit


def read_bytes(path: Path, what: str = "file", limit: int | None = None) -> bytes:
    """A regular file's bytes (refused as :func:`open_regular` refuses); ``limit``: a larger
    one is :class:`TooLarge`, refused before it is read.

    Read with ``os.read`` on the descriptor the checks opened (stat, open, fstat, read,
    close): a replay reads a recording per case, and a buffered file object costs as much
    again in system calls. ``O_NONBLOCK`` does nothing to a regular file's reads."""
    fd, info = _open_checked(path, what)
    try:
        if limit is not None and info.st_size > limit:
            raise TooLarge(what, info.st_size, limit, path)
        # one read of a byte more than fstat saw: a short read is the end of the file (a
        # regular file's read is never short otherwise); a full one means it grew
        want = info.st_size + 1
        data = os.read(fd, want)
        if len(data) == want:
            chunks, total = [data], len(data)
            while chunks[-1] and (limit is None or total <= limit):
                chunks.append(os.read(fd, 1 << 16))
                total += len(chunks[-1])
            data = b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", path) from None
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise TooLarge(what, len(data), limit, path)
    return data


def open_text(
    path: Path, what: str = "file", errors: str = "strict", encoding: str = "utf-8"
) -> io.TextIOWrapper:
    """A regular file opened as text, line endings as written (see :func:`open_regular`)."""
    return io.TextIOWrapper(open_regular(path, what), encoding=encoding, errors=errors, newline="")


def resolved(path: Path, what: str = "path") -> Path:
    """``path`` resolved; a symlink loop (or a link chain too long) is a ConfigError."""
    try:
        return path.resolve()
    except RuntimeError:  # pathlib's word for ELOOP
        raise ConfigError(
            f"{what} {path} is a symlink loop (a link that leads back to itself): "
            "remove or fix the link"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be resolved: {exc.strerror or exc}") from None


def read_text(path: Path, what: str = "file", limit: int | None = None) -> str:
    """A text file's content; a ConfigError naming the file when it is unreadable, not a
    regular file, or not UTF-8 (``limit``: as :func:`read_bytes`)."""
    data = read_bytes(path, what, limit)
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
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(
            f"{what} {name!r} cannot be used as a folder name: use letters, digits, '_', '-' "
            "and '.', starting with a letter, a digit or '_' (at most 128 characters)"
        )
    return name


def inside(folder: Path, path: Path, what: str = "path") -> Path:
    """``path`` resolved, or a ConfigError when it leaves ``folder`` (``..``, absolute, links)."""
    root = resolved(folder, "folder")
    target = resolved(path, what)
    if target != root and root not in target.parents:
        raise ConfigError(f"{what} {path} is outside {folder}: keep it inside that folder")
    return target


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
    """An append-only text file of one record per line, each written at once (unbuffered).

    A crash can leave a torn last line; before appending, the log makes sure the file ends
    at a line boundary, so the torn record stays a single unreadable line (reported by the
    reader) and never swallows the next one. A write the system refuses partway (a full disk,
    a file-size limit) is cut back to where the record began and raised: the file holds whole
    records only.
    """

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a+b", buffering=0)
        end = self._handle.seek(0, os.SEEK_END)
        if end:
            self._handle.seek(end - 1)
            if self._handle.read(1) != b"\n":
                self._append(b"\n")

    def write(self, line: str) -> None:
        self._append((line.replace("\n", " ") + "\n").encode("utf-8"))

    def _append(self, data: bytes) -> None:
        fd = self._handle.fileno()
        start = os.fstat(fd).st_size
        view = memoryview(data)
        try:
            while view:
                written = self._handle.write(view)
                view = view[written or 0 :]
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
            raise

    def close(self) -> None:
        self._handle.close()
