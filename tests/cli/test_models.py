"""`evalkit models`: the table a user reads, offline and after a refresh from the testing
server over real HTTP."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import API_KEY, RULES, SUITE, Project

SUPPORT = SUITE.replace("suite: triage", "suite: support").replace(
    "gpt-4.1-mini-2025-04-14", "gpt-5-mini-2025-08-07"
)
SIMILAR = "  - {type: similar, path: summary, value: refund, model: my-embedder}\n"


def test_offline_table_names_every_pin_and_the_bundled_dates(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/support.yaml", SUPPORT.replace("  - schema\n", "  - schema\n" + SIMILAR))
    monkeypatch.setenv("EVALKIT_TODAY", "2026-12-03")
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["MODEL", "STATUS", "SHUTDOWN", "DAYS", "LEFT", "SERVER"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if not line.startswith(" ")}
    assert rows["gpt-5-mini-2025-08-07"][1:4] == ["retiring", "2026-12-11", "8"]
    assert rows["gpt-4.1-mini-2025-04-14"][1:4] == ["retiring", "2027-01-14", "42"]
    assert rows["my-embedder"][1:4] == ["unknown", "-", "-"]
    where = [line.split() for line in lines if line.startswith("    ")]
    assert ["suites/support.yaml:3", "suite", "support"] in where
    assert ["suites/support.yaml:9", "suite", "support,", "similar", "check"] in where
    assert lines[-1].startswith("dates: OpenAI's announced shutdowns bundled with evalkit")


def test_one_suite_and_json(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/support.yaml", SUPPORT)
    monkeypatch.setenv("EVALKIT_TODAY", "2026-12-20")
    assert main(["models", "suites/support.yaml", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["today"] == "2026-12-20"
    (state,) = data["models"]
    assert (state["model"], state["status"], state["days_left"]) == (
        "gpt-5-mini-2025-08-07",
        "retired",
        -9,
    )
    assert state["source"] == "table" and state["listed"] is None


def test_after_a_refresh_a_model_the_server_does_not_list_says_so(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/support.yaml", SUPPORT.replace("gpt-5-mini-2025-08-07", "gpt-9-2030-01-01")
    )
    with TestingServer(RULES, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["models", "--refresh"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("gpt-")}
    assert "unknown (not listed)" in rows["gpt-9-2030-01-01"]
    assert "active" in rows["gpt-4.1-mini-2025-04-14"]  # 227 days from EVALKIT_TODAY
    assert "snapshots/models.json (refreshed 2026-06-01, 0 days ago)" in out


def test_a_server_of_the_project_is_asked_with_its_own_key(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestingServer(RULES, api_key="local-key-123456") as server:
        project.write(
            "pyproject.toml",
            '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n'
            f'[tool.evalkit.servers."gpt-4.1-*"]\nbase_url = "{server.base_url}"\n'
            'api_key_env = "LOCAL_KEY"\n',
        )
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        assert main(["models", "--refresh"]) == 2  # its key variable is not set
        assert "LOCAL_KEY, which is not set" in capsys.readouterr().err
        monkeypatch.setenv("LOCAL_KEY", "local-key-123456")
        assert main(["models", "--refresh"]) == 0
    out = capsys.readouterr().out
    assert "gpt-4.1-*" in out  # the server column names the [tool.evalkit.servers] entry
    text = (project.root / "snapshots" / "models.json").read_text()
    assert '"name": "gpt-4.1-*"' in text and "local-key" not in text
