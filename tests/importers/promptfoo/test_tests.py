"""promptfoo ``tests:`` from files, lists and globs, and ``scenarios`` → evalkit cases."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from ..support import _fresh_generated_modules, planned, suite_of

__all__ = ["_fresh_generated_modules"]


def test_tests_from_files_lists_and_globs(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t/a.yaml").write_text(
        "- vars: {q: one}\n  assert: [{type: contains, value: one}]\n"
    )
    (tmp_path / "t/b.json").write_text(json.dumps([{"vars": {"q": "two"}}]))
    (tmp_path / "t/c.jsonl").write_text(json.dumps({"vars": {"q": "three"}}) + "\n")
    (tmp_path / "t/d.csv").write_text("q,__expected\nfour,contains:four\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\ntests: [file://t/*.yaml, file://t/b.json, 'file://t/*.jsonl', file://t/d.csv, {vars: {q: five}}]\n"
    )
    contents, report = planned(config)
    rows = [json.loads(line) for line in contents["cases/c.jsonl"].splitlines()]
    assert [r["vars"]["q"] for r in rows] == ["one", "two", "three", "four"]
    assert rows[3]["assert"] == [{"type": "contains", "value": "four"}]
    assert [r["id"] for r in rows] == ["a-1", "b-2", "c-3", "d-4"]
    suite = suite_of(contents)
    assert suite["cases"][0] == {"id": "test-5", "vars": {"q": "five"}}
    assert report.left_out == []


def test_scenarios_expand_into_cases(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts: ['{{ lang }}: {{ text }}']
            providers: [openai:gpt-4o-mini-2024-07-18]
            scenarios:
              - config:
                  - vars: {lang: French}
                    assert: [{type: contains, value: fr}]
                  - vars: {lang: German}
                tests:
                  - description: greeting
                    vars: {text: Hello}
                    assert: [{type: icontains, value: hello}]
                  - vars: {text: Bye}
            """
        )
    )
    contents, report = planned(config)
    cases = suite_of(contents)["cases"]
    assert [c["vars"] for c in cases] == [
        {"lang": "French", "text": "Hello"},
        {"lang": "French", "text": "Bye"},
        {"lang": "German", "text": "Hello"},
        {"lang": "German", "text": "Bye"},
    ]
    assert cases[0]["assert"] == [
        {"type": "contains", "value": "fr"},
        {"type": "contains", "value": "hello", "ignore_case": True},
    ]
    assert [c["id"] for c in cases] == ["greeting", "test-2", "greeting-2", "test-4"]
    assert report.left_out == []
