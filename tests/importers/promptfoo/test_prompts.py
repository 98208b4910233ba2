"""promptfoo ``prompts:`` in their shapes (maps, globs, ``---`` sections, chat files) →
evalkit prompt versions; what cannot be carried is reported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from ..support import _fresh_generated_modules, planned, suite_of

__all__ = ["_fresh_generated_modules"]


def test_prompt_maps_globs_and_chat_files(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts/a.txt").write_text("A: {{ topic }}\n")
    (tmp_path / "prompts/b.txt").write_text("B1: {{ topic }}\n---\nB2: {{ topic }}\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts:
              file://prompts/*.txt: from-files
              'Inline {{ topic }}': inline
            providers: [openai:gpt-4o-mini-2024-07-18]
            tests: [{vars: {topic: x}}]
            """
        )
    )
    contents, report = planned(config)
    texts = [contents[k] for k in sorted(contents) if k.endswith(".j2")]
    assert texts == [
        "A: {{ topic }}\n",
        "B1: {{ topic }}\n",
        "B2: {{ topic }}\n",
        "Inline {{ topic }}\n",
    ]
    suite = suite_of(contents)
    assert set(suite["variants"]) == {"from-files-2", "from-files-3", "inline"}
    assert report.left_out == []


@pytest.mark.parametrize(
    "prompt",
    [
        '[{"role": "system", "content": "Be {{ tone }}."}, {"role": "user", "content": "{{ q }}"}]',
        "file://chat.json",
        "file://chat.yaml",
    ],
)
def test_chat_prompts_become_message_blocks(prompt: str, tmp_path: Path) -> None:
    messages = [
        {"role": "system", "content": "Be {{ tone }}."},
        {"role": "user", "content": "{{ q }}"},
    ]
    (tmp_path / "chat.json").write_text(json.dumps(messages))
    (tmp_path / "chat.yaml").write_text(yaml.safe_dump(messages))
    (tmp_path / "c.yaml").write_text(
        yaml.safe_dump(
            {
                "prompts": [prompt],
                "providers": ["openai:gpt-4o-mini-2024-07-18"],
                "tests": [{"vars": {"tone": "kind", "q": "hi"}}],
            }
        )
    )
    contents, _ = planned(tmp_path / "c.yaml")
    (template,) = [v for k, v in contents.items() if k.endswith(".j2")]
    assert template == (
        '{% message "system" %}\nBe {{ tone }}.\n{% endmessage %}\n'
        '{% message "user" %}\n{{ q }}\n{% endmessage %}\n'
    )


def test_prompt_functions_custom_providers_and_remote_tests_are_reported(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: [file://make_prompt.py:build, 'Hi {{ q }}']\n"
        "providers: [openai:gpt-4o-mini-2024-07-18, 'file://my_provider.py']\n"
        "scenarios: [{config: [{vars: {q: a}}], tests: [{assert: []}]}]\n"
        "tests: [huggingface://datasets/x, {vars: {q: b}}]\n"
    )
    (tmp_path / "make_prompt.py").write_text("def build(ctx): return 'x'\n")
    _, report = planned(config)
    found = {(item.origin.line, item.what) for item in report.left_out}
    assert (1, "a prompt function (make_prompt.py:build)") in found
    assert (2, "provider `file://my_provider.py`") in found
    assert (4, "tests from huggingface (huggingface://datasets/x)") in found
