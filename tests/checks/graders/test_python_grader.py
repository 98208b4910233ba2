"""python_grader through the check contract: OpenAI's python grader under its own name."""

from __future__ import annotations

import pytest

from .helpers import grade, load_error

SOURCE = """
def grade(sample, item) -> float:
    got = (sample["output_json"] or {}).get("city", "")
    return 1.0 if got == item["city"] else 0.25
"""


def grader(source: str = SOURCE, threshold: float | None = 0.5, **extra: object) -> dict:
    raw: dict = {"type": "python_grader", "name": "city", "source": source, **extra}
    if threshold is not None:
        raw["pass_threshold"] = threshold
    return raw


def test_grades_with_the_output_and_the_cases_vars() -> None:
    passed = grade(grader(), {"city": "Rome"}, {"city": "Rome"})
    assert passed.passed and passed.score == 1.0
    assert (
        passed.message
        == "python_grader 'city': grade 1 ≥ pass_threshold 0.5; input '{\"city\": \"Rome\"}'"
    )
    failed = grade(grader(), {"city": "Oslo"}, {"city": "Rome"})
    assert not failed.passed and failed.score == 0.25


def test_output_json_is_none_when_the_output_is_not_json() -> None:
    assert grade(grader(), "Rome", {"city": "Rome"}).score == 0.25


def test_a_broken_grader_fails_the_check_with_its_message() -> None:
    outcome = grade(
        grader("def grade(sample, item):\n    print('checking')\n    return item['missing']\n"), "x"
    )
    assert not outcome.passed
    assert (
        outcome.message
        == "python_grader 'city': KeyError (line 3): 'missing'; it printed 'checking'"
    )


def test_a_grade_outside_zero_to_one_is_compared_but_not_averaged() -> None:
    outcome = grade(grader("def grade(sample, item):\n    return 7\n", threshold=5), "x")
    assert outcome.passed and outcome.score is None
    assert "grade 7 ≥ pass_threshold 5" in outcome.message


def test_timeout_is_an_evalkit_field_bounded_by_openais_limit() -> None:
    outcome = grade(
        grader("import time\ndef grade(s, i):\n    time.sleep(5)\n    return 1.0\n", timeout=0.5),
        "x",
    )
    assert "timed out after 0.5 s" in outcome.message
    assert "timeout: Input should be less than or equal to 120" in load_error(grader(timeout=500))


def test_image_tag_is_accepted() -> None:
    assert grade(grader(image_tag="2025-05-08"), {"city": "Rome"}, {"city": "Rome"}).passed


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (grader(threshold=None), "python_grader: missing argument 'pass_threshold'"),
        (grader("def grade(:\n"), "source: SyntaxError at line 1 of the source"),
        (grader("x = 1\n"), "source: the source defines no grade(sample, item) function"),
        (grader("#" * 300_000 + "\ndef grade(s, i): return 1\n"), "the source is over 256 kB"),
        ({"type": "python_grader", "pass_threshold": 1}, "missing argument 'source'"),
    ],
)
def test_bad_fields_are_load_time_errors(raw: dict, problem: str) -> None:
    assert problem in load_error(raw)


def test_openais_python_type_stays_evalkits_python_check() -> None:
    message = load_error({"type": "python", "source": SOURCE})
    assert "bad arguments for assertion 'python': missing argument 'fn'" in message
