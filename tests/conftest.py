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


# The longest tests (5-25 s each: subprocesses, a pip install, real model and browser
# processes), longest first. They are collected first so that they start at once and the run
# ends on short tests: in file order one of them can come last and keep a worker busy while
# the others have nothing left to do. pyproject's `--dist worksteal` goes with this order:
# it gives each worker a third of the tests, in order (the first worker gets all of these),
# and a worker with nothing left takes tests from the end of another's share; xdist's
# default `load` would also start the first worker on all of these, but never take them
# back. A whole file is named where its tests share a module-scoped fixture (its tests stay
# together, in their order).
LONG_FIRST = (
    "tests/integration/test_gate_workflow.py::",
    "tests/integration/test_init.py::test_init_project_installs_evalkit_by_its_own_name",
    "tests/apprecord/test_fixture.py::test_record_once_then_replay_with_no_server_and_no_key",
    "tests/integration/test_real_model.py::",
    "tests/view/test_browser.py::",
    "tests/importers/promptfoo/assertions/test_jstemplates.py::test_carried_code_judges_",
    "tests/docs/test_readme.py::test_first_suite_walkthrough",
    "tests/engine/test_live.py::test_signal_keeps_what_finished_and_resume_runs_the_rest",
    "tests/compare/test_diff.py::test_html_report_renders_in_a_real_browser",
    "tests/docs/test_site.py::test_the_site_builds_strictly_",
    "tests/cli/test_main.py::test_each_command_module_imports_on_its_own",
    "tests/cli/test_main.py::test_the_entry_points_reach_main",
    "tests/integration/test_example_project.py::test_recordings_are_what_the_testing_server_",
    "tests/integration/test_secrets.py::test_a_key_echoed_by_a_server_reaches_no_sink_",
    "tests/pytest_plugin/test_plugin.py::test_adaptive_repeats_under_xdist_replay_",
)


def _long_first(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONG_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_long_first)  # stable: every other test keeps its place
