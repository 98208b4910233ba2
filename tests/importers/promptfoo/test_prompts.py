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


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def config_with(tmp_path: Path, prompts: str) -> Path:
    return write(
        tmp_path,
        "c.yaml",
        f"prompts: {prompts}\nproviders: [openai:gpt-4o-mini-2024-07-18]\n"
        "tests: [{vars: {q: a}}]\n",
    )


def templates(contents: dict[str, str]) -> list[str]:
    return [contents[k] for k in sorted(contents) if k.endswith(".j2")]


def test_prompt_files_of_every_shape(tmp_path: Path) -> None:
    write(tmp_path, "p/sections.txt", "One {{ q }}\n---\n\n---\nTwo {{ q }}\n")
    write(tmp_path, "p/table.csv", "prompt,label\n'Row {{ q }}',row\n")
    write(tmp_path, "p/chats.jsonl", json.dumps([{"role": "user", "content": "L {{ q }}"}]) + "\n")
    write(tmp_path, "p/text.json", json.dumps("Json text {{ q }}"))
    write(tmp_path, "bare.txt", "Bare {{ q }}\n")
    config = config_with(
        tmp_path,
        "[file://p/sections.txt, file://p/table.csv, file://p/chats.jsonl, file://p/text.json, bare.txt]",
    )
    contents, report = planned(config)
    assert templates(contents) == [
        "One {{ q }}\n",
        "Two {{ q }}\n",
        "'Row {{ q }}'\n",
        '{% message "user" %}\nL {{ q }}\n{% endmessage %}\n',
        "Json text {{ q }}\n",
        "Bare {{ q }}\n",
    ]
    assert report.left_out == []


@pytest.mark.parametrize(
    ("prompts", "what"),
    [
        ("['langfuse://prompt/x']", "an external prompt (langfuse://prompt/x)"),
        ("[file://p.pdf]", "a prompt file of type .pdf"),
        ("[file://obj.json]", "a JSON prompt file that is not a message list"),
        ("[file://obj.yaml]", "a YAML prompt file that is not a message list"),
        ("[42]", "a prompt of type int"),
        ("[{label: x}]", "a prompt entry without raw text or a file id"),
        ("[{raw: 'Hi {{ q }}', prefix: '>'}]", "prompt option `prefix`"),
        ("[[{content: hi}]]", "a chat message without a role"),
        ("[[{role: tool, content: x}, {role: user, content: hi}]]", "a `tool` message"),
        (
            "[[{role: user, content: [{type: image_url, image_url: {url: x}}]}]]",
            "a image_url content part",
        ),
        ("['Hi {{ _conversation }}']", "the `_conversation` variable"),
        ("['{{ q | shout }}']", "in a prompt: the filter `shout`"),
    ],
)
def test_prompts_that_cannot_be_carried_are_listed(prompts: str, what: str, tmp_path: Path) -> None:
    write(tmp_path, "p.pdf", "%PDF")
    write(tmp_path, "obj.json", '{"a": 1}')
    write(tmp_path, "obj.yaml", "a: 1\n")
    others = prompts.removeprefix("[").removesuffix("]")
    _, report = planned(config_with(tmp_path, f"['Fine {{{{ q }}}}', {others}]"))
    assert any(what in item.what for item in report.left_out), report.left_out


def test_prompt_entries_with_raw_labels_and_chat_lists(tmp_path: Path) -> None:
    config = config_with(
        tmp_path,
        "[{raw: 'A {{ q }}', label: first}, "
        "{id: [{role: system, content: 'Be kind'}, {role: user, content: '{{ q }}'}], label: chat}, "
        "[{role: user, content: [{type: text, text: 'Part {{ q }}'}]}]]",
    )
    contents, report = planned(config)
    assert templates(contents) == [
        "A {{ q }}\n",
        '{% message "system" %}\nBe kind\n{% endmessage %}\n'
        '{% message "user" %}\n{{ q }}\n{% endmessage %}\n',
        '{% message "user" %}\nPart {{ q }}\n{% endmessage %}\n',
    ]
    assert set(suite_of(contents)["variants"]) == {"chat", "v3"}
    assert report.left_out == []


def test_a_template_jinja_cannot_read_is_kept_as_raw_text(tmp_path: Path) -> None:
    contents, report = planned(config_with(tmp_path, "['{% if q %}open']"))
    assert templates(contents) == ["{% raw %}{% if q %}open{% endraw %}\n"]
    assert any("template syntax Jinja rejects" in item.what for item in report.left_out)
