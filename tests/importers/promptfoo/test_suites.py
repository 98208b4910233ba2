"""Building the suites of an import: variants for every prompt × model after the first,
empty defaults for variables some tests lack, parsed twins of `| load` variables, cases
files, and a suite that loads although its only assertion was left out."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from evalkit.errors import ConfigError

from ..support import _fresh_generated_modules, evalkit, planned, suite_of
from ..support import import_promptfoo as run_import

__all__ = ["_fresh_generated_modules"]


def test_missing_variables_get_empty_defaults_as_promptfoo_renders_them(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }} {{ extra }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\ntests: [{vars: {q: a}}, {vars: {q: b, extra: x}}]\n"
    )
    contents, report = planned(config)
    assert suite_of(contents)["vars"] == {"extra": ""}
    assert any("missing from some tests" in n.text for n in report.notes)


def test_a_suite_whose_only_assertion_was_left_out_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['Three words on {{ topic }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\n"
        "defaultTest: {assert: [{type: javascript, value: file://assert.js}]}\n"
        "tests: [{vars: {topic: fruit}}]\n"
    )
    out = tmp_path / "project"
    assert run_import(config, out) == 1
    suite_text = next((out / "suites").glob("*.yaml")).read_text()
    assert (
        "assert: []\n  # left out: a javascript assertion from a file (file://assert.js)"
        in suite_text
    )
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text


def config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def test_every_prompt_and_model_after_the_first_is_a_variant(tmp_path: Path) -> None:
    contents, _ = planned(
        config(
            tmp_path,
            """\
            prompts:
              - {raw: 'A {{ q }}', label: a}
              - {raw: 'B {{ q }}', label: b}
            providers:
              - {id: openai:gpt-4o-mini-2024-07-18, label: mini}
              - {id: openai:gpt-4o-2024-08-06, label: big, config: {temperature: 0}}
            tests: [{vars: {q: x}}]
            """,
        )
    )
    suite = suite_of(contents)
    assert (suite["prompt"], suite["model"]) == ("c@v1", "gpt-4o-mini-2024-07-18")
    assert suite["variants"] == {
        "mini-b": {"prompt": "c@v2"},
        "big-a": {"model": "gpt-4o-2024-08-06", "params": {"temperature": 0}},
        "big-b": {"prompt": "c@v2", "model": "gpt-4o-2024-08-06", "params": {"temperature": 0}},
    }


def test_prompt_filters_that_match_nothing_are_an_error(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """\
        prompts: [{raw: 'A {{ q }}', label: a}]
        providers: [{id: openai:gpt-4o-mini-2024-07-18, prompts: [zzz]}]
        tests: [{vars: {q: x}}]
        """,
    )
    with pytest.raises(ConfigError, match="their `prompts:` filters match no label"):
        planned(path)


def test_default_test_threshold_and_a_var_the_prompt_parses_that_is_not_json(
    tmp_path: Path,
) -> None:
    contents, report = planned(
        config(
            tmp_path,
            """\
            prompts: ['Tone {{ (style | load).tone }}']
            providers: [openai:gpt-4o-mini-2024-07-18]
            defaultTest: {threshold: 0.5, metadata: {a: 1}}
            tests:
              - vars: {style: '{"tone": "kind"}'}
              - vars: {style: 'not json'}
            """,
        )
    )
    cases = suite_of(contents)["cases"]
    assert [c["vars"] for c in cases] == [
        {"style": '{"tone": "kind"}', "style_parsed": {"tone": "kind"}}
    ]
    whats = [item.what for item in report.left_out]
    assert "defaultTest.threshold" in whats
    assert any("is not JSON, but the prompt parses it" in w for w in whats)
    assert any("defaultTest metadata" in n.text for n in report.notes)


def test_tests_from_files_go_to_a_cases_file_without_comments(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(
        json.dumps({"vars": {"q": "a"}, "assert": [{"type": "webhook", "value": "x"}]}) + "\n"
    )
    contents, report = planned(
        config(
            tmp_path,
            """\
            prompts: ['{{ q }}']
            providers: [openai:gpt-4o-mini-2024-07-18]
            tests: file://t.jsonl
            """,
        )
    )
    (row,) = [json.loads(line) for line in contents["cases/c.jsonl"].splitlines()]
    assert "assert" not in row  # the comment lives in the suite's header, not in JSONL
    assert "`webhook` assertion" in contents["c.yaml"]
    assert [item.what for item in report.left_out] == ["`webhook` assertion"]
