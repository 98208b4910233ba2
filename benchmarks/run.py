"""evalkit's benchmarks: ``python benchmarks/run.py [--quick]`` prints every figure.

The testing server runs in its own process (so it does not share the client's GIL), on
127.0.0.1, and every scenario is bounded in size and time.

(a) a rate-limited live run (RPM-bound, then TPM-bound; OpenAI-like buckets that start full;
    limits learned from headers): time against the ideal the bucket allows, 429s, lost cases;
(b) no limit, 30 ms latency, concurrency 64: evalkit's throughput against a plain
    AsyncOpenAI + semaphore loop making the same calls;
(c) peak RSS of a 100,000-case live run (no limit), and cases lost;
(d) 10,000 recorded cases replayed through `evalkit run` and `pytest --evalkit`;
(e) `evalkit diff` of 100,000 cases under two variants, from recordings: peak RSS and time;
(f) CI shards: `evalkit report` and `evalkit diff --runs BASE... -- HEAD...` of 4 + 4 run
    folders holding 100,000 cases a side: peak RSS and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-benchmark"

SCRIPT = """rules:
  - when: ["charged twice"]
    reply: {category: billing, urgency: high, summary: "Customer was charged twice and wants a refund."}
"""
SCHEMA = """from typing import Literal
from pydantic import BaseModel


class Ticket(BaseModel):
    category: Literal["billing", "technical", "account", "other"]
    urgency: Literal["low", "medium", "high"]
    summary: str
"""
PROMPT = """{% message "system" %}
You triage support tickets for {{ company }}. Answer with the category, urgency and a one-line summary.
{% endmessage %}
{% message "user" %}
Ticket {{ n }}: {{ body }}
{% endmessage %}
"""
SUITE = """suite: bench
prompt: triage@v1
model: gpt-4.1-mini-2025-04-14
params: {temperature: 0, max_tokens: 100}
schema: schemas.triage:Ticket
vars: {company: Acme}
assert:
  - schema
  - {type: one_of, path: urgency, values: [medium, high]}
cases:
  - cases_from: cases.jsonl
variants:
  v2: {prompt: triage@v2}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The testing server in a child process."""

    def __init__(self, root: Path, *args: str):
        self.port = free_port()
        script = root / "script.yaml"
        script.write_text(SCRIPT)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evalkit.testing",
                "--port",
                str(self.port),
                "--script",
                str(script),
                "--api-key",
                KEY,
                *args,
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base_url}/stats", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the testing server did not start")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict:
        return json.loads(urllib.request.urlopen(f"{self.base_url}/stats", timeout=5).read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def make_project(root: Path, n: int, extra_settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0"\n\n[tool.evalkit]\n{extra_settings}'
    )
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "__init__.py").write_text("")
    (root / "schemas" / "triage.py").write_text(SCHEMA)
    (root / "prompts" / "triage").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "triage" / "v1.j2").write_text(PROMPT)
    (root / "prompts" / "triage" / "v2.j2").write_text(
        PROMPT.replace("one-line summary.", "one-line summary. Be brief.")
    )
    (root / "suites").mkdir(exist_ok=True)
    (root / "suites" / "bench.yaml").write_text(SUITE)
    with (root / "suites" / "cases.jsonl").open("w") as handle:
        for i in range(n):
            handle.write(
                json.dumps(
                    {
                        "id": f"c{i:05d}",
                        "vars": {"n": i, "body": "I was charged twice this month"},
                        "expect": {"category": "billing"},
                    }
                )
                + "\n"
            )
    return root


def run_child(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit code, wall seconds, peak RSS in MB, output) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024, out


def env_for(server: Server | None, results: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    env["EVALKIT_RESULTS"] = str(results)
    if server is not None:
        env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY)
    return env


def with_server(
    root: Path, server_args: list[str], cmd: list[str], results: str
) -> tuple[int, float, float, str, dict]:
    """Run one evalkit command against a fresh testing server: the child's figures and the
    server's counters."""
    server = Server(root, *server_args)
    try:
        code, wall, rss, out = run_child(cmd, root, env_for(server, root / results))
        return code, wall, rss, out, server.stats()
    finally:
        server.stop()


def evalkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "evalkit.cli", *args]


def lost_cases(results_dir: Path, n: int) -> int:
    """Cases without a passing result, read line by line: this process must stay small,
    since a child's peak RSS starts from its parent's at the fork."""
    latest: dict[str, bool] = {}
    folder = next(results_dir.iterdir())
    with (folder / "results.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            latest[f"{row['suite']}::{row['case']}::{row.get('variant')}"] = (
                row["status"] == "done" and row["passed"]
            )
    return n - sum(latest.values())


