"""Benchmark of the ``evalkit_openai`` endpoint: ``python benchmarks/apprecord.py [--calls N]``
prints the figures.

N distinct chat calls (and N streamed ones) made by a plain ``openai.OpenAI`` client, one
after another: recorded through the endpoint against the testing server (record mode,
forwarded through the SDK), then replayed from the file with no server (replay mode),
against the same calls sent straight to the testing server. Printed: calls per second of
each, the replay's milliseconds per call, the recording's size, and whether re-recording
gave the same bytes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import openai

from evalkit.apprecord.cassette import recording_path, write_recording
from evalkit.apprecord.endpoint import AppEndpoint
from evalkit.apprecord.recorder import Recorder
from evalkit.apprecord.upstream import Credentials, Upstream
from evalkit.config import Mode
from evalkit.testing import TestingServer

KEY = "sk-bench-0123456789abcdef"
MODEL = "gpt-4.1-mini-2025-04-14"
TEST = "tests/test_bench.py::test_many"


def calls(client: openai.OpenAI, n: int) -> float:
    """Seconds for n plain and n streamed chat calls."""
    started = time.perf_counter()
    for i in range(n):
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Say {i}"}]
        )
        for _ in client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"Stream {i}"}], stream=True
        ):
            pass
    return time.perf_counter() - started


def through_endpoint(path: Path, mode: Mode, base_url: str | None, n: int) -> float:
    upstream = Upstream(Credentials(KEY, base_url), 30)
    recorder = Recorder.open(TEST, path, mode, upstream, "")
    with AppEndpoint(recorder) as endpoint:
        client = openai.OpenAI(api_key="unused", base_url=endpoint.base_url)
        seconds = calls(client, n)
        client.close()
    result = recorder.result(passed=True)
    if result is not None:
        write_recording(path, result)
    assert not recorder.problems, recorder.problems
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200, help="distinct calls of each kind")
    n = parser.parse_args().calls
    os.environ.pop("OPENAI_API_KEY", None)
    with tempfile.TemporaryDirectory() as folder:
        path = recording_path(Path(folder), TEST)
        with TestingServer(api_key=KEY) as server:
            direct = calls(openai.OpenAI(api_key=KEY, base_url=server.base_url), n)
            record = through_endpoint(path, Mode.RECORD, server.base_url, n)
            first = path.read_bytes()
            through_endpoint(path, Mode.RERECORD, server.base_url, n)
            stable = path.read_bytes() == first
        replay = through_endpoint(path, Mode.REPLAY, None, n)
        total = 2 * n
        print(f"calls: {n} plain + {n} streamed chat completions, one at a time")
        print(f"straight to the testing server: {total / direct:,.0f} calls/s")
        print(f"record (endpoint + SDK upstream): {total / record:,.0f} calls/s")
        print(
            f"replay (endpoint, no server):    {total / replay:,.0f} calls/s, "
            f"{1000 * replay / total:.2f} ms per call"
        )
        print(f"recording: {len(first) / 1024:,.0f} KiB; re-recorded byte-identical: {stable}")


if __name__ == "__main__":
    main()
