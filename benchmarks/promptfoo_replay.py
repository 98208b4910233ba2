"""promptfoo's cached re-run against ``evalkit run``'s replay, the same cases on the same
machine: ``python benchmarks/promptfoo_replay.py [--repeat 3] [--cases 5000] [--promptfoo PATH]``.

Issue 26's goal is a replay at least 20x faster than promptfoo's cached re-run of the same
cases. Seconds measured on another machine do not transfer, so this measures both here.

promptfoo is not a dependency of evalkit: install it once, outside the repository,

    npm install --prefix ~/.cache/evalkit-bench/promptfoo promptfoo@0.121

(``--promptfoo`` defaults to ``~/.cache/evalkit-bench/promptfoo/node_modules/.bin/promptfoo``;
without it the script exits 2 and prints that command).

The cases are speed.py's: 5,000 recorded cases of a triage prompt (a system and a user
message), a pydantic schema through ``response_format`` json_schema, and a ``one_of`` check on
``urgency``. The promptfoo config asks the same: an ``openai:chat:<model>`` provider whose
``apiBaseUrl`` is the testing server on 127.0.0.1 (a dummy key from ``OPENAI_API_KEY``), the
same two messages (checked against evalkit's planned requests, case by case, in promptfoo's
stored results), the same ``temperature``, ``max_tokens`` and ``response_format``, an ``is-json``
assertion with the schema and a ``javascript`` one for ``urgency in [medium, high]``.

1. evalkit records the cases against the testing server (speed.py's ``recorded_project``);
2. ``promptfoo eval`` runs once against a testing server to fill its cache (disk cache,
   ``PROMPTFOO_CACHE_PATH`` and ``PROMPTFOO_CONFIG_DIR``, i.e. its database, in the temp folder);
3. the server is stopped, so a cache miss fails visibly (as an error, after promptfoo's
   retries: minutes); ``promptfoo eval`` and ``evalkit run`` then run in turn, ``--repeat``
   times each, each whole process timed (wall, CPU of the child from ``os.wait4``, peak RSS):
   each promptfoo run is checked in promptfoo's database (every case cached and passed),
   each evalkit run in its results file (every case from its recording and passed).
   Alternating keeps a shared machine's drifting load from falling on one side only.
   ``evalkit run`` runs as a user runs it: a replay this size is shared by one process per
   CPU (at most 4), and its CPU time counts every process (``os.wait4`` includes the
   helpers it reaped).

It prints both medians (with their spread), the ratio, each alternated pair's ratio, and
the implied goal for evalkit on this machine: promptfoo's median / 20. promptfoo runs with its defaults otherwise (its table,
4 at a time, results written to its database) and with telemetry, update checks and sharing
off (``PROMPTFOO_DISABLE_TELEMETRY``, ``PROMPTFOO_DISABLE_UPDATE``, ``PROMPTFOO_DISABLE_SHARING``,
``PROMPTFOO_DISABLE_REMOTE_GENERATION``). The load average is printed before and after: the
machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import KEY, Server, env_for, evalkit_cmd
from speed import BODIES, child, fig, recorded_project, repeat

INSTALL = "npm install --prefix ~/.cache/evalkit-bench/promptfoo promptfoo@0.121"
DEFAULT_BIN = Path("~/.cache/evalkit-bench/promptfoo/node_modules/.bin/promptfoo").expanduser()
GOAL = 20

# The prompt of benchmarks/run.py's PROMPT in promptfoo's chat form (Nunjucks variables).
SYSTEM = (
    "You triage support tickets for {{ company }}. "
    "Answer with the category, urgency and a one-line summary."
)
USER = "Ticket {{ n }}: {{ body }}"
COMPANY = "Acme"  # the suite's vars
ONE_OF = "['medium', 'high'].includes((typeof output === 'string' ? JSON.parse(output) : output).urgency)"


def rendered(template: str, variables: dict[str, object]) -> str:
    for name, value in variables.items():
        template = template.replace("{{ " + name + " }}", str(value))
    return template


def planned_bodies(root: Path) -> list[dict]:
    """evalkit's request bodies for the project's cases, in case order (planned, not sent)."""
    path = root.parent / "bodies.jsonl"
    code, _, _, _, out = child(
        [sys.executable, "-c", BODIES, str(root), str(path)], root, env_for(None, root / "x")
    )
    if code != 0:
        raise SystemExit(f"planning failed:\n{out[-3000:]}")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def promptfoo_config(root: Path, bodies: list[dict], base_url: str) -> dict:
    """The promptfoo config of the project's cases; refuses if a case's evalkit request is not
    what promptfoo would send (other messages, or parameters that differ between cases)."""
    first = bodies[0]
    params = {k: v for k, v in first.items() if k not in ("model", "messages")}
    tests = []
    with (root / "suites" / "cases.jsonl").open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle]
    if len(cases) != len(bodies):
        raise SystemExit(f"{len(cases)} cases but {len(bodies)} planned requests")
    for case, body in zip(cases, bodies, strict=True):
        variables = {"company": COMPANY, **case["vars"]}
        expected = [
            {"role": "system", "content": rendered(SYSTEM, variables)},
            {"role": "user", "content": rendered(USER, variables)},
        ]
        rest = {k: v for k, v in body.items() if k not in ("model", "messages")}
        if body["messages"] != expected or rest != params or body["model"] != first["model"]:
            raise SystemExit(f"case {case['id']}: evalkit sends {body}, not {expected} + {params}")
        tests.append({"description": case["id"], "vars": case["vars"]})
    schema = params["response_format"]["json_schema"]["schema"]
    return {
        "description": "evalkit benchmark: the triage cases of benchmarks/speed.py",
        "prompts": [
            {
                "id": "triage",
                "label": "triage@v1",
                "raw": json.dumps(
                    [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
                ),
            }
        ],
        "providers": [
            {"id": f"openai:chat:{first['model']}", "config": {"apiBaseUrl": base_url, **params}}
        ],
        "defaultTest": {
            "vars": {"company": COMPANY},
            "assert": [
                {"type": "is-json", "value": schema},
                {"type": "javascript", "value": ONE_OF},
            ],
        },
        "tests": tests,
    }


def promptfoo_env(folder: Path, results: Path) -> dict[str, str]:
    env = env_for(None, results)
    for name in ("NODE_ENV", "IS_TESTING", "CI"):  # NODE_ENV=test would make the cache memory-only
        env.pop(name, None)
    env.update(
        OPENAI_API_KEY=KEY,
        PROMPTFOO_CACHE_ENABLED="true",
        PROMPTFOO_CACHE_TYPE="disk",
        PROMPTFOO_CACHE_PATH=str(folder / "cache"),
        PROMPTFOO_CONFIG_DIR=str(folder / "config"),
        PROMPTFOO_DISABLE_TELEMETRY="1",
        PROMPTFOO_DISABLE_UPDATE="1",
        PROMPTFOO_DISABLE_SHARING="1",
        PROMPTFOO_DISABLE_REMOTE_GENERATION="1",
        # 0.121's per-run log files race its shutdown ("write after end" from winston, exit
        # 1 after a complete eval; it ended one of this script's first cached re-runs, and
        # promptfoo PRs 6511, 6514 and 6625 tried to fix it). Without the files the race
        # cannot happen, and promptfoo writes less: if anything, promptfoo's figure gains.
        PROMPTFOO_DISABLE_DEBUG_LOG="1",
        PROMPTFOO_DISABLE_ERROR_LOG="1",
        NO_COLOR="1",
    )
    return env


def check_promptfoo(folder: Path, n: int, bodies: list[dict] | None, cached: bool) -> None:
    """Every case of the newest eval in promptfoo's database passed, and came from the cache
    (or, for the run that fills it, did not); with ``bodies``, promptfoo's rendered messages
    are evalkit's. Row by row: this process stays small (a child's peak RSS counts from its
    parent's size at the fork)."""
    db = sqlite3.connect(f"file:{folder / 'config' / 'promptfoo.db'}?mode=ro", uri=True)
    seen, failed, wrong, differ = 0, [], [], []
    try:
        (eval_id,) = db.execute("select id from evals order by created_at desc limit 1").fetchone()
        rows = db.execute(
            "select test_idx, success, json_extract(response, '$.cached'), error, prompt "
            "from eval_results where eval_id = ? order by test_idx",
            (eval_id,),
        )
        for index, success, from_cache, error, prompt in rows:
            if index != seen:
                break
            seen += 1
            if not success or error:
                failed.append(index)
            if bool(from_cache) != cached:
                wrong.append(index)
            if (
                bodies is not None
                and json.loads(json.loads(prompt)["raw"]) != (bodies[index]["messages"])
            ):
                differ.append(index)
    finally:
        db.close()
    problems = []
    if seen != n:
        problems.append(f"results for tests 0 to {seen - 1} in order, not one for each of {n}")
    if failed:
        problems.append(f"{len(failed)} not passed (first: test {failed[0]})")
    if wrong:
        problems.append(f"{len(wrong)} {'not ' if cached else ''}from the cache")
    if differ:
        problems.append(f"{len(differ)} prompts unlike evalkit's (first: test {differ[0]})")
    if problems:
        raise SystemExit(f"promptfoo eval {eval_id}: " + "; ".join(problems))


