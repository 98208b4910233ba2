"""The evals workflow's gate job, run step by step on a local git repository.

GitHub itself is out of reach here, so the job's own `run:` scripts are executed as a runner
would (bash -eo pipefail, step outputs through $GITHUB_OUTPUT, `if:` conditions, the job
summary file), skipping the `uses:` steps (checkout, setup-python, the PR comment, the
artifact upload) and the install step (evalkit is installed in this environment).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evalkit.cli import main

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "evals.yml"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def run_gate(repo: Path, base_sha: str, tmp: Path) -> tuple[dict[str, int], str]:
    """Run the gate job's scripts; returns each step's exit code and the job summary."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["gate"]
    summary = tmp / "summary.md"
    summary.write_text("")
    outputs: dict[str, dict[str, str]] = {}
    codes: dict[str, int] = {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    env.update(job["env"])
    env.update(
        BASE_SHA=base_sha,
        GITHUB_WORKSPACE=str(repo),
        GITHUB_STEP_SUMMARY=str(summary),
        PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
    )
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # replay must never need the network
    failed = False
    for step in job["steps"]:
        if "run" not in step or step["name"] == "Install":
            continue
        condition = step.get("if", "")
        if (
            condition == "steps.base.outputs.ok == 'true'"
            and outputs.get("base", {}).get("ok") != "true"
        ):
            continue
        if failed and "always()" not in condition:
            continue
        step_env = dict(env)
        for key, value in (step.get("env") or {}).items():
            step_env[key] = re.sub(
                r"\$\{\{ steps\.(\w+)\.outputs\.([\w-]+) \}\}",
                lambda m: outputs.get(m[1], {}).get(m[2], ""),
                str(value),
            )
        output_file = tmp / f"output-{len(codes)}"
        output_file.write_text("")
        step_env["GITHUB_OUTPUT"] = str(output_file)
        script = step["run"].replace("${{ github.event.pull_request.base.sha }}", base_sha)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=repo,
            env=step_env,
            capture_output=True,
            text=True,
        )
        codes[step["name"]] = done.returncode
        if "id" in step:
            outputs[step["id"]] = dict(
                line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
            )
        failed = failed or done.returncode != 0
    return codes, summary.read_text()


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
    assert "<details><summary>Every case</summary>" in summary
    # the viewer: written for the artifact (whose upload, and so its link, only GitHub runs)
    assert "The evalkit viewer is evals-view.html in the evalkit-reports artifact." in summary
    page = re.search(
        r'id="evalkit-data">(.*?)</script>', (folder / "evals-view.html").read_text(), re.S
    )
    assert page is not None
    data = json.loads(page.group(1))
    assert [r["id"] for r in data["runs"]] == ["base", "head"]
    assert data["comparisons"][0]["headline"] == "1 regression(s) under head"


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
    codes, _ = run_gate(folder, base, tmp_path)
    assert codes["evalkit check"] == 1
    assert "Gate" not in codes  # the job stops at the failed step
