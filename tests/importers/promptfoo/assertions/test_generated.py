"""Generated ``python`` checks (contains-json, levenshtein, word-count, promptfoo python
assertions) pass and fail as promptfoo's do, with config values as data, never code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Mapper, install, verdict


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