def check_replay(n: int):  # type: ignore[no-untyped-def]
    """Every case of the run in the results folder was replayed from its recording and
    passed (read line by line, as above)."""

    def check(results: Path, out: str) -> None:
        (folder,) = results.iterdir()
        rows = good = 0
        with (folder / "results.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                rows += 1
                samples = row.get("samples") or []
                good += (
                    row["status"] == "done"
                    and row["passed"]
                    and bool(samples)
                    and all(s.get("source") == "recording" for s in samples)
                )
        if rows != n or good != n:
            raise SystemExit(f"evalkit run: {good} of {n} cases replayed and passed:\n{out}")

    return check


def prepare(tmp: Path, n: int, binary: Path) -> None:
    """In a child of its own (the harness stays small): record the cases with evalkit, write
    promptfoo's config, fill its cache against the testing server, check that run."""
    root = recorded_project(tmp, n)
    bodies = planned_bodies(root)
    folder = tmp / "promptfoo"
    folder.mkdir()
    config = folder / "promptfooconfig.json"
    server = Server(folder)
    try:
        config.write_text(json.dumps(promptfoo_config(root, bodies, server.base_url)))
        code, wall, _, _, out = child(
            promptfoo_cmd(binary, folder), folder, promptfoo_env(folder, folder / "fill")
        )
    finally:
        server.stop()
    if code != 0:
        raise SystemExit(f"promptfoo's first run exited {code}:\n{out[-3000:]}")
    check_promptfoo(folder, n, bodies, cached=False)
    print(f"{versions(binary)}; its first run (filling the cache) took {wall:.1f} s", flush=True)


def promptfoo_cmd(binary: Path, folder: Path) -> list[str]:
    return [str(binary), "eval", "-c", str(folder / "promptfooconfig.json")]


def versions(binary: Path) -> str:
    package = binary.resolve().parents[2] / "package.json"
    try:
        version = json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        version = "?"
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return f"promptfoo {version}, node {node or '?'}"


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument(
        "--promptfoo", type=Path, default=DEFAULT_BIN, help=f"the promptfoo bin ({DEFAULT_BIN})"
    )
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    binary = args.promptfoo.expanduser()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        print(f"promptfoo not found at {binary}; install it with: {INSTALL}", file=sys.stderr)
        return 2
    n = args.cases
    if args.prepare:
        prepare(args.prepare, n, binary)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="evalkit-promptfoo-"))
    try:
        code, _, _, _, out = child(
            [
                sys.executable,
                __file__,
                "--prepare",
                str(tmp),
                "--cases",
                str(n),
                "--promptfoo",
                str(binary),
            ],
            tmp,
            dict(os.environ),
        )
        print(out.strip(), flush=True)
        if code != 0:
            raise SystemExit(code)
        folder, root = tmp / "promptfoo", tmp / "replay"  # prepare's, recorded_project's
        before = load()
        # alternated, one run of each in turn: a shared machine's load drifts over the
        # minutes a promptfoo run takes, and a drift then weighs on both sides alike
        theirs: dict[str, list[float]] = {"wall": [], "cpu": [], "rss": []}
        ours: dict[str, list[float]] = {"wall": [], "cpu": [], "rss": []}
        for _ in range(args.repeat):
            one = repeat(
                1,
                promptfoo_cmd(binary, folder),
                folder,
                lambda results: promptfoo_env(folder, results),
                lambda results, out: check_promptfoo(folder, n, None, cached=True),
            )
            mine = repeat(
                1, evalkit_cmd("run"), root, lambda results: env_for(None, results), check_replay(n)
            )
            for key in theirs:
                theirs[key] += one[key]
                ours[key] += mine[key]
        after = load()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(m: dict[str, list[float]], key: str) -> float:
        return statistics.median(m[key])

    print(
        f"promptfoo eval, cached re-run of {n:,} cases, server stopped (each run: every case "
        f"from the cache, passed): wall {fig(theirs['wall'])}, CPU {fig(theirs['cpu'])}, "
        f"peak RSS {med(theirs, 'rss'):.0f} MB"
    )
    print(
        f"evalkit run, replay of the same {n:,} cases (each run: every case from its recording, "
        f"passed): wall {fig(ours['wall'])}, CPU {fig(ours['cpu'])}, peak RSS "
        f"{med(ours, 'rss'):.0f} MB"
    )
    print(
        f"ratio promptfoo / evalkit: {med(theirs, 'wall') / med(ours, 'wall'):.1f}x wall, "
        f"{med(theirs, 'cpu') / med(ours, 'cpu'):.1f}x CPU (goal >= {GOAL}x); implied goal for "
        f"the replay on this machine: <= {med(theirs, 'wall') / GOAL:.2f} s wall, "
        f"{med(theirs, 'cpu') / GOAL:.2f} s CPU"
    )
    pairs = [t / o for t, o in zip(theirs["wall"], ours["wall"], strict=True)]
    print(
        f"ratio of each alternated pair (wall): {', '.join(f'{r:.1f}x' for r in pairs)}; "
        f"median {statistics.median(pairs):.1f}x"
    )
    print(f"{before} before the timed runs, {after} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
