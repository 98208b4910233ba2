"""The evalkit_openai fixture end to end, as a new user meets it: a small application and
its tests in a project, recorded once against the testing server through the real SDK,
then replayed with no server, no key and no network (also under pytest-xdist)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

# imported here, the SDK (a second to import, more to warm up) outlives pytester's runs
import pytest

from evalkit.io.files import slug
from evalkit.project.prune import find_unused
from evalkit.project.validate import check_project
from evalkit.testing import TestingServer

from .app import APP, SCRIPT, TESTS

KEY = "sk-test-APPREC-do-not-record-0987654321"
DEAD = "http://127.0.0.1:9/v1"  # nothing listens: replay must never call it
TESTS_RUN = 8


@pytest.fixture
def app(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makefile(
        ".toml", pyproject='[project]\nname = "shop"\nversion = "0"\n\n[tool.evalkit]\n'
    )
    pytester.makepyfile(conftest="", invoice_app=APP)  # the root conftest puts the app on sys.path
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_app.py").write_text(TESTS, encoding="utf-8")
    monkeypatch.chdir(pytester.path)
    for name in ("EVALKIT_MODE", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingServer]:
    with TestingServer(SCRIPT, api_key=KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield server


def recordings(root: Path) -> dict[str, bytes]:
    folder = root / "snapshots" / "recordings"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.json"))
    }


def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", DEAD)


def record(app: pytest.Pytester, server: TestingServer, mode: str = "record") -> dict[str, bytes]:
    result = app.runpytest("tests", "--evalkit-mode", mode, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=TESTS_RUN)
    return recordings(app.path)


def test_record_once_then_replay_with_no_server_and_no_key(
    app: pytest.Pytester, upstream: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One scenario, so the SDK warms up once: record, replay offline, a prompt changed
    in the code replayed under xdist, then prune and check on the files."""
    files = record(app, upstream)
    assert sorted(files) == [
        f"app/tests/test_app/{slug(name)}.json"
        for name in sorted(
            [
                "test_async_batch",
                "test_caught_error_still_fails",
                "test_client_built_inside_the_app",
                "test_extract",
                "test_in_an_async_test[asyncio]",
                "test_responses_and_embeddings",
                "test_streams",
                "test_tool_loop",
            ]
        )
    ]
    for name, data in files.items():
        text = data.decode()
        assert KEY not in text and "APPREC" not in text, name
        assert "authorization" not in text.lower() and "bearer" not in text.lower(), name
        assert json.loads(text)["test"].startswith("tests/test_app.py::test_")
    loop = json.loads(files["app/tests/test_app/test_tool_loop.json"])
    assert len(loop["interactions"]) == 2  # the question, then the tool's result
    batch = json.loads(files["app/tests/test_app/test_async_batch.json"])
    assert len(batch["interactions"]) == 3
    seen_recording = (app.path / "streams-seen.txt").read_text()

    offline(monkeypatch)
    result = app.runpytest("tests", "-p", "no:cacheprovider")  # replay is the default
    result.assert_outcomes(passed=TESTS_RUN)
    assert (app.path / "streams-seen.txt").read_text() == seen_recording  # the same chunks
    assert recordings(app.path) == files

    a_prompt_changed_in_the_code_fails_under_xdist_naming_the_request(app)
    assert recordings(app.path) == files  # replay writes nothing

    assert find_unused().unused == []
    assert not [f for f in check_project([]).findings if "recording" in f.message]
    tests = app.path / "tests" / "test_app.py"
    tests.write_text(tests.read_text().replace("def test_tool_loop(", "def test_tool_loop_gone("))
    unused = find_unused().unused
    assert [u.path.name for u in unused] == ["test_tool_loop.json"]
    assert "test_app.py::test_tool_loop) is no longer defined" in unused[0].why
    orphans = [f for f in check_project([]).findings if "orphan" in f.message]
    assert [f.file for f in orphans] == [
        "snapshots/recordings/app/tests/test_app/test_tool_loop.json"
    ]


def a_prompt_changed_in_the_code_fails_under_xdist_naming_the_request(
    app: pytest.Pytester,
) -> None:
    source = app.path / "invoice_app.py"
    source.write_text(
        source.read_text()
        .replace("You extract invoices from emails.", "You pull invoices out of emails.")
        .replace("Shout: ", "Yell: "),
        encoding="utf-8",
    )
    result = app.runpytest("tests", "-n", "2", "-p", "no:cacheprovider")
    # the other five replay from their recordings in two workers; one fails at teardown
    result.assert_outcomes(passed=TESTS_RUN - 2, failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*tests/test_app.py::test_extract: no recording of this chat.completions call "
            "(model 'gpt-4.1-mini-2025-04-14', the test's 1st call): it differs from the "
            "nearest recorded request at messages[[]0].content: recorded 'You extract invoices "
            "from emails.', now 'You pull invoices out of emails.'; run with "
            "--evalkit-mode=record*",
        ]
    )
    # the app caught the SDK's error and passed: the fixture fails it at teardown
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_caught_error_still_fails*",
            "*evalkit_openai: tests/test_app.py::test_caught_error_still_fails: no recording*"
            "messages[[]0].content: recorded 'Shout: caught', now 'Yell: caught'*",
        ]
    )
