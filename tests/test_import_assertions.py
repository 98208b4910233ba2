"""Every promptfoo assertion type → its evalkit form (or its place in the report), checked
against evalkit's own assertion validation, and generated checks run on outputs."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks import Observation, evaluate
from evalkit.config import load_settings
from evalkit.importers.assertions import (
    AssertionMapper,
    MapContext,
    NeedsCase,
    assertion_from_string,
)
from evalkit.importers.generated import PACKAGE, CheckModule
from evalkit.importers.providers import Pins
from evalkit.importers.report import Origin, Report
from evalkit.importers.yamlout import Comment
from evalkit.project.suite import parse_assertions

from .import_support import _fresh_generated_modules

__all__ = ["_fresh_generated_modules"]

CONFIG = Path("/project/promptfooconfig.yaml")


class Mapper:
    """An AssertionMapper with its report, for one test."""

    def __init__(
        self, tmp_path: Path, pins: Pins | None = None, templates: dict[str, Any] | None = None
    ):
        self.report = Report()
        self.module = CheckModule(name="promptfoo_test")
        self.pins = pins or Pins()
        self.mapper = AssertionMapper(self.report, self.module, self.pins, templates)
        self.base = tmp_path

    def __call__(self, raw: dict[str, Any], **ctx: Any) -> list[Any]:
        context = MapContext(origin=Origin(CONFIG, 7), base_dir=self.base, **ctx)
        return self.mapper.map(raw, context)

    def checks(self, raw: dict[str, Any], **ctx: Any) -> list[dict[str, Any]]:
        items = self(raw, **ctx)
        assert all(isinstance(i, dict) for i in items), items
        return items


@pytest.fixture
def m(tmp_path: Path) -> Mapper:
    return Mapper(tmp_path)


def load_checks(items: list[dict[str, Any]], tmp_path: Path) -> None:
    """evalkit's own validation of assertions (unknown types and bad args are errors)."""
    settings = load_settings(tmp_path)
    parse_assertions(items, tmp_path / "test_x.py", settings)


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
        ({"type": "regex", "value": r"\d{3}"}, [{"type": "regex", "value": r"\d{3}"}]),
        (
            {"type": "regex", "value": r"(?<year>\d{4})"},
            [{"type": "regex", "value": r"(?P<year>\d{4})"}],
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
            [{"type": "judge", "rubric": "Is polite", "model": "gpt-4.1-2025-04-14"}],
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
            [{"type": "judge", "rubric": "Names a city", "model": "gpt-4.1-2025-04-14"}],
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
            [{"type": "length", "max": 20}],
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
        == "gpt-4.1-2025-04-14"
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
        ({"type": "javascript", "value": "file://check.js"}, "a javascript assertion file"),
        ({"type": "similar", "value": ["a", "b"]}, "`similar` against a list of values"),
        (
            {"type": "tool-call-f1", "value": ["a"], "threshold": 0.5},
            "`tool-call-f1` on a provider without tools",
        ),
        ({"type": "assert-set", "threshold": 0.5, "assert": []}, "an assert-set with a threshold"),
        ({"type": "is-json", "value": {"type": 5}}, "an invalid JSON schema"),
        ({"type": "regex", "value": "(?<=a+)b"}, "a regular expression Python cannot compile"),
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


# -- generated checks run as evalkit runs them -----------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path


def install(m: Mapper, project: Path) -> None:
    package = project / PACKAGE
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / f"{m.module.name}.py").write_text(m.module.source("promptfooconfig.yaml"))
    for source, module in m.module.copies.items():
        (package / f"{module}.py").write_text(source.read_text())
    importlib.invalidate_caches()
    for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
        del sys.modules[name]


def verdict(items: list[dict[str, Any]], text: str, project: Path, **variables: Any) -> list[bool]:
    specs = parse_assertions(items, project / "test_x.py", load_settings(project))
    obs = Observation(text=text, vars=variables)
    return [evaluate(spec, obs).passed for spec in specs]


@pytest.mark.parametrize(
    ("raw", "passing", "failing"),
    [
        ({"type": "contains-json"}, 'Here: {"a": 1} done', "no json here"),
        (
            {"type": "contains-json", "value": {"type": "object", "required": ["lat"]}},
            'x {"lat": 1} y',
            'x {"lon": 1} y',
        ),
        ({"type": "not-contains-json"}, "plain", '{"a": 1}'),
        ({"type": "levenshtein", "value": "hello world", "threshold": 2}, "helo world", "goodbye"),
        ({"type": "word-count", "value": {"min": 2, "max": 3}}, "two words", "one"),
        ({"type": "python", "value": "'ok' in output.lower()"}, "OK then", "nope"),
        (
            {"type": "python", "value": "words = output.split()\nreturn len(words) == 2"},
            "two words",
            "three words here",
        ),
        ({"type": "python", "value": "len(output) / 10", "threshold": 0.5}, "x" * 6, "x" * 4),
        (
            {"type": "javascript", "value": "output.length > 2 && output.includes('a')"},
            "abc",
            "bcd",
        ),
        ({"type": "javascript", "value": "output.length / 10", "threshold": 0.5}, "x" * 6, "x" * 4),
        (
            {"type": "not-javascript", "value": "output.includes('a') || output.includes('b')"},
            "xyz",
            "ab",
        ),
    ],
)
def test_generated_checks_pass_and_fail_like_promptfoo(
    raw: dict[str, Any], passing: str, failing: str, tmp_path: Path, project: Path
) -> None:
    m = Mapper(tmp_path)
    items = m.checks(raw)
    install(m, project)
    assert verdict(items, passing, project) == [True] * len(items)
    assert verdict(items, failing, project) == [False] * len(items)


def test_python_file_assertions_are_copied_and_adapted(tmp_path: Path, project: Path) -> None:
    (tmp_path / "graders.py").write_text(
        "def get_assert(output, context):\n"
        "    return {'pass': context['vars']['city'] in output, 'score': 1, 'reason': 'city check'}\n"
        "def limit(output, context):\n"
        "    return len(output) <= context['config']['max']\n"
    )
    m = Mapper(tmp_path)
    default = m.checks({"type": "python", "value": "file://graders.py"})
    named = m.checks({"type": "python", "value": "file://graders.py:limit", "config": {"max": 5}})
    install(m, project)
    assert verdict(default, "Oslo!", project, city="Oslo") == [True]
    assert verdict(default, "Paris", project, city="Oslo") == [False]
    assert verdict(named, "short", project) == [True]
    assert verdict(named, "much too long", project) == [False]
    source = m.module.source("promptfooconfig.yaml")
    assert "import checks_imported.promptfoo_test_graders as graders" in source
    assert "CONFIG_1 = {'max': 5}" in source


def test_values_are_embedded_as_data_never_as_code(tmp_path: Path, project: Path) -> None:
    hostile = "\"); import os; os.system('echo pwned') #"
    m = Mapper(tmp_path)
    items = m.checks({"type": "levenshtein", "value": hostile, "threshold": 0})
    source = m.module.source("promptfooconfig.yaml")
    assert "EXPECTED_1 = " in source and "os.system" in source  # only inside a string literal
    install(m, project)
    assert verdict(items, hostile, project) == [True]


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
