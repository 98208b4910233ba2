"""promptfoo's CSV ``__expected`` cells → promptfoo assertions."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.importers.promptfoo.assertions import assertion_from_string


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("icontains:bonjour", {"type": "icontains", "value": "bonjour"}),
        ("not-contains:hungry", {"type": "not-contains", "value": "hungry"}),
        ("contains-any:a, b ,c", {"type": "contains-any", "value": ["a", "b", "c"]}),
        ("similar(0.7):Arr matey", {"type": "similar", "value": "Arr matey", "threshold": 0.7}),
        ("similar:hello", {"type": "similar", "value": "hello", "threshold": 0.8}),
        ("grade: is polite", {"type": "llm-rubric", "value": "is polite"}),
        ("llm-rubric: is polite", {"type": "llm-rubric", "value": "is polite"}),
        ("javascript: output.length < 5", {"type": "javascript", "value": "output.length < 5"}),
        ("fn:output.includes('a')", {"type": "javascript", "value": "output.includes('a')"}),
        ("python: len(output) > 1", {"type": "python", "value": "len(output) > 1"}),
        ("file://check.py:fn", {"type": "python", "value": "file://check.py:fn"}),
        ("is-json", {"type": "is-json"}),
        ("Paris", {"type": "equals", "value": "Paris"}),
        ("Note: no prefix", {"type": "equals", "value": "Note: no prefix"}),
    ],
)
def test_csv_expected_cells(cell: str, expected: dict[str, Any]) -> None:
    assert assertion_from_string(cell) == expected
