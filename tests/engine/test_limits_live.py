"""The limiter end to end: `evalkit run` through the SDK against the testing server's
OpenAI-like buckets (the whole allowance at the first request, then a steady refill)."""

from __future__ import annotations

import pytest

from evalkit.cli.main import main
from evalkit.config import Mode
from evalkit.project.open import open_project
from evalkit.results.folder import latest_results
from evalkit.testing import TestingServer
from evalkit.wire import tokens

from ..conftest import API_KEY, RULES, Project

FILLER = "The invoice lists a second seat nobody asked for, and the card was billed twice. " * 12


def suite(project: Project, n: int) -> None:
    project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\nconcurrency = 16\n',
    )
    cases = "".join(
        f'  - id: c{i:03d}\n    vars: {{body: "ticket {i}: I was charged twice. {FILLER}"}}\n'
        for i in range(n)
    )
    project.write(
        "suites/triage.yaml",
        "suite: triage\nprompt: triage@v1\nmodel: gpt-4.1-mini-2025-04-14\nparams: {max_tokens: 100}\n"
        "schema: schemas.triage:Ticket\nvars: {company: Acme}\nassert: [schema]\ncases:\n" + cases,
    )


def test_a_token_bound_run_uses_the_allowance_and_the_refill_without_losing_a_case(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 60
    suite(project, n)
    monkeypatch.chdir(project.root)
    weights = [
        tokens.rate_tokens(r.endpoint, r.body)
        for p in open_project(None, {"mode": Mode.LIVE}).plan()
        for r in p.requests
    ]
    total = sum(weights)
    tpm = int(total / 1.03)  # the allowance covers all but 3%: about 2 s of refill to wait for
    server = TestingServer(RULES, api_key=API_KEY, keep_bodies=False, tpm=tpm, rpm=10_000)
    server.start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    try:
        assert main(["run", "--mode", "live"]) == 0
    finally:
        server.stop()
    folder = max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    results = latest_results(folder)
    assert len(results) == n and all(r.passed for r in results)
    assert server.stats.answered == n  # each case answered once
    assert server.stats.tokens == total > tpm  # the run needed the refill, not only the burst
    assert server.stats.rate_limited <= 0.05 * n
