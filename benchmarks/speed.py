"""The speed goals, each as a whole process: ``python benchmarks/speed.py [--repeat 3]``.

Prints one line per figure, with the median (and the spread) of ``--repeat`` runs of wall
time and of CPU time (user + system of the child, from ``os.wait4``). The machine these run on
is shared, so CPU time is the steadier figure; wall time is what a user waits.

(r) replay of 5,000 recorded cases: ``evalkit run`` (goal <= ~0.8 s; floor: reading 5,000
    small JSON files and writing 5,000 result lines), shared by its helper processes as
    by default, and again in one process (``--processes 1``); CPU includes the helpers';
(p) ``pytest --evalkit`` over the same 5,000 cases against bare pytest over 5,000 trivial
    items (goal: within 1.3x), shared by helper processes as by default, and again in one
    process (``--evalkit-processes 1``);
(l) live, no limit, 30 ms latency, concurrency 64, 3,000 cases: ``evalkit run --mode live``
    against a plain AsyncOpenAI + semaphore loop making the same calls, both whole
    processes, start-up included (goal: throughput >= 0.90 of the plain loop);
(q) 1,500 cases under a 1,200 RPM limit (a bucket that starts full): the whole process
    against the ideal 15 s (goal: >= 0.96 of the ideal).

``--only r`` (and p, l, q) runs one; ``--profile DIR`` also writes cProfile dumps of (r)
and (p), each in one process, to DIR (``python -m pstats DIR/replay.prof``).

A child's bytecode is cached as on a user's machine (``PYTHONDONTWRITEBYTECODE`` is dropped
from its environment).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import KEY, Server, env_for, evalkit_cmd, make_project, warm_up


def child(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, CPU s, peak RSS MB, output) of one child process. Bytecode is
    cached as on a user's machine (this sandbox sets PYTHONDONTWRITEBYTECODE, which makes
    every start-up compile evalkit's modules again: ~0.2 s that no install pays)."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return (
        os.waitstatus_to_exitcode(status),
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        out,
    )


def fig(values: list[float], unit: str = "s") -> str:
    """A median with its spread: ``1.23 s (1.20-1.31)``."""
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def repeat(times: int, cmd: list[str], cwd: Path, env_of, check=None) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """``times`` runs of ``cmd``, each with the environment ``env_of(results folder)``;
    ``check(results folder, output)``, when given, looks at each run before its folder goes
    (and raises SystemExit if the run did not do what was timed)."""
    walls, cpus, rss = [], [], []
    for k in range(times):
        results = cwd / f"results-{k}"
        shutil.rmtree(results, ignore_errors=True)
        code, wall, cpu, mb, out = child(cmd, cwd, env_of(results))
        if code != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{out[-3000:]}")
        if check is not None:
            check(results, out)
        walls.append(wall)
        cpus.append(cpu)
        rss.append(mb)
        shutil.rmtree(results, ignore_errors=True)
    return {"wall": walls, "cpu": cpus, "rss": rss}


def recorded_project(tmp: Path, n: int) -> Path:
    """A project with ``n`` recorded cases (recorded once against the testing server)."""
    root = make_project(tmp / "replay", n, "concurrency = 64\n")
    server = Server(root)
    try:
        code, _, _, _, out = child(evalkit_cmd("record"), root, env_for(server, root / "rec"))
    finally:
        server.stop()
    if code != 0:
        raise SystemExit(f"recording failed:\n{out[-3000:]}")
    return root


def profiled(cmd: list[str], dump: Path) -> list[str]:
    """``cmd`` under cProfile: ``python -m evalkit.cli`` becomes ``-m cProfile -o dump -m ...``."""
    assert cmd[0] == sys.executable and cmd[1] == "-m"
    return [sys.executable, "-m", "cProfile", "-o", str(dump), *cmd[1:]]


def goal_replay(root: Path, times: int, profile: Path | None, n: int) -> list[str]:
    cmd = evalkit_cmd("run")
    m = repeat(times, cmd, root, lambda results: env_for(None, results))
    one = repeat(times, [*cmd, "--processes", "1"], root, lambda results: env_for(None, results))
    if profile:
        one_cmd = [*cmd, "--processes", "1"]  # cProfile sees one process only
        child(profiled(one_cmd, profile / "replay.prof"), root, env_for(None, root / "prof"))
        shutil.rmtree(root / "prof", ignore_errors=True)
    return [
        f"(r) replay of {n:,} recorded cases, evalkit run: wall {fig(m['wall'])}, "
        f"CPU {fig(m['cpu'])}, peak RSS {statistics.median(m['rss']):.0f} MB "
        f"(goal <= ~0.8 s; {min(len(os.sched_getaffinity(0)), 4)} processes: one per CPU, at most 4)",
        f"    the same in one process (--processes 1): wall {fig(one['wall'])}, "
        f"CPU {fig(one['cpu'])}, peak RSS {statistics.median(one['rss']):.0f} MB",
    ]


TRIVIAL = """import pytest


