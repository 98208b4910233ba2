"""calculate_output: OpenAI's operators and functions, nothing else."""

from __future__ import annotations

import math

import pytest

from evalkit.checks.graders.formula import parse

NAMES = frozenset({"fuzzy", "rouge", "exact"})
SCORES = {"fuzzy": 0.8, "rouge": 0.4, "exact": 1.0}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.5 * fuzzy + 0.5 * rouge", 0.6),
        ("(fuzzy + rouge + exact) / 3", (0.8 + 0.4 + 1.0) / 3),
        ("fuzzy ^ 2", 0.64),
        ("rouge + fuzzy ^ 2", 0.4 + 0.64),  # ^ binds as a power, not as Python's xor
        ("fuzzy ** 2", 0.64),
        ("-fuzzy + 1", 0.2),
        ("2 ^ 3 ^ 2", 512.0),  # right-associative like a power
        ("min(fuzzy, rouge, exact)", 0.4),
        ("max(fuzzy, rouge)", 0.8),
        ("abs(rouge - fuzzy)", 0.4),
        ("floor(fuzzy * 10) / 10", 0.8),
        ("ceil(rouge)", 1.0),
        ("exp(0)", 1.0),
        ("sqrt(exact * 4)", 2.0),
        ("log(exp(fuzzy))", 0.8),
    ],
)
def test_openais_operators_and_functions(text: str, value: float) -> None:
    assert parse(text, NAMES)(SCORES) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fuzzy + other", "no grader named 'other' (graders: exact, fuzzy, rouge)"),
        ("__import__('os')", "__import__(...) is not allowed"),
        ("fuzzy.real", "'fuzzy.real' is not allowed"),
        ("fuzzy if rouge else exact", "is not allowed"),
        ("fuzzy > rouge", "is not allowed"),
        ("[fuzzy][0]", "is not allowed"),
        ("'text'", "'text' is not a number"),
        ("True + fuzzy", "True is not a number"),
        ("fuzzy % 2", "is not allowed"),
        ("sqrt(fuzzy, rouge)", "sqrt takes 1 argument(s)"),
        ("max()", "max takes one or more argument(s)"),
        ("round(fuzzy)", "round(...) is not allowed"),
        ("fuzzy +", "is not a formula"),
        ("1" + "+1" * 2000, "at most 2000 characters"),
        ("-" * 150 + "fuzzy", "nests more than 100 levels"),
    ],
)
def test_anything_else_is_refused_when_the_suite_loads(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse(text, NAMES)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fuzzy / (exact - 1)", "division by zero"),
        ("log(exact - 1)", "math domain error"),
        ("10 ^ 10 ^ 10", "overflowed"),
        ("exp(1000)", "overflowed"),
        ("(rouge - fuzzy) ^ 0.5", "negative number raised to a fractional power"),
    ],
)
def test_values_without_a_result_say_why(text: str, problem: str) -> None:
    formula = parse(text, NAMES)
    with pytest.raises(ValueError) as caught:
        formula(SCORES)
    assert problem in str(caught.value)


def test_every_value_is_a_float() -> None:
    value = parse("floor(fuzzy) + 3", NAMES)(SCORES)
    assert isinstance(value, float) and math.isclose(value, 3.0)
