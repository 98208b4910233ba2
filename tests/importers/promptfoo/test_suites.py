"""Building the suites of an import: empty defaults for variables some tests lack, and a
suite that loads although its only assertion was left out."""

from __future__ import annotations

from pathlib import Path

import pytest

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
