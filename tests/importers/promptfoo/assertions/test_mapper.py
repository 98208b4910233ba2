"""Every promptfoo assertion type → its evalkit form (or its place in the report), checked
against evalkit's own assertion validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.importers.promptfoo.assertions import NeedsCase
from evalkit.importers.promptfoo.provider_ids import Pins
from evalkit.importers.yamlout import Comment

from .conftest import Mapper, load_checks


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"type": "equals", "value": "Paris"}, [{"type": "equals", "value": "Paris"}]),
        ({"type": "equals", "value": 30}, [{"type": "equals", "value": "30"}]),
        ({"type": "equals", "value": {"a": 1}}, [{"type": "equals", "value": {"a": 1}}]),
        ({"type": "contains", "value": "x"}, [{"type": "contains", "value": "x"}]),
        (
            {"type": "icontains", "value": "X"},
            [{"type": "contains", "value": "X", "ignore_case": True}],
        ),
        ({"type": "not-contains", "value": "x"}, [{"type": "contains", "value": "x", "not": True}]),
        (
            {"type": "contains-any", "value": ["a.b", "c"]},
            [{"type": "regex", "value": r"(?:a\.b|c)"}],
        ),
        (
            {"type": "icontains-any", "value": ["A", "B"]},
            [{"type": "regex", "value": "(?:A|B)", "ignore_case": True}],
        ),
        (
            {"type": "contains-all", "value": ["a", "b"]},
            [{"type": "contains", "value": "a"}, {"type": "contains", "value": "b"}],
        ),
        (
            {"type": "icontains-all", "value": ["a", "b"], "weight": 2},
            [
                {"type": "contains", "value": "a", "ignore_case": True, "weight": 1.0},
                {"type": "contains", "value": "b", "ignore_case": True, "weight": 1.0},
            ],
        ),
        (
            {"type": "not-contains-all", "value": ["a", "b"]},
            [{"type": "regex", "value": r"(?s)\A(?=.*?a)(?=.*?b)", "not": True}],
        ),
        ({"type": "starts-with", "value": "Yes"}, [{"type": "starts_with", "value": "Yes"}]),
        ({"type": "regex", "value": r"\d{3}"}, [{"type": "regex", "value": r"(?a)\d{3}"}]),
        (
            {"type": "regex", "value": r"(?<year>\d{4})$"},
            [{"type": "regex", "value": r"(?a)(?:\d{4})\Z"}],
        ),
        (
            {"type": "regex", "value": r"(?<=\$)\d+"},
            [
                {
                    "type": "javascript",
                    "value": r"/(?<=\$)\d+/.test(typeof output === 'string' ? output : JSON.stringify(output))",
                }
            ],
        ),
        ({"type": "is-json"}, [{"type": "is_json"}]),
        (
            {"type": "is-json", "value": {"type": "object", "required": ["a"]}},
            [{"type": "json_schema", "value": {"type": "object", "required": ["a"]}}],
        ),
        (
            {"type": "similar", "value": "hello", "threshold": 0.7},
            [
                {
                    "type": "similar",
                    "value": "hello",
                    "threshold": 0.7,
                    "model": "text-embedding-3-large",
                }
            ],
        ),
        (
            {
                "type": "similar",
                "value": "hi",
                "provider": "openai:embedding:text-embedding-3-small",
            },
            [
                {
                    "type": "similar",
                    "value": "hi",
                    "threshold": 0.75,
                    "model": "text-embedding-3-small",
                }
            ],
        ),
        (
            {"type": "llm-rubric", "value": "Is polite"},
            [{"type": "judge", "rubric": "Is polite", "model": "gpt-5.5-2026-04-23"}],
        ),
        (
            {
                "type": "llm-rubric",
                "value": "Is polite",
                "threshold": 0.8,
                "provider": "openai:chat:gpt-4o-2024-08-06",
            },
            [
                {
                    "type": "judge",
                    "rubric": "Is polite",
                    "model": "gpt-4o-2024-08-06",
                    "threshold": 0.8,
                }
            ],
        ),
        (
            {"type": "model-graded-closedqa", "value": "Names a city"},
            [{"type": "judge", "rubric": "Names a city", "model": "gpt-5.5-2026-04-23"}],
        ),
        ({"type": "cost", "threshold": 0.01}, [{"type": "cost_usd", "max": 0.01}]),
        ({"type": "latency", "threshold": 500}, [{"type": "latency_ms", "max": 500}]),
        (
            {"type": "finish-reason", "value": "length"},
            [{"type": "finish_reason", "value": "length"}],
        ),
        (
            {"type": "contains", "value": "x", "weight": 0},
            [{"type": "contains", "value": "x", "weight": 0}],
        ),
        (
            {"type": "javascript", "value": "output.length <= 20"},
            [{"type": "javascript", "value": "output.length <= 20"}],
        ),
        (
            {"type": "javascript", "value": "output.toLowerCase().includes('x')", "weight": 3},
            [{"type": "contains", "value": "x", "ignore_case": True, "weight": 3}],
        ),
        (
            {"type": "javascript", "value": "Math.log(output.length)", "threshold": 0.5},
            [{"type": "javascript", "value": "Math.log(output.length)", "threshold": 0.5}],
        ),
        (
            {
                "type": "javascript",
                "value": "output.length <= context.config.max",
                "config": {"max": 5},
            },
            [
                {
                    "type": "javascript",
                    "value": "output.length <= context.config.max",
                    "config": {"max": 5},
                }
            ],
        ),
        (
            {"type": "not-javascript", "value": "!output.includes('x')"},
            [{"type": "contains", "value": "x"}],
        ),
    ],
)
def test_assertions_map_to_evalkit_checks(
    raw: dict[str, Any], expected: list[dict[str, Any]], m: Mapper, tmp_path: Path
) -> None:
    items = m.checks(raw)
    assert items == expected
    load_checks(items, tmp_path)
    assert m.report.assertions_mapped == m.report.assertions_total == 1
    assert m.report.left_out == []


def test_a_transform_to_a_field_becomes_a_path(m: Mapper) -> None:
    raw = {"type": "contains-any", "value": ["Peru"], "transform": "output.countries"}
    assert m.checks(raw, output_parsed=True) == [
        {"type": "regex", "path": "countries", "value": "(?:Peru)"}
    ]
    raw = {"type": "equals", "value": "x", "transform": "JSON.parse(output).name"}
    assert m.checks(raw) == [{"type": "equals", "path": "name", "value": "x"}]


def test_templated_values_are_rendered_per_case(m: Mapper) -> None:
    raw = {"type": "contains", "value": "{{ expected | upper }}"}
    with pytest.raises(NeedsCase):
        m(raw)  # at suite level it cannot be resolved
    assert m.checks(raw, vars={"expected": "paris"}) == [{"type": "contains", "value": "PARIS"}]


def test_assertion_templates_are_resolved(tmp_path: Path) -> None:
    m = Mapper(tmp_path, templates={"polite": {"type": "icontains", "value": "please"}})
    assert m.checks({"$ref": "#/assertionTemplates/polite"}) == [
        {"type": "contains", "value": "please", "ignore_case": True}
    ]
    items = m({"$ref": "#/assertionTemplates/missing"})
    assert isinstance(items[0], Comment)
    assert "names no assertionTemplates entry (known: polite)" in m.report.left_out[0].what


def test_unpinned_judge_models_are_pinned_or_remembered(tmp_path: Path) -> None:
    pins = Pins.parse(["gpt-4o=gpt-4o-2024-08-06"])
    m = Mapper(tmp_path, pins)
    assert (
        m.checks({"type": "llm-rubric", "value": "r", "provider": "openai:gpt-4o"})[0]["model"]
        == "gpt-4o-2024-08-06"
    )
    assert (
        m.checks({"type": "llm-rubric", "value": "r", "provider": "openai:gpt-4o-mini"})[0]["model"]
        == "gpt-4o-mini"
    )
    assert pins.unpinned == {"gpt-4o-mini"}


def test_grader_from_options_and_non_openai_graders(m: Mapper) -> None:
    grader = {
        "text": "openai:chat:gpt-4o-2024-08-06",
        "embedding": "openai:embedding:text-embedding-3-small",
    }
    assert (
        m.checks({"type": "llm-rubric", "value": "r"}, grader=grader)[0]["model"]
        == "gpt-4o-2024-08-06"
    )
    assert (
        m.checks({"type": "similar", "value": "v"}, grader=grader)[0]["model"]
        == "text-embedding-3-small"
    )
    assert (
        m.checks({"type": "llm-rubric", "value": "r", "provider": "anthropic:messages:claude"})[0][
            "model"
        ]
        == "gpt-5.5-2026-04-23"
    )
    assert any("not an OpenAI chat model" in n.text for n in m.report.notes)


def test_tool_assertions_need_a_suite_with_tools(m: Mapper) -> None:
    tools = ("lookup", "refund")
    assert m.checks({"type": "is-valid-openai-tools-call"}, tools=tools) == [
        {"type": "tool_args_valid"}
    ]
    assert m.checks({"type": "tool-call-f1", "value": "lookup, refund"}, tools=tools) == [
        {"type": "tool_called", "name": "lookup"},
        {"type": "tool_called", "name": "refund"},
    ]
    assert m.checks(
        {"type": "trajectory:tool-used", "value": {"name": "lookup", "min": 2, "max": 2}},
        tools=tools,
    ) == [{"type": "tool_called", "name": "lookup", "times": 2}]
    assert m.checks(
        {"type": "trajectory:tool-args-match", "value": {"name": "lookup", "args": {"id": "A1"}}},
        tools=tools,
    ) == [{"type": "tool_called", "name": "lookup", "args": {"id": "A1"}}]
    assert m.checks(
        {
            "type": "trajectory:tool-sequence",
            "value": {"mode": "exact", "steps": ["lookup", "refund"]},
        },
        tools=tools,
    ) == [{"type": "tool_sequence", "names": ["lookup", "refund"], "order": "exact"}]
    assert m.checks({"type": "not-trajectory:tool-used", "value": "refund"}, tools=tools) == [
        {"type": "tool_called", "name": "refund", "not": True}
    ]
    items = m({"type": "is-valid-openai-tools-call"})
    assert isinstance(items[0], Comment)
    assert m.report.left_out[-1].what == "`is-valid-openai-tools-call` on a provider without tools"


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ({"type": "answer-relevance", "threshold": 0.8}, "`answer-relevance` assertion"),
        ({"type": "webhook", "value": "https://x"}, "`webhook` assertion"),
        ({"type": "select-best", "value": "best"}, "`select-best` assertion"),
        ({"type": "rouge-n", "value": "x"}, "`rouge-n` assertion"),
        ({"type": "cost"}, "`cost` without a threshold"),
        ({"type": "javascript", "value": "file://check.js"}, "a javascript assertion from a file"),
        ({"type": "javascript", "value": "require('fs')"}, "`require` is not available"),
        ({"type": "javascript", "value": "await output"}, "`await` outside an async function"),
        ({"type": "javascript", "value": "output.includes('a'"}, "does not parse"),
        (
            {"type": "javascript", "value": "output.length", "threshold": 5},
            "with threshold 5 (evalkit's thresholds are in [0, 1]",
        ),
        ({"type": "python", "value": "1", "threshold": 2}, "`python` with threshold 2"),
        ({"type": "regex", "value": "(?i)yes"}, "which JavaScript rejects"),
        ({"type": "similar", "value": ["a", "b"]}, "`similar` against a list of values"),
        (
            {"type": "tool-call-f1", "value": ["a"], "threshold": 0.5},
            "`tool-call-f1` on a provider without tools",
        ),
        ({"type": "assert-set", "threshold": 0.5, "assert": []}, "an assert-set with a threshold"),
        ({"type": "is-json", "value": {"type": 5}}, "an invalid JSON schema"),
        (
            {"type": "equals", "transform": "output.trim()", "value": "x"},
            "the transform `output.trim()`",
        ),
        ({"type": "no-such-type"}, "unknown assertion type `no-such-type`"),
        ({"value": "x"}, "an assertion without a `type`"),
    ],
)
def test_what_cannot_be_mapped_is_reported_and_commented(
    raw: dict[str, Any], what: str, m: Mapper
) -> None:
    items = m(raw)
    assert len(items) == 1 and isinstance(items[0], Comment)
    assert what in items[0]
    assert items[0].startswith("left out: ") and "promptfooconfig.yaml:7" in items[0]
    assert m.report.assertions_total == 1 and m.report.assertions_mapped == 0
    item = m.report.left_out[0]
    assert what in item.what and item.fix and str(item.origin).endswith("promptfooconfig.yaml:7")


def test_assert_sets_without_threshold_are_flattened(m: Mapper) -> None:
    raw = {
        "type": "assert-set",
        "assert": [{"type": "contains", "value": "a"}, {"type": "icontains", "value": "b"}],
    }
    assert m.checks(raw) == [
        {"type": "contains", "value": "a"},
        {"type": "contains", "value": "b", "ignore_case": True},
    ]
    assert m.report.assertions_total == 1


def test_named_metrics_and_unknown_keys_are_noted(m: Mapper) -> None:
    m.checks({"type": "contains", "value": "a", "metric": "accuracy", "extra": 1})
    notes = " ".join(n.text for n in m.report.notes)
    assert "named metric 'accuracy' is not carried" in notes
    assert "assertion keys extra have no evalkit equivalent" in notes
