"""The helpers copied into generated checks modules follow promptfoo's rules: python results,
JSON found in text, edit distance in UTF-16 code units, words split on JavaScript's spaces."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from evalkit.importers.promptfoo.helpers import (
    HELPERS,
    contains_json,
    levenshtein,
    promptfoo_context,
    promptfoo_result,
    word_count,
)


@dataclass
class GradingResult:  # promptfoo's python GradingResult class has these attributes
    pass_: bool
    score: float
    reason: str


@pytest.mark.parametrize(
    ("value", "scored", "expected"),
    [
        (True, False, True),
        (False, True, False),
        (0.4, True, 0.4),
        (0.4, False, (True, "score 0.400 (passes above 0, as in promptfoo)")),
        (0, False, (False, "score 0.000 (passes above 0, as in promptfoo)")),
        ({"pass": True, "score": 0.5, "reason": "ok"}, False, (True, "score 0.500: ok")),
        ({"pass": False, "reason": "no"}, True, (False, "no")),
        ({"score": 0.2}, False, (True, "score 0.200")),
        ({"score": 0}, False, (False, "score 0.000")),
        (GradingResult(True, 1.0, "fine"), False, (True, "score 1.000: fine")),
    ],
)
def test_python_results(value: Any, scored: bool, expected: Any) -> None:
    assert promptfoo_result(value, scored=scored) == expected


@pytest.mark.parametrize("value", ["yes", None, [True], {"reason": "x"}])
def test_other_results_are_an_error(value: Any) -> None:
    with pytest.raises(TypeError, match="return a bool, a number or"):
        promptfoo_result(value)


def test_the_context_has_vars_and_config_and_no_prompt() -> None:
    context = promptfoo_context(SimpleNamespace(vars={"a": 1}), {"max": 2})
    assert context == {
        "prompt": None,
        "vars": {"a": 1},
        "test": {"vars": {"a": 1}},
        "config": {"max": 2},
    }
    assert promptfoo_context(SimpleNamespace())["vars"] == {}


def test_json_found_in_text() -> None:
    assert contains_json('a {"x": [1, {"y": 2}]} b [3] {bad') == [{"x": [1, {"y": 2}]}, [3]]
    assert contains_json("none {here") == []


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("kitten", "sitting", 3), ("", "abc", 3), ("same", "same", 0), ("😀a", "a", 2), ("é", "e", 1)],
)
def test_edit_distance_counts_utf16_units(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance == levenshtein(b, a)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("two words", 2),
        ("  padded\t\nout  ", 2),
        ("a\u00a0b\u3000c\ufeffd", 4),  # JavaScript's spaces
        ("a\x1cb", 1),  # not a space in JavaScript (it is in Python's str.split)
        ("", 0),
    ],
)
def test_words_split_like_javascript(text: str, words: int) -> None:
    assert word_count(text) == words


def test_every_helper_is_self_contained_source() -> None:
    """Copied without their module, they may use only json, re and typing's Any."""
    for name, function in HELPERS.items():
        namespace: dict[str, Any] = {}
        source = inspect.getsource(function)
        exec(compile("import json, re\nfrom typing import Any\n" + source, name, "exec"), namespace)
        assert callable(namespace[name])