LONG_BODY = (
    "My card was billed for the annual plan although I cancelled last week, and the invoice "
    "lists a second seat nobody asked for. "
) * 75  # about 2,000 tokens: a token-bound run sends few, long requests


def warm_up(server: Server) -> None:
    """One small request, then time for the bucket to fill again: the testing server loads
    its tokenizer on its first request (~0.2 s), which a real API does not make a client
    wait for, and which would otherwise be charged to the run's first (probe) request."""
    body = {
        "model": "gpt-4.1-mini-2025-04-14",
        "messages": [{"role": "user", "content": "warm up"}],
        "max_tokens": 1,
    }
    request = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {KEY}", "content-type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()
    time.sleep(1.0)  # the warm-up's share is back: the bucket is full


class Watch:
    """Polls the testing server's counters while a run goes on, for the span from its first
    request to its last answer: the time the limiter is responsible for, apart from the
    run's start-up (SDK import, tokenizer) and a loaded machine's slowness there."""

    def __init__(self, server: Server, every_s: float = 0.02):
        self.server, self.every_s = server, every_s
        self.points: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            stats = self.server.stats()
            self.points.append((time.monotonic(), stats["requests"], stats["answered"]))
            self._stop.wait(self.every_s)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def span(self) -> float:
        """Seconds from the first poll that saw a request to the first that saw every answer."""
        start_requests, final_answered = self.points[0][1], self.points[-1][2]
        first = next(t for t, requests, _ in self.points if requests > start_requests)
        last = next(t for t, _, answered in self.points if answered == final_answered)
        return last - first


def scenario_a(tmp: Path, quick: bool) -> list[str]:
    """A live run against OpenAI-like buckets: the full minute's allowance is there at the
    first request (burst 1), then it refills steadily; the limits are learned from headers.

    The ideal is what the server's bucket allows: the initial allowance at once, then the
    refill rate, i.e. (total weight - limit) / (limit per second) for the binding limit.
    One request first warms the testing server up (it loads its tokenizer on its first
    request, ~0.2 s that a real API does not charge to a client's first request); the
    bucket is full again before the run starts."""
    lines = []
    for label, rpm, tpm, n, body in (
        ("RPM", 1200, None, 1500, "I was charged twice this month"),
        ("TPM", 10_000, 1_000_000, 600, "I was charged twice this month. " + LONG_BODY),
    ):
        root = make_project(tmp / f"a-{label}", n, "concurrency = 64\n")
        with (root / "suites" / "cases.jsonl").open("w") as handle:
            for i in range(n):
                row = {"id": f"c{i:05d}", "vars": {"n": i, "body": body}}
                handle.write(json.dumps({**row, "expect": {"category": "billing"}}) + "\n")
        limits = ["--rpm", str(rpm), "--burst", "1"] + (["--tpm", str(tpm)] if tpm else [])
        server = Server(root, *limits)
        try:
            warm_up(server)
            before = server.stats()
            with Watch(server) as watch:
                code, wall, _, out = run_child(
                    evalkit_cmd("run", "--mode", "live"), root, env_for(server, root / "runs")
                )
            stats = {k: v - before[k] for k, v in server.stats().items() if k != "by_path"}
        finally:
            server.stop()
        if code != 0:
            print(out[-2000:])
        per_request = stats["tokens"] / max(stats["answered"], 1)
        match = re.search(r"(\d+) cases in ([\d.]+)s", out)
        run_s = float(match[2]) if match else wall
        span = watch.span()
        ideal = max((n - rpm) / (rpm / 60), 0.0)
        if tpm:
            ideal = max(ideal, (n * per_request - tpm) / (tpm / 60))
        limit = f"{rpm:,} RPM" + (
            f", {tpm:,} TPM ({per_request:,.0f} tokens a request)" if tpm else ""
        )
        lost = lost_cases(root / "runs", n)
        lines.append(
            f"(a) {label}-bound, {limit}, full allowance at start, {n} cases: ideal {ideal:.1f}s; "
            f"first request to last answer {span:.1f}s = {ideal / span:.0%} of ideal; "
            f"run {run_s:.1f}s = {ideal / run_s:.0%} (process {wall:.1f}s); "
            f"429s {stats['rate_limited']} ({stats['rate_limited'] / max(stats['requests'], 1):.1%} "
            f"of requests); lost cases {lost}"
        )
    return lines


def plain_client(base_url: str, concurrency: int):  # type: ignore[no-untyped-def]
    """A plain AsyncOpenAI client with as many connections as calls in flight: what a team
    would write without evalkit, the baseline of (b) and (f)."""
    import httpx2
    import openai

    http = openai.DefaultAsyncHttpxClient(
        limits=httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    )
    return openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0, http_client=http)


