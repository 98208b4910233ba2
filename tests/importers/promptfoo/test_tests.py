"""promptfoo ``tests:`` from files, lists and globs, and ``scenarios`` → evalkit cases."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

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


def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text("prompts: ['{{ q }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\n" + body)
    return path


def test_test_fields_evalkit_cases_do_not_have_are_listed(tmp_path: Path) -> None:
    config = config_file(
        tmp_path,
        textwrap.dedent(
            """\
            tests:
              - vars: {q: a}
                provider: openai:gpt-4o
                metadata: {owner: me}
                options: {rubricPrompt: x, bogus: 1}
                assert: {type: contains, value: a}
            """
        ),
    )
    _, report = planned(config)
    left = {item.what for item in report.left_out}
    assert {
        "test field `provider`",
        "test option `rubricPrompt`",
        "test option `bogus`",
        "`assert` that is not a list",
    } <= left
    assert any("test metadata is not carried" in n.text for n in report.notes)


def test_var_files_are_read_and_others_listed(tmp_path: Path) -> None:
    (tmp_path / "ticket.txt").write_text("charged twice")
    (tmp_path / "data.yaml").write_text("a: [1, 2]\n")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / "vars.json").write_text(json.dumps({"q": "from a file"}))
    config = config_file(
        tmp_path,
        textwrap.dedent(
            """\
            tests:
              - vars: {q: file://ticket.txt, data: file://data.yaml, picture: file://img.png}
              - vars: file://vars.json
            """
        ),
    )
    contents, report = planned(config)
    first, second = suite_of(contents)["cases"]
    assert first["vars"] == {"q": "charged twice", "data": '{"a": [1, 2]}', "picture": ""}
    assert second["vars"] == {"q": "from a file"}
    assert [item.what for item in report.left_out] == ["var `picture` from img.png"]


def test_a_default_test_from_a_file_and_csv_columns_not_carried(tmp_path: Path) -> None:
    (tmp_path / "default.yaml").write_text(
        "vars: {tone: kind}\nassert: [{type: icontains, value: a}]\n"
    )
    (tmp_path / "t.csv").write_text("q,__prefix,__expected\nhi,>,contains:h\n")
    config = config_file(tmp_path, "defaultTest: file://default.yaml\ntests: file://t.csv\n")
    contents, report = planned(config)
    suite = suite_of(contents)
    assert suite["vars"] == {"tone": "kind"}
    assert suite["assert"] == [{"type": "contains", "value": "a", "ignore_case": True}]
    assert [item.what for item in report.left_out] == ["the CSV column `__prefix`"]


@pytest.mark.parametrize(
    ("tests", "what"),
    [
        ("[file://t.xlsx]", "tests from a .xlsx file (t.xlsx)"),
        ("[https://example.com/t.csv]", "tests from https"),
        ("[42]", "a test of type int"),
        ("[file://rows.jsonl]", "a test that is not a mapping"),
    ],
)
def test_test_sources_not_carried(tests: str, what: str, tmp_path: Path) -> None:
    (tmp_path / "t.xlsx").write_bytes(b"PK")
    (tmp_path / "rows.jsonl").write_text('[1, 2]\n{"vars": {"q": "a"}}\n')
    config = config_file(tmp_path, f"tests: {tests}\n")
    _, report = planned(config)
    assert any(what in item.what for item in report.left_out), report.left_out


def test_bad_scenarios_are_listed(tmp_path: Path) -> None:
    config = config_file(tmp_path, "scenarios: [{tests: []}]\ntests: [{vars: {q: a}}]\n")
    _, report = planned(config)
    assert [item.what for item in report.left_out] == ["a scenario without a `config` list"]
    config = config_file(tmp_path, "scenarios: {a: 1}\ntests: [{vars: {q: a}}]\n")
    _, report = planned(config)
    assert [item.what for item in report.left_out] == ["`scenarios` that are not a list"]
