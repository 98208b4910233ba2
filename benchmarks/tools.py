"""Benchmarks of streaming and tool loops: ``python benchmarks/tools.py [--quick]``.

(s) a streamed live run: evalkit's engine against a plain AsyncOpenAI streaming loop
    making the same calls (goal: a throughput ratio of at least 0.8);
(t) replay of a 3-turn tool suite through `evalkit run` (goal: at least 1,500 cases/s).

The testing server runs in its own process on 127.0.0.1 (helpers from benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from run import KEY, Server, env_for, evalkit_cmd, plain_client, run_child

TOOLS = '''
from pydantic import BaseModel


class LookupOrder(BaseModel):
    """Look up an order."""

    order_id: str


class CheckStock(BaseModel):
    """Check an item's stock."""

    sku: str
'''
PROMPT = """{% message "system" %}
Support agent. Look orders up first.
{% endmessage %}
{% message "user" %}
Order {{ n }}: {{ body }}
{% endmessage %}
"""
SCRIPT = r"""rules:
  - when: ['\[tool result check_stock\]']
    reply: "Your order has shipped and the item is in stock."
  - when: ['\[tool result lookup_order\]']
    tool_calls: [{name: check_stock, arguments: {sku: S-1}}]
  - when: ["Order"]
    tool_calls: [{name: lookup_order, arguments: {order_id: A1}}]
"""
SUITE = """suite: agent
prompt: agent@v1
model: gpt-4.1-mini-2025-04-14
params: {{max_tokens: 100}}
tools: [schemas.agent:LookupOrder, schemas.agent:CheckStock]
stream: {stream}
max_turns: 4
assert:
  - tool_args_valid
  - {{type: tool_sequence, names: [lookup_order, check_stock], order: exact}}
  - {{type: contains, value: shipped}}
cases:
  - cases_from: cases.jsonl
"""

PLAIN = """suite: agent
prompt: agent@v1
model: gpt-4.1-mini-2025-04-14
params: {{max_tokens: 100}}
stream: {stream}
budget: {{ttft_ms: 60000}}
cases:
  - cases_from: cases.jsonl
"""


def project(root: Path, n: int, stream: bool, tools: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "0"\n\n[tool.evalkit]\nconcurrency = 64\n'
    )
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "__init__.py").write_text("")
    (root / "schemas" / "agent.py").write_text(TOOLS)
    (root / "prompts" / "agent").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "agent" / "v1.j2").write_text(PROMPT)
    (root / "suites").mkdir(exist_ok=True)
    suite = SUITE.format(stream=str(stream).lower())
    if not tools:  # one plain streamed answer per case
        suite = PLAIN.format(stream=str(stream).lower())
    (root / "suites" / "agent.yaml").write_text(suite)
    (root / "tools-script.yaml").write_text(SCRIPT)
    with (root / "suites" / "cases.jsonl").open("w") as handle:
        for i in range(n):
            row: dict[str, object] = {
                "id": f"c{i:05d}",
                "vars": {"n": i, "body": "where is my order?"},
            }
            if tools:
                row["tool_results"] = [
                    {"name": "lookup_order", "result": {"status": "shipped"}},
                    {"name": "check_stock", "result": {"in_stock": True}},
                ]
            handle.write(json.dumps(row) + "\n")
    return root


async def _plain_streams(base_url: str, bodies: list[dict], concurrency: int) -> float:
    client = plain_client(base_url, concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(body: dict) -> None:
        async with gate:
            rest = dict(body)
            rest.pop("stream", None)
            stream = await client.chat.completions.create(
                model=rest.pop("model"),
                messages=rest.pop("messages"),
                stream=True,
                stream_options=rest.pop("stream_options"),
                extra_body=rest,
            )
            async for _ in stream:
                pass

    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed


def _measure_f(root: Path, base_url: str) -> dict[str, float]:
    """In a child: evalkit's streamed run, then the plain streaming loop, same calls."""
    os.environ.update(
        OPENAI_BASE_URL=base_url, OPENAI_API_KEY=KEY, EVALKIT_RESULTS=str(root / "runs")
    )
    os.chdir(root)
    from evalkit.config import Mode
    from evalkit.engine.run import Engine
    from evalkit.project.open import open_project
    from evalkit.wire import tokens

    project_ = open_project(None, {"mode": Mode.LIVE})
    planned = project_.plan()
    bodies = [p.requests[0].body for p in planned]
    tokens.count("gpt-4.1-mini-2025-04-14", "warm up")
    engine = Engine(project_.settings)
    started = time.perf_counter()
    results = engine.run_sync(planned)
    ours = time.perf_counter() - started
    assert all(r.passed for r in results), results[0].failure_report()
    assert all(r.samples[0].ttft_ms is not None for r in results)
    plain = asyncio.run(_plain_streams(base_url, bodies, 64))
    return {"n": len(planned), "ours": ours, "plain": plain}


def scenario_s(tmp: Path, quick: bool) -> str:
    n = 500 if quick else 2000
    root = project(tmp / "f", n, stream=True, tools=False)
    server = Server(root, "--ttft-ms", "20", "--chunk-delay-ms", "1")
    try:
        code, _, _, out = run_child(
            [sys.executable, __file__, "--measure-f", str(root), server.base_url],
            root,
            env_for(None, root / "runs"),
        )
    finally:
        server.stop()
    assert code == 0, out[-2000:]
    m = json.loads(out.strip().splitlines()[-1])
    return (
        f"(s) {n:,} streamed calls (20 ms to first token), concurrency 64: evalkit "
        f"{n / m['ours']:.0f}/s, plain AsyncOpenAI streaming loop {n / m['plain']:.0f}/s, "
        f"ratio {m['plain'] / m['ours']:.2f}"
    )


def scenario_t(tmp: Path, quick: bool) -> str:
    n = 1000 if quick else 5000
    root = project(tmp / "g", n, stream=False)
    server = Server(root, "--script", str(root / "tools-script.yaml"))  # the last --script wins
    try:
        env = {**env_for(server, root / "rec")}
        code, _, _, out = run_child(evalkit_cmd("record"), root, env)
    finally:
        server.stop()
    assert code == 0, out[-2000:]
    code, wall, rss, out = run_child(evalkit_cmd("run"), root, env_for(None, root / "replay"))
    assert code == 0, out[-2000:]
    return (
        f"(t) replay of {n:,} cases of a 3-turn tool suite (2 scripted tool calls each), "
        f"evalkit run: {wall:.2f}s = {n / wall:,.0f} cases/s ({3 * n / wall:,.0f} turns/s), "
        f"peak RSS {rss:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["s", "t"])
    parser.add_argument("--measure-f", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_f:
        print(json.dumps(_measure_f(Path(args.measure_f[0]), args.measure_f[1])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario in (("s", scenario_s), ("t", scenario_t)):
            if args.only in (None, name):
                print(scenario(Path(tmp), args.quick), flush=True)


if __name__ == "__main__":
    main()
