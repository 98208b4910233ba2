"""promptfoo's tool-call assertions → tool_args_valid, tool_called and tool_sequence; the
shapes evalkit cannot express are left out with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.importers.yamlout import Comment

from .conftest import Mapper

TOOLS = ("lookup", "refund")


@pytest.mark.parametrize(
    ("raw", "checks"),
    [
        ({"type": "is-valid-function-call"}, [{"type": "tool_args_valid"}]),
        (
            {"type": "trajectory:tool-used", "value": ["lookup", "refund"]},
            [{"type": "tool_called", "name": "lookup"}, {"type": "tool_called", "name": "refund"}],
        ),
        (
            {"type": "trajectory:tool-used", "value": {"name": "lookup"}},
            [{"type": "tool_called", "name": "lookup"}],
        ),
        (
            {"type": "trajectory:tool-sequence", "value": ["lookup", "refund"]},
            [{"type": "tool_sequence", "names": ["lookup", "refund"], "order": "in_order"}],
        ),
        (
            {"type": "tool-call-f1", "value": ["lookup"], "threshold": 1},
            [{"type": "tool_called", "name": "lookup"}],
        ),
    ],
)
def test_tool_assertions(raw: dict[str, Any], checks: list[dict[str, Any]], m: Mapper) -> None:
    assert m.checks(raw, tools=TOOLS) == checks


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ({"type": "tool-call-f1", "value": ["lookup"], "threshold": 0.5}, "(partial credit)"),
        ({"type": "trajectory:tool-used", "value": {"pattern": "look*"}}, "with the pattern"),
        (
            {"type": "trajectory:tool-used", "value": {"name": "lookup", "min": 1, "max": 3}},
            "with a min/max range",
        ),
        ({"type": "trajectory:tool-used", "value": 5}, "with an unexpected value"),
        ({"type": "trajectory:tool-args-match", "value": {"args": {}}}, "without a tool name"),
        (
            {"type": "trajectory:tool-args-match", "value": {"name": "lookup", "mode": "exact"}},
            "in exact mode",
        ),
        ({"type": "trajectory:tool-args-match", "value": {"name": "lookup"}}, "without args"),
        (
            {"type": "trajectory:tool-sequence", "value": {"steps": ["a"], "mode": "any"}},
            "with unexpected steps",
        ),
    ],
)
def test_tool_shapes_evalkit_cannot_express(raw: dict[str, Any], what: str, m: Mapper) -> None:
    items = m(raw, tools=TOOLS)
    assert isinstance(items[0], Comment)
    assert what in m.report.left_out[0].what
