"""Run an untrusted ``grade(sample, item)`` in a separate, limited Python process.

A Python grader's source comes from an exported file: it is data, and it must not read
evalkit's secrets, hang the run, eat the machine, or pass a case by breaking the protocol.

The child is ``sys.executable -I -S -c BOOTSTRAP``:

- ``-I -S``: no user site, no ``PYTHON*`` variables, no ``.pth`` hooks, no
  sitecustomize; the interpreter's site-packages folders are then put on ``sys.path`` so a
  grader can import what OpenAI's grader image offers (rapidfuzz, nltk, numpy, ...) when it
  is installed;
- an empty environment (no API keys, no proxies), a fresh empty working folder, and
  ``start_new_session`` so a timeout kills everything it started;
- limits it sets on itself before reading the source (``resource.setrlimit``): CPU
  seconds, address space, no file writes (``RLIMIT_FSIZE`` 0), no core files, few file
  descriptors (a limit the system refuses, as macOS does the address space, is left
  unset; the wall clock still holds);
- an audit hook (PEP 578) that refuses file opens outside the Python installation, writes,
  sockets, new processes, and ctypes reaching native code (numpy imports ctypes, so the
  import is allowed; loading a library, looking up a symbol or reading memory is not).
  That is defence in depth, not a sandbox: PEP 578 says native code can get around it.
  What holds regardless is the process boundary, the empty environment and the limits.

Protocol: the parent writes one JSON object (source, sample, item) to stdin; the child
prints what the grader prints to stderr and writes one marked JSON line to stdout: the
score, or the error. The parent reads both pipes with a deadline and byte caps, and kills
the process group when either runs out. Exit by a signal is reported by name (SIGXCPU: the
CPU limit; SIGKILL after the deadline: the wall-clock limit).

OpenAI's limits (its graders guide, "Technical constraints"): source under 256 kB, 2
minutes, 2 GB of memory; a result that is not a float is invalid. evalkit keeps the source
and memory limits and defaults to a shorter time (``timeout``, at most OpenAI's 120 s),
since a grader runs once per sample.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

MAX_SOURCE_BYTES = 256 * 1024
MEMORY_BYTES = 2 * 1024**3
MAX_STDOUT = 64 * 1024
MAX_STDERR = 64 * 1024
MAX_INPUT = 16 * 1024**2
MARKER = "\x1e evalkit-grade "

BOOTSTRAP = r"""
import sys
def _limits(cpu, memory):
    import resource
    for kind, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_FSIZE, (0, 0)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NOFILE, (64, 64)),
    ):
        try:
            resource.setrlimit(kind, value)
        except (ValueError, OSError):
            pass  # macOS does not enforce RLIMIT_AS; the wall clock still holds
_limits(int(sys.argv[1]), int(sys.argv[2]))
import json, os, builtins
config = json.loads(sys.argv[3])
sys.path.extend(config["paths"])
out = sys.stdout
marker = config["marker"]
def _reply(**kw):
    out.write(marker + json.dumps(kw) + "\n")
    out.flush()
