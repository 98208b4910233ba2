"""A config's top-level keys: each one carried, or listed with what to do instead;
``evaluateOptions``; the names taken from ``description``; configs that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.importers.promptfoo import Pins, import_promptfoo

from ..support import planned, suite_of

BASE = (
    "prompts: ['Hi {{ q }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\ntests: [{vars: {q: a}}]\n"
)


def config(tmp_path: Path, extra: str, name: str = "promptfooconfig.yaml") -> Path:
    folder = tmp_path / "my-evals"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(BASE + extra)
    return path


@pytest.mark.parametrize(
    ("extra", "what", "fix"),
    [
        ("env: {A: b}\n", "`env`", "OPENAI_API_KEY"),
        ("extensions: [file://hooks.js]\n", "`extensions`", "pytest fixture"),
        ("outputPath: out.json\n", "`outputPath`", ".evalkit/runs/"),
        ("sharing: true\n", "`sharing`", "evalkit report --html"),
        ("tags: {team: a}\n", "`tags`", "description"),
        ("redteam: {}\n", "`redteam`", "keep running promptfoo"),
        ("frobnicate: 1\n", "unknown key `frobnicate`", "promptfoo's docs"),
        (
            "evaluateOptions: {maxConcurrency: 4}\n",
            "evaluateOptions.maxConcurrency",
            "--concurrency",
        ),
        ("evaluateOptions: {cache: false}\n", "evaluateOptions.cache", "replay mode"),
        ("evaluateOptions: {delay: 5}\n", "evaluateOptions.delay", "no equivalent"),
    ],
)
def test_top_level_keys_not_carried_say_what_instead(
    extra: str, what: str, fix: str, tmp_path: Path
) -> None:
    _, report = planned(config(tmp_path, extra))
    (item,) = report.left_out
    assert what in item.what and fix in item.fix
    assert item.origin.line == 4  # the key's own line


def test_schema_key_is_silently_fine_and_repeat_is_carried(tmp_path: Path) -> None:
    contents, report = planned(
        config(
            tmp_path,
            "$schema: https://promptfoo.dev/config-schema.json\nevaluateOptions: {repeat: 3}\n",
        )
    )
    assert report.left_out == []
    assert suite_of(contents)["repeat"] == 3


def test_names_come_from_the_folder_or_the_description(tmp_path: Path) -> None:
    contents, _ = planned(config(tmp_path, ""))
    assert "my-evals.yaml" in contents and "my-evals/v1.j2" in contents
    contents, _ = planned(config(tmp_path, "description: Support Bot, v2!\n", name="other.yaml"))
    assert "support-bot-v2.yaml" in contents and "support-bot-v2/v1.j2" in contents
    assert suite_of(contents)["description"] == "Support Bot, v2!"


def test_custom_nunjucks_filters_are_named_in_prompts(tmp_path: Path) -> None:
    path = config(tmp_path, "nunjucksFilters: {shout: file://shout.js}\n")
    path.write_text(path.read_text().replace("'Hi {{ q }}'", "'Hi {{ q | shout }}'"))
    _, report = planned(path)
    whats = [item.what for item in report.left_out]
    assert "`nunjucksFilters`" in whats
    assert "in a prompt: the custom Nunjucks filter `shout` (nunjucksFilters)" in whats


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("assertionTemplates: [a]\n" + BASE, "assertionTemplates must be a mapping"),
        ("prompts: ['x']\n", "the config has no `providers:`"),
        ("'just text'\n", "a promptfoo config is a YAML mapping"),
    ],
)
def test_configs_that_cannot_be_read(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        import_promptfoo(path, Pins())


def test_a_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        import_promptfoo(tmp_path / "none.yaml", Pins())