@pytest.mark.parametrize("i", range({n}))
def test_trivial(i):
    assert i >= 0
"""


def goal_pytest(root: Path, times: int, profile: Path | None, n: int) -> list[str]:
    flags = ["-q", "-p", "no:cacheprovider"]
    cmd = [sys.executable, "-m", "pytest", "--evalkit", "suites/", *flags]
    ours = repeat(times, cmd, root, lambda results: env_for(None, results))
    one_cmd = [*cmd, "--evalkit-processes", "1"]
    one = repeat(times, one_cmd, root, lambda results: env_for(None, results))
    bare_dir = root.parent / "bare"
    bare_dir.mkdir(exist_ok=True)
    (bare_dir / "test_trivial.py").write_text(TRIVIAL.replace("{n}", str(n)))
    bare_cmd = [sys.executable, "-m", "pytest", "test_trivial.py", *flags]
    bare = repeat(times, bare_cmd, bare_dir, lambda results: env_for(None, results))
    if profile:
        child(profiled(one_cmd, profile / "pytest.prof"), root, env_for(None, root / "prof"))
        shutil.rmtree(root / "prof", ignore_errors=True)
    ratio_wall = statistics.median(ours["wall"]) / statistics.median(bare["wall"])
    ratio_cpu = statistics.median(ours["cpu"]) / statistics.median(bare["cpu"])
    return [
        f"(p) pytest --evalkit over {n:,} recorded cases: wall {fig(ours['wall'])}, CPU "
        f"{fig(ours['cpu'])}, peak RSS {statistics.median(ours['rss']):.0f} MB; bare pytest over "
        f"{n:,} trivial items: wall {fig(bare['wall'])}, CPU {fig(bare['cpu'])}; ratio "
        f"{ratio_wall:.2f}x wall, {ratio_cpu:.2f}x CPU (goal <= 1.3x)",
        f"    in one process (--evalkit-processes 1): wall {fig(one['wall'])}, CPU "
        f"{fig(one['cpu'])}, peak RSS {statistics.median(one['rss']):.0f} MB; ratio "
        f"{statistics.median(one['wall']) / statistics.median(bare['wall']):.2f}x wall",
    ]


PLAIN = """import asyncio, json, sys, time
import httpx2, openai

async def main(base_url, path, concurrency):
    bodies = [json.loads(line) for line in open(path)]
    http = openai.DefaultAsyncHttpxClient(
        limits=httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    )
    client = openai.AsyncOpenAI(base_url=base_url, api_key="{key}", max_retries=0, http_client=http)
    gate = asyncio.Semaphore(concurrency)
    results = []

    async def one(body):
        async with gate:
            rest = dict(body)
            answer = await client.chat.completions.create(
                model=rest.pop("model"), messages=rest.pop("messages"), extra_body=rest
            )
            results.append(json.loads(answer.choices[0].message.content))

    await asyncio.gather(*(one(b) for b in bodies))
    await client.close()
    with open(path + ".out", "w") as handle:
        for row in results:
            handle.write(json.dumps(row) + "\\n")

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""

BODIES = """import json, os, sys
os.chdir(sys.argv[1])
from evalkit.config import Mode
from evalkit.project.open import open_project
project = open_project(None, {"mode": Mode.LIVE})
with open(sys.argv[2], "w") as handle:
    for planned in project.plan():
        handle.write(json.dumps(planned.requests[0].body) + "\\n")
"""