def _hook_factory(roots):
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    real = os.path.realpath
    denied = {"socket.__new__", "socket.connect", "socket.bind", "subprocess.Popen",
              "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
              "os.kill", "os.killpg", "os.remove", "os.rename", "os.rmdir", "os.mkdir",
              "os.symlink", "os.link", "os.chmod", "os.chown", "os.truncate",
              "shutil.rmtree", "pty.spawn",
              # ctypes may be imported (numpy does) but not used to reach native code
              "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
              "ctypes.cdata/buffer", "ctypes.string_at", "ctypes.wstring_at",
              "ctypes.PyObj_FromPtr", "ctypes.addressof"}
    def hook(event, args):
        if event in denied:
            raise PermissionError(f"the grader sandbox refuses {event}")
        if event == "ctypes.dlopen" and args[0] is not None:
            raise PermissionError(f"the grader sandbox refuses to load {args[0]!r}")
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return
            if (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & writes:
                raise PermissionError(f"the grader sandbox refuses to write {path!r}")
            full = real(os.fsdecode(path))
            if not any(full == r or full.startswith(r + os.sep) for r in roots):
                raise PermissionError(f"the grader sandbox refuses to open {path!r}")
    return hook
payload = json.loads(sys.stdin.read())
sys.stdout = sys.stderr
try:
    code = compile(payload["source"], "<grader>", "exec")
except SyntaxError as exc:
    _reply(error=f"SyntaxError at line {exc.lineno}: {exc.msg}")
    raise SystemExit(0)
sys.addaudithook(_hook_factory([os.path.realpath(p) for p in config["roots"]]))
space = {"__name__": "grader", "__builtins__": builtins}
def _where(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<grader>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line else ""
try:
    exec(code, space)
    grade = space.get("grade")
    if not callable(grade):
        _reply(error="the source defines no grade(sample, item) function")
    else:
        score = grade(payload["sample"], payload["item"])
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            _reply(error=f"grade returned {type(score).__name__} {str(score)[:80]!r}, not a number")
        else:
            _reply(score=float(score))
except MemoryError:
    _reply(error="MemoryError: the grader ran out of memory")
except BaseException as exc:
    name = type(exc).__name__
    _reply(error=f"{name}{_where(exc.__traceback__)}: {str(exc)[:300]}")
"""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock
    memory_bytes: int = MEMORY_BYTES
    cpu_s: int | None = None  # CPU seconds; by default the wall-clock limit, rounded up

    @property
    def cpu(self) -> int:
        return self.cpu_s if self.cpu_s is not None else max(1, int(self.timeout_s + 0.999))


@dataclass(frozen=True)
class Result:
    score: float | None
    error: str | None = None
    stderr: str = ""


def _roots() -> list[str]:
    """Folders a grader may read: the Python installation and its site-packages."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    found.update(site.getsitepackages())
    return sorted(p for p in found if p and os.path.isdir(p))


def _paths() -> list[str]:
    return [p for p in site.getsitepackages() if os.path.isdir(p)]


def _collect(
    proc: subprocess.Popen[bytes], payload: bytes, deadline: float
) -> tuple[bytes, bytes, str | None]:
    """Feed stdin and read stdout and stderr until exit, the deadline or a cap."""
    assert proc.stdin and proc.stdout and proc.stderr
    caps = {proc.stdout.fileno(): MAX_STDOUT, proc.stderr.fileno(): MAX_STDERR}
    got: dict[int, bytearray] = {fd: bytearray() for fd in caps}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdin, selectors.EVENT_WRITE)
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    os.set_blocking(proc.stdin.fileno(), False)
    view, problem = memoryview(payload), None
    try:
        while len(sel.get_map()) and problem is None:
            left = deadline - time.monotonic()
            if left <= 0:
                problem = "timeout"
                break
            for key, _ in sel.select(timeout=left):
                fileobj = key.fileobj
                if fileobj is proc.stdin:
                    try:
                        sent = os.write(proc.stdin.fileno(), view[:65536])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        sent = len(view)
                    view = view[sent:]
                    if not view:
                        sel.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                fd = key.fd
                chunk = os.read(fd, 65536)
                if not chunk:
                    sel.unregister(fileobj)
                    continue
                got[fd] += chunk
                if len(got[fd]) > caps[fd]:
                    problem = "stdout" if fd == proc.stdout.fileno() else "stderr"
    finally:
        sel.close()
    return bytes(got[proc.stdout.fileno()]), bytes(got[proc.stderr.fileno()]), problem


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill the grader's process group (anything it started too), then reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_grader(source: str, sample: object, item: object, limits: Limits) -> Result:
    """The grader's score, or why there is none."""
    if os.name != "posix":
        return Result(None, "Python graders run on POSIX systems only (Linux, macOS)")
    if len(source.encode()) > MAX_SOURCE_BYTES:
        return Result(None, f"the source is over {MAX_SOURCE_BYTES // 1024} kB")
    try:
        payload = json.dumps(
            {"source": source, "sample": sample, "item": item}, default=str
        ).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        return Result(None, f"the sample or item cannot be sent as JSON: {exc}")
    if len(payload) > MAX_INPUT:
        return Result(None, f"the sample and item are over {MAX_INPUT // 1024**2} MiB")
    config = json.dumps({"paths": _paths(), "roots": _roots(), "marker": MARKER})
    with tempfile.TemporaryDirectory(
        prefix="evalkit-grader-", ignore_cleanup_errors=True
    ) as folder:
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    BOOTSTRAP,
                    str(limits.cpu),
                    str(limits.memory_bytes),
                    config,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                cwd=folder,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            return Result(None, f"could not start Python ({sys.executable}): {exc.strerror or exc}")
        try:
            out, err, problem = _collect(proc, payload, time.monotonic() + limits.timeout_s)
        finally:
            _kill(proc)  # the whole group, before the leader is reaped and its id is free
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream:
                    stream.close()
    noise = err.decode(errors="replace")
    if problem == "timeout":
        return Result(None, f"timed out after {limits.timeout_s:g} s (wall clock)", noise)
    if problem:
        cap = MAX_STDOUT if problem == "stdout" else MAX_STDERR
        return Result(None, f"printed more than {cap // 1024} kB to {problem}", noise)
    return _read(out.decode(errors="replace"), proc.returncode, limits, noise)


def _read(out: str, code: int, limits: Limits, noise: str) -> Result:
    for line in reversed(out.split("\n")):  # not splitlines: the marker holds \x1e
        if line.startswith(MARKER):
            try:
                reply = json.loads(line[len(MARKER) :])
            except ValueError:
                break
            if isinstance(reply, dict) and isinstance(reply.get("error"), str):
                return Result(None, reply["error"], noise)
            score = reply.get("score") if isinstance(reply, dict) else None
            if isinstance(score, (int, float)) and not isinstance(score, bool):
                if score != score or score in (float("inf"), float("-inf")):
                    return Result(None, f"grade returned {score}, not a finite number", noise)
                return Result(float(score), None, noise)
            break
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        if name == "SIGXCPU":
            return Result(None, f"used more than {limits.cpu} s of CPU (SIGXCPU)", noise)
        if name == "SIGKILL":
            return Result(
                None,
                f"was killed (SIGKILL): over the CPU limit of {limits.cpu} s, or out of memory",
                noise,
            )
        if name == "SIGXFSZ":
            return Result(None, "tried to write a file (SIGXFSZ)", noise)
        return Result(None, f"was killed by {name}", noise)
    tail = noise.strip().splitlines()[-1:] if noise.strip() else []
    said = f": {tail[0][:200]}" if tail else ""
    return Result(None, f"exited with code {code} without a grade{said}", noise)
