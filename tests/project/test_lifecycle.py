"""Models that retire: where each is pinned, what `evalkit check` and pytest say as the
shutdown nears, snapshots/models.json, and a request to a shut-down model (all against the
testing server over real HTTP)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.project.lifecycle import read_models_file, used_models
from evalkit.project.open import open_project
from evalkit.project.validate import check_project
from evalkit.testing import TestingServer
from evalkit.wire.lifecycle import status_of, today

from ..conftest import API_KEY, RULES, SUITE, Project

MODEL = "gpt-4.1-mini-2025-04-14"  # OpenAI shuts it down on 2027-01-14
JUDGE = "gpt-4.1-2025-04-14"  # the same day

# the conftest suite, plus a variant on its own model and a judge in one case
WITH_JUDGE = SUITE.replace(
    "    expect: {category: billing}\n",
    "    expect: {category: billing}\n"
    f"    assert:\n      - {{type: judge, path: summary, rubric: mentions it, model: {JUDGE}}}\n",
) + ("variants:\n  v1: {prompt: triage@v1}\n  next: {model: gpt-5.4-mini-2026-03-17}\n")


def lines_of(project: Project, text: str) -> int:
    """The 1-based line of the first line of the suite file that contains ``text``."""
    lines = project.suite.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_every_pin_is_found_with_its_line(project: Project) -> None:
    project.write("suites/triage.yaml", WITH_JUDGE)
    found = {u.model: u for u in used_models(open_project([]))}
    assert list(found) == [MODEL, "gpt-5.4-mini-2026-03-17", JUDGE]
    assert [(u.kind, u.line) for u in found[MODEL].uses] == [
        ("suite", lines_of(project, f"model: {MODEL}"))
    ]
    (variant,) = found["gpt-5.4-mini-2026-03-17"].uses
    assert (variant.kind, variant.variant, variant.line) == (
        "variant",
        "next",
        lines_of(project, "next:"),
    )
    (judge,) = found[JUDGE].uses
    assert (judge.kind, judge.check, judge.line) == ("check", "judge", lines_of(project, JUDGE))


def test_a_judge_in_a_row_held_as_json_is_found_and_pure_suites_are_not_reread(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A suite knows its cases' check types, so the search for pinned models rebuilds the
    cases held as rows only when one of those types makes calls; a judge in such a row is
    still found, at its line."""
    from evalkit.project.caselist import CaseList

    monkeypatch.setattr(CaseList, "HOLD", 1)
    rows = [{"id": f"r{i}", "vars": {"body": f"ticket {i}"}} for i in range(3)]
    rows[2]["assert"] = [{"type": "judge", "path": "summary", "rubric": "ok", "model": JUDGE}]
    project.write("suites/rows.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    text = SUITE.replace("cases:\n", "cases:\n  - cases_from: rows.jsonl\n", 1)
    project.write("suites/triage.yaml", text)
    suite = open_project([]).suites[0]
    assert suite.check_types is not None and "judge" in suite.check_types
    assert {"schema", "equals", "not_truncated"} <= suite.check_types
    found = {u.model: u for u in used_models(open_project([]))}
    (judge,) = found[JUDGE].uses
    assert (judge.check, judge.file.name, judge.line) == ("judge", "rows.jsonl", 3)

    rows[2].pop("assert")
    project.write("suites/rows.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    pure = open_project([])
    assert pure.suites[0].check_types is not None
    assert "judge" not in pure.suites[0].check_types

    def reread(self: CaseList[object]) -> None:
        raise AssertionError("the cases were rebuilt to look for models")

    monkeypatch.setattr(CaseList, "__iter__", reread)
    assert [u.model for u in used_models(pure)] == [MODEL]


@pytest.mark.parametrize(
    ("day", "level", "said"),
    [
        ("2026-06-01", None, None),  # 227 days before: nothing to say
        ("2026-12-03", "warning", "shuts down on 2027-01-14, in 42 days"),
        ("2027-01-05", "error", "shuts down on 2027-01-14, in 9 days"),
        ("2027-02-01", "error", "was shut down on 2027-01-14: requests to it fail"),
    ],
)
def test_check_warns_then_fails_where_the_model_is_pinned(
    project: Project, monkeypatch: pytest.MonkeyPatch, day: str, level: str | None, said: str
) -> None:
    project.write("suites/triage.yaml", WITH_JUDGE)
    monkeypatch.setenv("EVALKIT_TODAY", day)
    found = [f for f in check_project([]).findings if "shut" in f.message]
    if level is None:
        assert found == []
        return
    assert {(f.level, f.line) for f in found} == {
        (level, lines_of(project, f"model: {MODEL}")),
        (level, lines_of(project, JUDGE)),
    }
    suite = next(f for f in found if f.line == lines_of(project, f"model: {MODEL}"))
    assert suite.file == "suites/triage.yaml"
    assert said in suite.message
    # the migration dual run: the same cases on a current snapshot beside the pinned one
    assert "`evalkit diff base model=gpt-5.4-mini-2026-03-17 suites/triage.yaml --mode record`" in (
        suite.message
    )


def test_the_windows_are_settings(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n'
        "retire_warn_days = 30\nretire_fail_days = 3\n",
    )
    monkeypatch.setenv("EVALKIT_TODAY", "2026-12-03")  # 42 days left
    assert [f for f in check_project([]).findings if "shut" in f.message] == []
    monkeypatch.setenv("EVALKIT_TODAY", "2027-01-05")  # 9 days left: a warning, not an error
    (finding,) = [f for f in check_project([]).findings if "shut" in f.message]
    assert finding.level == "warning"
    project.write(
        "pyproject.toml",
        '[project]\nname = "d"\nversion = "0"\n[tool.evalkit]\nretire_fail_days = -1\n',
    )
    assert check_project([]).usage  # a bad setting is bad input


def test_refresh_writes_what_the_server_announced(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server's date wins over the bundled one; the file is committed and read offline."""
    announced = {MODEL: "2026-06-20"}  # sooner than the table's 2027-01-14
    with TestingServer(RULES, api_key=API_KEY, shutdowns=announced) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["models", "--refresh"]) == 0
        assert server.stats.by_path["/v1/models"] == 1
    out = capsys.readouterr().out
    assert "wrote snapshots/models.json" in out
    assert f"{MODEL}  retiring  2026-06-20         19  default" in out  # EVALKIT_TODAY 06-01
    assert "refreshed 2026-06-01, 0 days ago" in out
    stored = read_models_file(open_project([]).settings)
    assert stored is not None
    (listing,) = stored.servers
    assert listing.answered_by.startswith("evalkit testing server")
    dates = {m.id: m.shutdown_date for m in listing.models}
    assert dates[MODEL] == date(2026, 6, 20) and dates["gpt-5.5-2026-04-23"] is None
    assert API_KEY not in project.root.joinpath("snapshots/models.json").read_text()
    # offline now: no server, no key
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    (finding,) = [f for f in check_project([]).findings if "shut" in f.message]
    assert (finding.level, "in 19 days" in finding.message) == ("warning", True)
    monkeypatch.setenv("EVALKIT_TODAY", "2026-06-10")
    (finding,) = [f for f in check_project([]).findings if "shut" in f.message]
    assert finding.level == "error"  # 10 days left: within retire_fail_days
    monkeypatch.setenv("EVALKIT_TODAY", "2026-07-15")  # 44 days after the refresh, and shut
    stale = [f for f in check_project([]).findings if "models.json" in f.message]
    assert len(stale) == 1 and "run `evalkit models --refresh`" in stale[0].message


def test_a_refresh_without_a_key_says_how(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(["models", "--refresh"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "set OPENAI_API_KEY" in err
    assert not project.root.joinpath("snapshots/models.json").exists()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "not JSON"),
        ('{"version": 1, "servers": []}', "refreshed_at"),
        ('{"version": 1, "refreshed_at": "2026-01-01T00:00:00Z", "servers": [], "x": 1}', "x"),
        ("[" * 100_000 + "]" * 100_000, "nested more than 64 levels"),
    ],
)
def test_a_broken_models_file_is_bad_input_at_its_line(
    project: Project, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    project.write("snapshots/models.json", text)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "snapshots/models.json:1: " in err and said in err
    assert "evalkit models --refresh" in err and "Traceback" not in err


def test_a_huge_models_file_is_refused_unread(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project.root / "snapshots" / "models.json"
    path.parent.mkdir(parents=True)
    with path.open("w") as out:
        out.write(" " * (3 * 1024 * 1024))
    assert main(["models"]) == 2
    assert "bigger than 2 MB" in capsys.readouterr().err


def test_pytest_warns_then_stops_at_collection(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..conftest import make_project

    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    monkeypatch.setenv("EVALKIT_TODAY", "2026-12-03")
    result = pytester.runpytest("--evalkit", "suites/", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [f"*suites/triage.yaml:3: ModelRetiring: suite triage: model {MODEL} shuts down on *"]
    )
    monkeypatch.setenv("EVALKIT_TODAY", "2027-01-20")
    result = pytester.runpytest("--evalkit", "suites/")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        [f"suites/triage.yaml:3: suite triage: model {MODEL} was shut down on 2027-01-14*"]
    )


def test_live_request_to_a_shut_down_model_says_when(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real API answers 404 model_not_found "has been deprecated"; evalkit says when."""
    with TestingServer(RULES, api_key=API_KEY, today=date(2027, 2, 1)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code = main(["run", "--mode", "live"])
    out = capsys.readouterr()
    assert code == 1
    text = out.out + out.err
    assert f"model {MODEL} was shut down on 2027-01-14" in text
    assert "answered 404: The model" in text  # what the server said is kept
    assert API_KEY not in text


def test_status_and_today() -> None:
    day = date(2026, 12, 3)
    assert status_of(None, day, 90, listed=False) == "unknown"
    assert status_of(None, day, 90, listed=True) == "active"
    assert status_of(date(2026, 12, 3), day, 90, listed=True) == "retired"
    assert status_of(date(2026, 12, 4), day, 90, listed=True) == "retiring"
    assert status_of(date(2027, 6, 1), day, 90, listed=True) == "active"
    assert today({"EVALKIT_TODAY": "2030-01-02"}) == date(2030, 1, 2)
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        today({"EVALKIT_TODAY": "next tuesday"})


def test_models_json_shape(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestingServer(RULES, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["models", "--refresh"]) == 0
    data = json.loads(Path("snapshots/models.json").read_text())
    assert set(data) == {"version", "refreshed_at", "servers"}
    listed = {m["id"]: m["shutdown_date"] for m in data["servers"][0]["models"]}
    assert listed[MODEL] == "2027-01-14" and listed["gpt-5.5-2026-04-23"] is None


def test_a_server_entry_named_after_a_model_is_a_pin(project: Project) -> None:
    project.write(
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n'
        f'[tool.evalkit.servers."{JUDGE}"]\napi_key_env = "JUDGE_KEY"\n',
    )
    found = {u.model: u for u in used_models(open_project([]))}
    (use,) = found[JUDGE].uses
    assert (use.kind, use.where, found[JUDGE].server) == ("server", "pyproject.toml:6", JUDGE)