def goal_live(tmp: Path, times: int, n: int) -> list[str]:
    """evalkit against the plain loop, alternating, each against a fresh testing server."""
    root = make_project(tmp / "live", n, "concurrency = 64\n")
    bodies = tmp / "bodies.jsonl"
    code, _, _, _, out = child(
        [sys.executable, "-c", BODIES, str(root), str(bodies)], root, env_for(None, root / "x")
    )
    if code != 0:
        raise SystemExit(f"planning failed:\n{out[-3000:]}")
    plain = tmp / "plain.py"
    plain.write_text(PLAIN.replace("{key}", KEY))
    ours: dict[str, list[float]] = {"wall": [], "cpu": []}
    base: dict[str, list[float]] = {"wall": [], "cpu": []}
    for k in range(times):
        for side, cmd in (
            (ours, evalkit_cmd("run", "--mode", "live")),
            (base, [sys.executable, str(plain), "", str(bodies), "64"]),
        ):
            server = Server(root, "--latency-ms", "30")
            try:
                warm_up(server)
                if side is base:
                    cmd[2] = server.base_url
                code, wall, cpu, _, out = child(cmd, root, env_for(server, root / f"runs-{k}"))
            finally:
                server.stop()
            if code != 0:
                raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{out[-3000:]}")
            side["wall"].append(wall)
            side["cpu"].append(cpu)
            shutil.rmtree(root / f"runs-{k}", ignore_errors=True)
    ratios = [b / o for b, o in zip(base["wall"], ours["wall"], strict=True)]
    return [
        f"(l) live, 30 ms latency, concurrency 64, {n:,} cases, whole process: evalkit wall "
        f"{fig(ours['wall'])}, CPU {fig(ours['cpu'])}; plain AsyncOpenAI loop wall "
        f"{fig(base['wall'])}, CPU {fig(base['cpu'])}; throughput ratio {fig(ratios, 'x')} "
        f"(goal >= 0.90); CPU per case {statistics.median(ours['cpu']) / n * 1000:.2f} ms vs "
        f"{statistics.median(base['cpu']) / n * 1000:.2f} ms"
    ]


def goal_limited(tmp: Path, times: int, n: int, rpm: int) -> list[str]:
    root = make_project(tmp / "limited", n, "concurrency = 64\n")
    ideal = max((n - rpm) / (rpm / 60), 0.0)
    walls, cpus = [], []
    for k in range(times):
        server = Server(root, "--rpm", str(rpm), "--burst", "1")
        try:
            warm_up(server)
            code, wall, cpu, _, out = child(
                evalkit_cmd("run", "--mode", "live"), root, env_for(server, root / f"runs-{k}")
            )
            rate_limited = server.stats()["rate_limited"]
        finally:
            server.stop()
        if code != 0:
            raise SystemExit(f"the limited run exited {code}:\n{out[-3000:]}")
        walls.append(wall)
        cpus.append(cpu)
        shutil.rmtree(root / f"runs-{k}", ignore_errors=True)
    ratios = [ideal / w for w in walls]
    return [
        f"(q) {n:,} cases at {rpm:,} RPM (bucket starts full), whole process: wall {fig(walls)}, "
        f"CPU {fig(cpus)}; ideal {ideal:.1f} s; ratio {fig(ratios, 'x')} (goal >= 0.96); "
        f"429s in the last run {rate_limited}"
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--only", choices=list("rplq"), action="append")
    parser.add_argument("--profile", type=Path, help="write cProfile dumps of (r) and (p) here")
    parser.add_argument("--cases", type=int, default=5000, help="cases of (r) and (p)")
    args = parser.parse_args()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-speed-"))
    try:
        wanted = args.only or list("rplq")
        if "r" in wanted or "p" in wanted:
            root = recorded_project(tmp, args.cases)
            if "r" in wanted:
                print(
                    *goal_replay(root, args.repeat, args.profile, args.cases), sep="\n", flush=True
                )
            if "p" in wanted:
                print(
                    *goal_pytest(root, args.repeat, args.profile, args.cases), sep="\n", flush=True
                )
        if "l" in wanted:
            print(*goal_live(tmp, args.repeat, 3000), flush=True)
        if "q" in wanted:
            print(*goal_limited(tmp, args.repeat, 1500, 1200), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
