"""The evalkit_suite fixture and evalkit.check, from a user's own test file."""

from __future__ import annotations

import pytest

from evalkit.testing import TestingServer

from ..conftest import make_project

USER_TEST = """
import evalkit


def test_refund_is_billing(evalkit_suite):
    triage = evalkit_suite("suites/triage.yaml")
    answer = triage.run("hand-refund", {"body": "I was charged twice, please refund"})
    assert answer.json["category"] == "billing"
    evalkit.check(answer, "schema", {"type": "equals", "path": "urgency", "value": "high"}, {"type": "output_tokens", "max": 500})


def test_failing_check_reads_like_a_suite_failure(evalkit_suite):
    answer = evalkit_suite("suites/triage.yaml").run("hand-outage", {"body": "The site is down"})
    evalkit.check(answer, {"type": "one_of", "path": "category", "values": ["billing", "account"]})


def test_engine_checks_through_run(evalkit_suite):
    answer = evalkit_suite("suites/triage.yaml").run(
        "hand-similar", {"body": "I was charged twice"}, asserts=[{"type": "similar", "path": "summary", "value": "double charge refund", "threshold": 0.3}]
    )
    assert answer.passed, answer.result.failure_report()


def test_plain_text_check():
    evalkit.check("Hello, Ada", {"type": "contains", "value": "Ada"}, {"type": "regex", "value": "^Hello"})
"""


def test_fixture_records_then_replays(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    pytester.makepyfile(test_user=USER_TEST)
    recorded = pytester.runpytest("test_user.py", "--evalkit-mode", "record")
    recorded.assert_outcomes(passed=3, failed=1)
    recorded.stdout.fnmatch_lines(
        [
            '*check[[]0] one_of at category: expected at category one of [[]"billing", "account"], got technical*'
        ]
    )
    assert (pytester.path / "snapshots/recordings/triage/hand-refund.json").is_file()
    calls = server.stats.requests

    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    replayed = pytester.runpytest("test_user.py")  # replay is the default
    replayed.assert_outcomes(passed=3, failed=1)
    assert server.stats.requests == calls


def test_bad_assertion_in_python_names_the_test_file(pytester: pytest.Pytester) -> None:
    make_project(pytester.path)
    pytester.makepyfile(
        test_bad='import evalkit\n\ndef test_x():\n    evalkit.check("x", {"type": "containz", "value": "x"})\n'
    )
    result = pytester.runpytest("test_bad.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_bad.py*unknown assertion type 'containz'*"])
