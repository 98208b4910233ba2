"""The real-model fixture's own behaviour, without llama.cpp: a server process that dies
is reported with what happened and the fix, never as a connection error or a timeout."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .realmodel import NATIVE_FIX, LlamaServer, died


def _server(tmp_path: Path, code: str) -> LlamaServer:
    log = tmp_path / "llama.log"
    log.write_text("llama_model_load: loaded\nsegmentation fault in ggml_vec_dot\n")
    process = subprocess.Popen([sys.executable, "-c", code])
    process.wait(timeout=30)
    return LlamaServer("chat", "m", 1, "k", log, process, startup_s=0.0)


def test_a_segfaulted_server_names_the_signal_and_the_fix(tmp_path: Path) -> None:
    server = _server(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    message = server.death()
    assert message is not None
    assert message.startswith("llama server (chat) exited with SIGSEGV: rebuild llama-cpp-python")
    assert "CMAKE_ARGS=-DGGML_NATIVE=OFF" in message
    assert "segmentation fault in ggml_vec_dot" in message  # the log's tail comes along
    with pytest.raises(pytest.fail.Exception, match="SIGSEGV"):
        server.require_alive()


def test_an_exit_code_is_named_without_the_native_fix(tmp_path: Path) -> None:
    message = _server(tmp_path, "raise SystemExit(3)").death()
    assert message is not None and "exited with code 3" in message
    assert NATIVE_FIX not in message


def test_a_running_server_has_no_death(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        server = LlamaServer("embeddings", "m", 1, "k", tmp_path / "x.log", process, 0.0)
        assert server.death() is None
        server.require_alive()  # does not fail
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    ("code", "words"),
    [(-signal.SIGILL, "SIGILL: rebuild"), (-signal.SIGTERM, "SIGTERM"), (0, "code 0")],
)
def test_died_words_each_ending(code: int, words: str) -> None:
    text = died("llama server", code)
    assert words in text
    assert ("rebuild" in text) == (code == -signal.SIGILL)
