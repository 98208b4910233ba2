from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpcore2  # noqa: F401 - see below
import pytest

from evalkit.testing import Rule, Script, TestingServer

# pytester's in-process runs drop the modules first imported inside them; httpx2 keeps a map
# of httpcore2's exception classes made at its first request, so a later connection error
# would escape unmapped if httpcore2 were first imported inside such a run.

API_KEY = "sk-test-SECRET-do-not-record-1234567890"

SCHEMA = """
from typing import Literal
from pydantic import BaseModel


class Ticket(BaseModel):
    category: Literal["billing", "technical", "account", "other"]
    urgency: Literal["low", "medium", "high"]
    summary: str
"""

PROMPT = """{% message "system" %}
You triage support tickets for {{ company }}.
{% endmessage %}
{% message "user" %}
Ticket: {{ body }}
{% endmessage %}
"""

SUITE = """suite: triage
prompt: triage@v1
model: gpt-4.1-mini-2025-04-14
params: {temperature: 0, max_tokens: 200}
schema: schemas.triage:Ticket
vars: {company: Acme}
assert:
  - schema
cases:
  - id: refund
    vars: {body: "I was charged twice, refund please"}
    expect: {category: billing}
  - id: outage
    vars: {body: "The site is down"}
    expect: {category: technical, urgency: high}
"""

RULES = Script(
    rules=[
        Rule(
            when=["charged twice"],
            reply={
                "category": "billing",
                "urgency": "high",
                "summary": "Double charge, wants refund",
            },
        ),
        Rule(
            when=["is down"],
            reply={"category": "technical", "urgency": "high", "summary": "Site outage"},
        ),
    ]
)


@dataclass
class Project:
    """A user's project in a temporary folder."""

    root: Path

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return path

    @property
    def suite(self) -> Path:
        return self.root / "suites" / "triage.yaml"

    def recordings(self) -> list[Path]:
        return sorted((self.root / "snapshots" / "recordings").rglob("*.json"))


TODAY = "2026-06-01"  # before every shutdown the bundled table knows by more than 90 days


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see one fixed day, so a pinned model's shutdown date cannot turn a test red
    when the calendar reaches it (tests/project/test_lifecycle.py moves the day itself)."""
    monkeypatch.setenv("EVALKIT_TODAY", TODAY)


@pytest.fixture(autouse=True)
def _isolated_imports() -> Iterator[None]:
    """Each test's project has its own ``schemas`` package: forget imports between tests."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if name.split(".")[0] in ("schemas", "checks", "userchecks"):
            del sys.modules[name]


def make_project(root: Path) -> Project:
    p = Project(root)
    p.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n')
    p.write("schemas/__init__.py", "")
    p.write("schemas/triage.py", SCHEMA)
    p.write("prompts/triage/v1.j2", PROMPT)
    p.write("suites/triage.yaml", SUITE)
    return p


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    for name in [n for n in sys.modules if n.split(".")[0] in ("schemas", "userchecks")]:
        del sys.modules[name]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALKIT_MODE", raising=False)
    return make_project(tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingServer]:
    """The bundled OpenAI-compatible server on 127.0.0.1, with the SDK pointed at it."""
    with TestingServer(RULES, api_key=API_KEY) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        yield srv


# The longest tests (subprocesses, a pip install, the real model's and the browser's
# processes) with the seconds each took in a run of `python -m pytest -n 3` on 2 cores. In
# file order one of them can come last and keep a worker busy while the others have nothing
# left to do, and the first ones, all in tests/integration, run at once. Instead each worker
# gets a share of them (the longest first, each to the least loaded worker), spread over the
# first three quarters of its tests, each worker's a little after the previous worker's:
# between them it runs short tests, many of which wait on sockets and servers, so the two
# cores stay busy without three long tests at once, and the run ends on short tests.
# the work-stealing schedule (pytest_configure) gives worker k the k-th third of the collection, in order
# (xdist.scheduler.worksteal), and a worker with nothing left takes tests from the end of
# another's third. A file is one entry where its tests share a module-scoped fixture (a
# browser, a model server): they stay together, in their order.
LONG: dict[str, float] = {
    "tests/view/test_browser.py::": 29,
    "tests/runs/test_forked.py::": 11,  # one worker records its project once
    "tests/integration/test_gate_workflow.py::test_a_pr_that_regresses_": 17,
    "tests/integration/test_gate_workflow.py::test_a_harmless_pr_": 14,
    "tests/integration/test_init.py::test_init_project_installs_evalkit_by_its_own_name": 20,
    "tests/apprecord/test_fixture.py::test_record_once_then_replay_with_no_server_": 17,
    "tests/integration/test_real_model.py::": 16,
    "tests/engine/test_live.py::test_signal_keeps_what_finished_and_resume_runs_the_rest": 11,
    "tests/importers/promptfoo/assertions/test_jstemplates.py::test_carried_code_judges_": 8,
    "tests/docs/test_readme.py::test_first_suite_walkthrough": 7,
    "tests/compare/test_diff.py::test_html_report_renders_in_a_real_browser": 5,
    "tests/docs/test_site.py::test_the_site_builds_strictly_": 5,
    "tests/cli/test_main.py::test_each_command_module_imports_on_its_own": 5,
    "tests/cli/test_main.py::test_the_entry_points_reach_main": 5,
    "tests/integration/test_secrets.py::test_a_key_echoed_by_a_server_reaches_no_sink_": 5,
    "tests/pytest_plugin/test_plugin.py::test_adaptive_repeats_under_xdist_replay_": 3.5,
}


def pytest_configure(config: pytest.Config) -> None:
    """Under ``-n``, the suite is scheduled by work stealing (the order below assumes it),
    unless ``--dist`` was given. Set here, not in pyproject's addopts: ``--dist`` is an
    xdist option, and ``pytest --evalkit suites/`` after a plain ``pip install -e .`` has
    no xdist."""
    given = any(a == "--dist" or a.startswith("--dist=") for a in config.invocation_params.args)
    if getattr(config.option, "dist", "no") == "load" and not given:
        config.option.dist = "worksteal"


def _long(item: pytest.Item) -> str | None:
    return next((prefix for prefix in LONG if item.nodeid.startswith(prefix)), None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(getattr(config, "workerinput", {}).get("workercount", 0))
    if workers < 2:
        return  # one process runs them all: the order does not matter
    groups: dict[str, list[pytest.Item]] = {}
    rest: list[pytest.Item] = []
    for item in items:
        prefix = _long(item)
        (groups.setdefault(prefix, []) if prefix else rest).append(item)
    shares: list[list[str]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for prefix in sorted(groups, key=LONG.__getitem__, reverse=True):
        k = loads.index(min(loads))
        shares[k].append(prefix)
        loads[k] += LONG[prefix]
    ordered: list[pytest.Item] = []
    left = len(items)
    for k, share in enumerate(shares):
        size = left // (workers - k)  # what worksteal sends worker k first
        fill = max(0, size - sum(len(groups[prefix]) for prefix in share))
        short, rest = rest[:fill], rest[fill:]
        step = 0.75 * len(short) / max(1, len(share))
        at = 0
        for j, prefix in enumerate(share):
            upto = int((j + k / workers) * step)  # the workers' long tests take turns
            ordered += short[at:upto] + groups[prefix]
            at = upto
        ordered += short[at:]
        left -= size
    items[:] = ordered + rest