async def _baseline(base_url: str, bodies: list[dict], concurrency: int) -> float:
    client = plain_client(base_url, concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(body: dict) -> None:
        async with gate:
            rest = dict(body)
            await client.chat.completions.create(
                model=rest.pop("model"), messages=rest.pop("messages"), extra_body=rest
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def _measure_b(root: Path, base_url: str) -> dict[str, float]:
    """In a child process (so this one stays small and its RSS does not leak into the
    peak-RSS figures of later children): evalkit's engine, then the plain loop."""
    os.environ.update(
        OPENAI_BASE_URL=base_url, OPENAI_API_KEY=KEY, EVALKIT_RESULTS=str(root / "runs")
    )
    os.chdir(root)
    from evalkit.config import Mode
    from evalkit.engine.run import Engine
    from evalkit.project.open import open_project
    from evalkit.wire import tokens

    project = open_project(None, {"mode": Mode.LIVE})
    planned = project.plan()
    bodies = [p.requests[0].body for p in planned]
    tokens.count("gpt-4.1-mini-2025-04-14", "warm up")  # load the encoding outside the timing
    engine = Engine(project.settings)
    cpu, started = time.process_time(), time.perf_counter()
    results = engine.run_sync(planned)
    ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert all(r.passed for r in results)
    cpu = time.process_time()
    plain = asyncio.run(_baseline(base_url, bodies, 64))
    return {
        "n": len(planned),
        "ours": ours,
        "ours_cpu": ours_cpu,
        "plain": plain,
        "plain_cpu": time.process_time() - cpu,
    }


def scenario_b(tmp: Path, quick: bool) -> list[str]:
    n = 1000 if quick else 3000
    root = make_project(tmp / "b", n, "concurrency = 64\n")
    server = Server(root, "--latency-ms", "30")
    try:
        code, _, _, out = run_child(
            [sys.executable, __file__, "--measure-b", str(root), server.base_url],
            root,
            env_for(None, root / "runs"),
        )
    finally:
        server.stop()
    assert code == 0, out[-2000:]
    m = json.loads(out.strip().splitlines()[-1])
    return [
        f"(b) {n} calls, 30 ms latency, concurrency 64: evalkit {n / m['ours']:.0f}/s, "
        f"plain AsyncOpenAI+semaphore {n / m['plain']:.0f}/s, ratio {m['plain'] / m['ours']:.2f}; "
        f"client CPU per call: evalkit {m['ours_cpu'] / n * 1000:.2f} ms, plain {m['plain_cpu'] / n * 1000:.2f} ms "
        f"(the single-process testing server caps both)"
    ]


def scenario_c(tmp: Path, quick: bool) -> list[str]:
    n = 10_000 if quick else 100_000
    root = make_project(tmp / "c", n, "concurrency = 32\n")
    code, wall, rss, out, _ = with_server(root, [], evalkit_cmd("run", "--mode", "live"), "runs")
    if code != 0:
        print(out[-2000:])
    return [
        f"(c) live run of {n:,} cases: peak RSS {rss:.0f} MB, {wall:.1f}s ({n / wall:.0f} cases/s), exit {code}, lost {lost_cases(root / 'runs', n)}"
    ]


def scenario_d(tmp: Path, quick: bool) -> list[str]:
    n = 2000 if quick else 10_000
    root = make_project(tmp / "d", n, "concurrency = 64\n")
    code, _, _, out, _ = with_server(root, [], evalkit_cmd("record"), "record-runs")
    assert code == 0, out[-2000:]
    lines = []
    code, wall, rss, out = run_child(evalkit_cmd("run"), root, env_for(None, root / "replay-runs"))
    lines.append(
        f"(d) replay of {n:,} recorded cases, evalkit run: {wall:.2f}s = {n / wall:.0f} cases/s, peak RSS {rss:.0f} MB, exit {code}"
    )
    code, wall, rss, out = run_child(
        [sys.executable, "-m", "pytest", "--evalkit", "suites/", "-q", "-p", "no:cacheprovider"],
        root,
        env_for(None, root / "pytest-runs"),
    )
    lines.append(
        f"(d) replay of {n:,} recorded cases, pytest --evalkit: {wall:.2f}s = {n / wall:.0f} cases/s, peak RSS {rss:.0f} MB, exit {code}"
    )
    return lines


def scenario_e(tmp: Path, quick: bool) -> list[str]:
    """`evalkit diff` of the same cases under two variants, from recordings."""
    n = 5000 if quick else 100_000
    root = make_project(tmp / "e", n, "concurrency = 64\n")
    code, _, _, out, _ = with_server(
        root, [], evalkit_cmd("record", "--all-variants"), "record-runs"
    )
    assert code == 0, out[-2000:]
    code, wall, rss, out = run_child(
        evalkit_cmd(
            "diff",
            "base",
            "v2",
            "--markdown",
            "diff.md",
            "--json",
            "diff.json",
        ),
        root,
        env_for(None, root / "diff-runs"),
    )
    return [
        f"(e) evalkit diff of {n:,} cases under two variants, from recordings (markdown + JSON): "
        f"{wall:.1f}s ({2 * n / wall:.0f} cases/s), peak RSS {rss:.0f} MB, exit {code}, "
        f"markdown {(root / 'diff.md').stat().st_size / 1024:.0f} kB"
    ]


def _write_shards(folder: Path, prefix: str, n: int, shards: int, regress_every: int) -> list[str]:
    """``shards`` run folders holding ``n`` cases between them, written line by line (this
    process stays small: a child's peak RSS starts from its parent's at the fork)."""
    sys.path.insert(0, str(REPO))
    from evalkit.project.shard import Shard

    names = [f"{prefix}-{k}" for k in range(1, shards + 1)]
    handles = []
    for k, name in enumerate(names, 1):
        (folder / name).mkdir(parents=True)
        meta = {"run_id": name, "mode": "replay", "shard": f"{k}/{shards}", "cases": 0}
        handles.append((folder / name / "results.jsonl").open("w"))
        (folder / name / "meta.tmp").write_text(json.dumps(meta))
    counts = [0] * shards
    for i in range(n):
        case = f"c{i:06d}"
        k = next(k for k in range(1, shards + 1) if Shard(k, shards).owns("bench", case))
        passed = not (regress_every and i % regress_every == 0)
        output = json.dumps(
            {"category": "billing", "urgency": "high" if passed else "low", "summary": f"Case {i}."}
        )
        row = {
            "suite": "bench",
            "case": case,
            "passed": passed,
            "prompt": "triage@v1",
            "samples": [
                {
                    "passed": passed,
                    "output": output,
                    "latency_ms": 100.0 + i % 50,
                    "input_tokens": 60,
                    "output_tokens": 20,
                    "cost_usd": 0.000056,
                    "source": "recording",
                    "checks": [{"type": "schema", "passed": True}],
                }
            ],
            "messages": [{"role": "user", "content": f"Ticket {i}: I was charged twice"}],
        }
        handles[k - 1].write(json.dumps(row) + "\n")
        counts[k - 1] += 1
    for handle, name, count in zip(handles, names, counts, strict=True):
        handle.close()
        meta = json.loads((folder / name / "meta.tmp").read_text())
        meta["cases"] = count
        (folder / name / "run.json").write_text(json.dumps(meta))
        (folder / name / "meta.tmp").unlink()
    return [str(folder / name) for name in names]


def scenario_f(tmp: Path, quick: bool) -> list[str]:
    """CI shards: report and diff on the union of 4 + 4 run folders."""
    n = 10_000 if quick else 100_000
    root = make_project(tmp / "f", 10)
    runs = root / "ci"
    base = _write_shards(runs, "base", n, 4, 0)
    head = _write_shards(runs, "head", n, 4, 97)
    lines = []
    code, wall, rss, _ = run_child(
        evalkit_cmd("report", *head, "--markdown", "report.md"), root, env_for(None, runs)
    )
    lines.append(
        f"(f) evalkit report of 4 shards, {n:,} cases: {wall:.1f}s, peak RSS {rss:.0f} MB, exit {code} (1: regressions expected)"
    )
    code, wall, rss, _ = run_child(
        evalkit_cmd(
            "diff", "--runs", *base, "--", *head, "--markdown", "diff.md", "--json", "diff.json"
        ),
        root,
        env_for(None, runs),
    )
    match = re.search(r"(\d+) regression\(s\)", (root / "diff.md").read_text())
    lines.append(
        f"(f) evalkit diff --runs 4 shards -- 4 shards, {n:,} cases a side: {wall:.1f}s, peak RSS "
        f"{rss:.0f} MB, exit {code}, {match[1] if match else '?'} regressions found "
        f"(expected {len(range(0, n, 97))}), markdown {(root / 'diff.md').stat().st_size / 1024:.0f} kB"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a minute or so)")
    parser.add_argument(
        "--only", choices=list("abcdef"), action="append", help="run only these scenarios"
    )
    parser.add_argument(
        "--measure-b", nargs=2, metavar=("ROOT", "BASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure_b:
        print(json.dumps(_measure_b(Path(args.measure_b[0]), args.measure_b[1])))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    lines: list[str] = []
    try:
        for key, scenario in (
            ("a", scenario_a),
            ("b", scenario_b),
            ("c", scenario_c),
            ("d", scenario_d),
            ("e", scenario_e),
            ("f", scenario_f),
        ):
            if args.only and key not in args.only:
                continue
            for line in scenario(tmp, args.quick):
                print(line, flush=True)
                lines.append(line)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
