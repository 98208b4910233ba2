"""The evals workflow's PR jobs (check, the 4 shards, the gate on their union), run step by
step on a local git repository.

GitHub itself is out of reach here, so the jobs' own `run:` scripts are executed as a runner
would (bash -eo pipefail, step outputs through $GITHUB_OUTPUT, `${{ }}` values of the matrix,
steps and needed jobs, `if:` conditions, the job summary file), one job after another in
the order their `needs:` give, each shard of the matrix in turn. The `uses:` steps
(checkout, setup-python, the artifact upload and download, the PR comment) and the install
step are skipped: every job runs in the same folder, so what a shard would upload is
already where the gate would download it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalkit.cli.main import main

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "evals.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


class Runner:
    """The PR jobs of the workflow, run locally; ``codes`` holds each step's exit code
    (a shard's steps are named ``step [K]``)."""

    def __init__(self, repo: Path, base_sha: str, tmp: Path):
        self.repo, self.base_sha, self.tmp = repo, base_sha, tmp
        self.jobs: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())["jobs"]
        self.summary = tmp / "summary.md"
        self.summary.write_text("")
        self.codes: dict[str, int] = {}
        self.results: dict[str, str] = {}

    def value(self, name: str, matrix: dict[str, Any], outputs: dict[str, dict[str, str]]) -> str:
        parts = name.split(".")
        if name == "github.event.pull_request.base.sha":
            return self.base_sha
        if parts[0] == "matrix":
            return str(matrix[parts[1]])
        if parts[0] == "needs":
            return self.results.get(parts[1], "skipped")
        if parts[0] == "steps":
            return outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"the local runner does not know ${{{{ {name} }}}}")

    def run_job(self, name: str, matrix: dict[str, Any] | None = None) -> bool:
        job, matrix = self.jobs[name], matrix or {}
        outputs: dict[str, dict[str, str]] = {}
        if (self.repo.parent / "evalkit-base").exists():  # each job has a machine of its own
            git(self.repo, "worktree", "remove", "--force", "../evalkit-base")

        def expand(text: str) -> str:
            return EXPRESSION.sub(lambda m: self.value(m[1], matrix, outputs), text)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
        env.update({k: expand(str(v)) for k, v in (job.get("env") or {}).items()})
        env.update(
            GITHUB_WORKSPACE=str(self.repo),
            GITHUB_STEP_SUMMARY=str(self.summary),
            PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
        )
        env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # replay must never need the network
        failed = False
        for step in job["steps"]:
            if "run" not in step or step["name"] == "Install":
                continue
            if failed and "always()" not in step.get("if", ""):
                continue
            step_env = dict(env)
            step_env.update({k: expand(str(v)) for k, v in (step.get("env") or {}).items()})
            output_file = self.tmp / f"output-{len(self.codes)}"
            output_file.write_text("")
            step_env["GITHUB_OUTPUT"] = str(output_file)
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step["run"])],
                cwd=self.repo,
                env=step_env,
                capture_output=True,
                text=True,
            )
            label = step["name"] + (f" [{matrix['shard']}]" if "shard" in matrix else "")
            self.codes[label] = done.returncode
            if "id" in step:
                outputs[step["id"]] = dict(
                    line.split("=", 1)
                    for line in output_file.read_text().splitlines()
                    if "=" in line
                )
            failed = failed or done.returncode != 0
        return not failed

    def run(self) -> tuple[dict[str, int], str]:
        self.results["check"] = "success" if self.run_job("check") else "failure"
        if self.results["check"] == "success":
            shards = self.jobs["shard"]["strategy"]["matrix"]["shard"]
            ok = [self.run_job("shard", {"shard": k}) for k in shards]
            self.results["shard"] = "success" if all(ok) else "failure"
        assert self.jobs["gate"]["if"].startswith("always()")  # it reports whatever happened
        self.run_job("gate")
        return self.codes, self.summary.read_text()


def run_gate(repo: Path, base_sha: str, tmp: Path) -> tuple[dict[str, int], str]:
    return Runner(repo, base_sha, tmp).run()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "repo"
    assert main(["init", str(folder)]) == 0
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "base")
    return folder, git(folder, "rev-parse", "HEAD")


def test_a_pr_that_regresses_a_case_fails_the_gate(repo: tuple[Path, str], tmp_path: Path) -> None:
    folder, base = repo
    suite = folder / "suites" / "triage.yaml"
    suite.write_text(
        suite.read_text().replace("prompt: triage@v2\n", "prompt: triage@v1\n", 1)
    )  # back to the old prompt
    git(folder, "commit", "-qam", "use v1")
    codes, summary = run_gate(folder, base, tmp_path)
    assert codes["evalkit check"] == 0
    assert codes["Gate"] != 0
    assert "1 regression(s) under head: triage::invoice-copy" in summary
    # the 4 shards ran a share each, and the gate compared their unions
    runs = folder / "evals-runs"
    metas = [json.loads((runs / f"head-{k}" / "run.json").read_text()) for k in range(1, 5)]
    assert [m["shard"] for m in metas] == ["1/4", "2/4", "3/4", "4/4"]
    assert sum(m["cases"] for m in metas) == sum(
        1
        for line in (folder / "suites" / "cases" / "triage.jsonl").read_text().splitlines()
        if line.strip()
    ) + (folder / "suites" / "triage.yaml").read_text().count("\n  - id:")
    assert all(codes[f"Replay this shard of the suites (head) [{k}]"] == 0 for k in range(1, 5))
    assert "<details><summary>Every case</summary>" in summary
    # the viewer: written for the artifact (whose upload, and so its link, only GitHub runs)
    assert "The evalkit viewer is evals-view.html in the evalkit-reports artifact." in summary
    page = re.search(
        r'id="evalkit-data">(.*?)</script>', (folder / "evals-view.html").read_text(), re.S
    )
    assert page is not None
    data = json.loads(page.group(1))
    assert [r["id"] for r in data["runs"]] == ["base", "head"]
    assert data["comparisons"][0]["headline"] == "1 regression(s) under head: triage::invoice-copy"


def test_a_harmless_pr_passes_the_gate(repo: tuple[Path, str], tmp_path: Path) -> None:
    folder, base = repo
    suite = folder / "suites" / "triage.yaml"
    suite.write_text(
        suite.read_text().replace(
            "description: Route support tickets to a queue", "description: Route tickets"
        )
    )
    git(folder, "commit", "-qam", "reword")
    codes, summary = run_gate(folder, base, tmp_path)
    assert codes["Gate"] == 0, codes
    assert "no regressions under head" in summary


def test_an_edited_released_prompt_fails_at_check(repo: tuple[Path, str], tmp_path: Path) -> None:
    folder, base = repo
    prompt = folder / "prompts" / "triage" / "v2.j2"
    prompt.write_text(prompt.read_text().replace("one-line summary", "short summary"))
    git(folder, "commit", "-qam", "edit a released prompt")
    codes, summary = run_gate(folder, base, tmp_path)
    assert codes["evalkit check"] == 1
    assert not any(name.startswith("Replay") for name in codes)  # no shard ran
    assert codes["Gate"] != 0  # and the gate job, which always runs, fails
    assert "No shard left a run of the head's suites" in summary
