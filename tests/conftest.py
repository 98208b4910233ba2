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
