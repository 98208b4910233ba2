"""runs/estimate.py: what a run of the project would send and cost, and under a cap
whether a run at each rate would start; nothing is sent."""

from __future__ import annotations

import pytest

from evalkit.config import Mode
from evalkit.runs.estimate import CapVerdict, ProjectEstimate, estimate_project
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project

MINI = "gpt-4.1-mini-2025-04-14"


def test_without_a_cap_there_is_no_verdict(project: Project, server: TestingServer) -> None:
    found = estimate_project([])
    assert found.cap_usd is None and found.verdicts == [] and found.unknown_price is None
    assert found.estimate.total.to_send == 2 and found.estimate.mode is Mode.RECORD
    assert server.stats.requests == 0


def test_a_cap_gives_one_verdict_per_rate_from_the_upper_bounds(
    project: Project, server: TestingServer
) -> None:
    total = estimate_project([]).estimate.total
    live, batch = total.cost("standard"), total.cost("batch")
    assert live is not None and batch is not None and batch < live
    between = (live + batch) / 2  # a batch run fits, a live one does not
    found = estimate_project([], max_cost_usd=between)
    assert found.cap_usd == between
    assert found.verdicts == [
        CapVerdict("standard", live, between),
        CapVerdict("batch", batch, between),
    ]
    assert [v.starts for v in found.verdicts] == [False, True]
    assert server.stats.requests == 0


def test_the_cap_may_come_from_pyproject(project: Project) -> None:
    project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\nmax_cost_usd = 5\n',
    )
    found = estimate_project([])
    assert found.cap_usd == 5 and all(v.starts for v in found.verdicts)


def test_recorded_requests_count_only_when_the_mode_sends_them_again(
    project: Project, server: TestingServer
) -> None:
    Session.start([], {"mode": "record"}).run_sync()
    assert estimate_project([]).estimate.total.to_send == 0
    assert estimate_project([], mode=Mode.BATCH).estimate.total.to_send == 0
    assert estimate_project([], mode=Mode.RERECORD).estimate.total.to_send == 2
    assert estimate_project([], mode=Mode.LIVE).estimate.total.recorded == 0


def test_variants_are_estimated_one_or_all(project: Project) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace("cases:\n", "variants:\n  hot: {params: {temperature: 1}}\ncases:\n"),
    )

    def names(found: ProjectEstimate) -> list[str]:
        return [s.name for s in found.estimate.suites]

    assert names(estimate_project([])) == ["triage"]
    assert names(estimate_project([], variant="hot")) == ["triage[hot]"]
    assert names(estimate_project([], all_variants=True)) == ["triage", "triage[hot]"]


def test_an_unknown_price_has_no_upper_bound_and_says_how_to_add_one(project: Project) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(f"model: {MINI}", "model: smollm2-135m\nallow_unpinned: true"),
    )
    found = estimate_project([], max_cost_usd=1.0)
    assert found.unknown_price is not None
    assert found.unknown_price.startswith("model smollm2-135m has no known price")
    assert [(v.upper_usd, v.starts) for v in found.verdicts] == [(None, False), (None, False)]


def test_a_bad_cap_is_bad_input(project: Project) -> None:
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match="max_cost_usd"):
        estimate_project([], max_cost_usd=-1.0)
