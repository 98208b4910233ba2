"""Verdicts on a noisy model: ``python benchmarks/noisy.py [--runs 8] [--cases 6]``.

The goals of adaptive repeats, measured as a user would meet them: a testing server whose
model answers right with a fixed probability (a rule with ``p``; a fresh seed per run), a
suite with ``repeat: {min: 3, max: 30}``, ``case_threshold: 0.8``, ``confidence: 0.95``,
and several independent live runs through ``evalkit run``. Three models: right 97% of the
time (every verdict should be "passed"), 50% ("failed"), and exactly 80% (at the bar: the
honest verdict is "inconclusive"). It prints, per model: the verdicts, the share that are
wrong (the opposite verdict; and, apart, inconclusive), the mean samples per case; then
that a replay of one recorded run reproduces its verdicts offline, and what
``on_inconclusive: fail`` does to the gate.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.cli.main import main  # noqa: E402
from evalkit.results.folder import latest_results  # noqa: E402
from evalkit.testing import Rule, Script, TestingServer  # noqa: E402

RATES = {"good": 0.97, "bad": 0.5, "borderline": 0.8}
EXPECTED = {"good": "passed", "bad": "failed", "borderline": "inconclusive"}
RIGHT = {"category": "billing", "urgency": "high", "summary": "Double charge"}
WRONG = {"category": "other", "urgency": "low", "summary": "Unclear"}
SCHEMA = """from typing import Literal
from pydantic import BaseModel


class Ticket(BaseModel):
    category: Literal["billing", "technical", "account", "other"]
    urgency: Literal["low", "medium", "high"]
    summary: str
"""
PROMPT = '{% message "user" %}\nTicket: {{ body }}\n{% endmessage %}\n'


def script(seed: int) -> Script:
    rules = []
    for name, p in RATES.items():
        rules += [
            Rule(when=[f"model-{name} "], p=p, reply=RIGHT),
            Rule(when=[f"model-{name} "], reply=WRONG),
        ]
    return Script(seed=seed, rules=rules)


def project(root: Path, cases: int) -> None:
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "__init__.py").write_text("")
    (root / "schemas" / "triage.py").write_text(SCHEMA)
    (root / "prompts" / "triage").mkdir(parents=True)
    (root / "prompts" / "triage" / "v1.j2").write_text(PROMPT)
    (root / "suites").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "noisy"\nversion = "0"\n\n[tool.evalkit]\nconcurrency = 8\n'
    )
    lines = [
        "suite: noisy",
        "prompt: triage@v1",
        "model: gpt-4.1-mini-2025-04-14",
        "params: {temperature: 1, max_tokens: 50}",
        "schema: schemas.triage:Ticket",
        "repeat: {min: 3, max: 30}",
        "case_threshold: 0.8",
        "confidence: 0.95",
        "on_inconclusive: fail",
        "assert: [schema]",
        "cases:",
    ]
    for name in RATES:
        for i in range(cases):
            lines += [
                f"  - id: {name}-{i}",
                f'    vars: {{body: "model-{name} case {i}: I was charged twice"}}',
                "    expect: {category: billing}",
            ]
    (root / "suites" / "noisy.yaml").write_text("\n".join(lines) + "\n")


def latest(root: Path) -> dict[str, tuple[str, int]]:
    runs = root / ".evalkit" / "runs"
    folder = max(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    return {r.case: (r.case_verdict, len(r.samples)) for r in latest_results(folder)}


def quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def run(runs: int, cases: int) -> None:
    verdicts: dict[str, Counter[str]] = {name: Counter() for name in RATES}
    samples: dict[str, list[int]] = {name: [] for name in RATES}
    codes = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.chdir(root)
        project(root, cases)
        for index in range(runs):
            with TestingServer(script(seed=1000 + index), api_key="sk-noisy") as server:
                os.environ.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-noisy")
                # live would record nothing; record keeps the run replayable (rerecord: a
                # fresh draw every run, never last run's recordings)
                codes.append(quiet(["run", "--mode", "rerecord"]))
            for case, (verdict, n) in latest(root).items():
                name = case.rsplit("-", 1)[0]
                verdicts[name][verdict] += 1
                samples[name].append(n)
        recorded = latest(root)
        os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # replay needs no server
        replay_code = quiet(["run"])
        replayed = latest(root)
    print(f"{runs} independent runs x {cases} cases per model; repeat {{min: 3, max: 30}}, "
          "case_threshold 0.8, confidence 0.95")
    print(f"{'model':<12}{'rate':>6}  {'verdicts':<44}{'wrong':>7}{'inconcl.':>10}{'mean n':>8}")
    for name, rate in RATES.items():
        counts = verdicts[name]
        total = sum(counts.values())
        expected = EXPECTED[name]
        opposite = {"passed": "failed", "failed": "passed"}.get(expected)
        wrong = (
            counts[opposite] / total if opposite else (counts["passed"] + counts["failed"]) / total
        )
        inconclusive = counts["inconclusive"] / total
        mean = sum(samples[name]) / len(samples[name])
        shown = json.dumps(dict(sorted(counts.items())))
        print(f"{name:<12}{rate:>6.2f}  {shown:<44}{wrong:>7.1%}{inconclusive:>10.1%}{mean:>8.1f}")
    print("wrong: the opposite verdict (for the 80% model: any settled verdict); inconclusive")
    print("is not wrong: the gate says it does not know, and on_inconclusive decides")
    print(f"gate exit codes of the runs (on_inconclusive: fail): {codes}")
    same = recorded == replayed
    print(f"replay of the last run offline: exit {replay_code}, same verdicts and samples: {same}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--cases", type=int, default=6)
    args = parser.parse_args()
    run(args.runs, args.cases)
