"""string_check: OpenAI's eq, ne, like (contains) and ilike (contains, any case)."""

from __future__ import annotations

import pytest

from evalkit.checks.graders.strings import string_check

from .helpers import grade, load_error


def check(operation: str, reference: str = "{{ item.answer }}") -> dict:
    return {
        "type": "string_check",
        "name": "answer",
        "input": "{{ sample.output_text }}",
        "reference": reference,
        "operation": operation,
    }


@pytest.mark.parametrize(
    ("operation", "text", "reference", "expected"),
    [
        ("eq", "Paris", "Paris", True),
        ("eq", "paris", "Paris", False),  # case-sensitive
        ("eq", "Paris\n", "Paris", False),  # nothing is stripped
        ("ne", "Lyon", "Paris", True),
        ("ne", "Paris", "Paris", False),
        ("like", "The capital is Paris.", "Paris", True),
        ("like", "The capital is PARIS.", "Paris", False),
        ("like", "100%", "%", True),  # % is a character, not SQL's wildcard
        ("like", "abc", "a%c", False),
        ("ilike", "The capital is PARIS.", "paris", True),
        ("ilike", "Lyon", "paris", False),
    ],
)
def test_operations_mean_what_openai_says(
    operation: str, text: str, reference: str, expected: bool
) -> None:
    assert string_check(operation, text, reference) is expected  # type: ignore[arg-type]
    outcome = grade(check(operation), text, {"answer": reference})
    assert outcome.passed is expected
    assert outcome.score == (1.0 if expected else 0.0)


def test_the_message_says_the_operation_score_and_what_was_compared() -> None:
    outcome = grade(check("like"), "It is Lyon", {"answer": "Paris"})
    assert outcome.message == (
        "string_check 'answer' like: score 0 (not: contains); input 'It is Lyon', reference 'Paris'"
    )


def test_reference_may_be_the_sample_and_input_the_item() -> None:
    raw = {
        "type": "string_check",
        "input": "{{ item.answer }}",
        "reference": "{{ sample.output_json.city }}",
        "operation": "eq",
    }
    assert grade(raw, {"city": "Rome"}, {"answer": "Rome"}).passed


def test_not_negates_a_grader_like_any_check() -> None:
    raw = {**check("ilike"), "not": True}
    assert grade(raw, "no idea", {"answer": "paris"}).passed
    assert not grade(raw, "PARIS", {"answer": "paris"}).passed


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"operation": "contains"}, "operation: Input should be 'eq', 'ne', 'like' or 'ilike'"),
        ({"operation": None}, "operation: Input should be 'eq', 'ne', 'like' or 'ilike'"),
        ({"reference": None}, "reference: Input should be a valid string"),
        ({"extra": 1}, "unknown argument 'extra'"),
        ({"path": "summary"}, "`path` does not apply to graders"),
        ({"threshold": 0.5}, "`threshold` does not apply to 'string_check'"),
    ],
)
def test_bad_fields_are_load_time_errors_naming_the_field(raw: dict, problem: str) -> None:
    assert problem in load_error({**check("eq"), **raw})


def test_a_missing_field_is_named() -> None:
    raw = check("eq")
    del raw["operation"]
    assert "missing argument 'operation'" in load_error(raw)
