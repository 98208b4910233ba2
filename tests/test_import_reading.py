"""Reading promptfoo configs in their many shapes (prompt maps, globs, chat files, provider
objects, response_format files, test files), the schema generator and the YAML writer."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from evalkit.importers.promptfoo import import_promptfoo
from evalkit.importers.providers import Pins, params_for, parse_provider_id
from evalkit.importers.schemas import SchemaUnsupported, build_module
from evalkit.importers.writer import ImportPlan, write_plan
from evalkit.importers.yamlout import Comment, document
from evalkit.wire.strict import strict_problems

from .import_support import _fresh_generated_modules

__all__ = ["_fresh_generated_modules"]


def planned(config: Path, *pins: str) -> tuple[dict[str, str], Any]:
    plan, report = import_promptfoo(config, Pins.parse(list(pins)))
    return {str(f.rel): f.content for f in plan.files}, report


def suite_of(contents: dict[str, str]) -> dict[str, Any]:
    (name,) = [k for k in contents if k.endswith(".yaml")]
    data: dict[str, Any] = yaml.safe_load(contents[name])
    return data


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


def test_provider_forms_params_and_prompt_filters(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts:
              - {id: 'Short: {{ q }}', label: short}
              - {id: 'Long: {{ q }}', label: long}
            providers:
              - openai:chat:gpt-4o-2024-08-06:
                  config: {temperature: 0.3, max_tokens: 50, apiKey: sk-nope}
              - id: openai:gpt-4.1-mini
                label: mini
                prompts: [long]
                config: {n: 3, frobnicate: 1}
            tests: [{vars: {q: hi}}]
            """
        )
    )
    contents, report = planned(config, "gpt-4.1-mini=gpt-4.1-mini-2025-04-14")
    suite = suite_of(contents)
    assert suite["model"] == "gpt-4o-2024-08-06"
    assert suite["params"] == {"temperature": 0.3, "max_tokens": 50}
    assert suite["variants"] == {
        "gpt-4o-2024-08-06-long": {"prompt": "c@v2"},
        "mini-long": {"prompt": "c@v2", "model": "gpt-4.1-mini-2025-04-14", "params": {}},
    }
    left = {item.what for item in report.left_out}
    assert left == {
        "provider config `apiKey`",
        "provider config `n`",
        "provider config `frobnicate`",
    }
    assert "sk-nope" not in "".join(contents.values())  # a key never reaches the project


def test_response_format_from_a_file_and_unsupported_schemas(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text(
        json.dumps(
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "ticket",
                    "schema": {
                        "type": "object",
                        "properties": {
                            "category": {"type": "string", "enum": ["billing", "other"]}
                        },
                        "required": ["category"],
                        "additionalProperties": False,
                    },
                },
            }
        )
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\n"
        "providers:\n"
        "  - id: openai:chat:gpt-4o-2024-08-06\n    config: {response_format: file://schema.json}\n"
        "  - id: openai:chat:gpt-4o-mini-2024-07-18\n"
        "    config: {response_format: {type: json_schema, json_schema: {name: free, schema: {type: object, additionalProperties: {type: string}}}}}\n"
        "  - id: openai:chat:gpt-4.1-2025-04-14\n    config: {response_format: {type: json_object}}\n"
        "tests: [{vars: {q: hi}}]\n"
    )
    contents, report = planned(config)
    suite = suite_of(contents)
    assert suite["schema"] == "schemas.ticket:Ticket"
    assert "class Ticket(BaseModel):" in contents["schemas/ticket.py"]
    variants = suite["variants"]
    free = variants["gpt-4o-mini-2024-07-18"]
    assert free["params"]["response_format"]["json_schema"]["name"] == "free"  # sent unchanged
    assert variants["gpt-4-1-2025-04-14"]["params"] == {"response_format": {"type": "json_object"}}
    assert any("sent unchanged in params" in n.text for n in report.notes)


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


def test_missing_variables_get_empty_defaults_as_promptfoo_renders_them(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }} {{ extra }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\ntests: [{vars: {q: a}}, {vars: {q: b, extra: x}}]\n"
    )
    contents, report = planned(config)
    assert suite_of(contents)["vars"] == {"extra": ""}
    assert any("missing from some tests" in n.text for n in report.notes)


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


# -- schemas ------------------------------------------------------------------------------


def test_schema_module_is_strict_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = {
        "type": "object",
        "description": "A support analysis",
        "properties": {
            "summary": {"type": "string", "description": "One line", "maxLength": 200},
            "urgency": {"type": "string", "enum": ["1", "2", "3"]},
            "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
            "class": {"type": ["string", "null"]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["summary", "urgency", "actions", "score"],
        "$defs": {
            "action": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "done": {"type": "boolean"}},
                "required": ["name", "done"],
            }
        },
    }
    module = build_module(schema, "support analysis", "c.yaml:3")
    assert module.root == "SupportAnalysis"
    assert any("schema.class is optional" in n for n in module.notes)
    (tmp_path / "gen_support.py").write_text(module.source)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("gen_support", None)
    import gen_support  # type: ignore[import-not-found]

    model = gen_support.SupportAnalysis
    assert strict_problems(model) == []
    value = model.model_validate(
        {
            "summary": "s",
            "urgency": "2",
            "actions": [{"name": "a", "done": False}],
            "class": None,
            "score": 0.5,
        }
    )
    assert value.class_field is None
    properties = model.model_json_schema()["properties"]
    assert properties["urgency"]["enum"] == ["1", "2", "3"]
    assert "class" in properties  # the JSON name is kept through an alias


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "object", "additionalProperties": {"type": "string"}}, "free-form object"),
        ({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}, "uses 'oneOf'"),
        ({"type": "object", "properties": {"a": {}}}, "no type"),
        (
            {"type": "object", "properties": {"a": {"$ref": "http://x"}}},
            "not to a local definition",
        ),
    ],
)
def test_schemas_strict_outputs_cannot_take(schema: dict[str, Any], reason: str) -> None:
    with pytest.raises(SchemaUnsupported, match=reason):
        build_module(schema, "x", "here")


# -- providers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "model"),
    [
        ("openai:chat:gpt-4o", "chat", "gpt-4o"),
        ("openai:responses:o4-mini", "responses", "o4-mini"),
        ("openai:gpt-4.1", "chat", "gpt-4.1"),
        ("openai:embedding:text-embedding-3-small", "embedding", "text-embedding-3-small"),
        ("openai:completion:davinci-002", "other", ""),
        ("anthropic:messages:claude", "other", ""),
    ],
)
def test_provider_ids(raw: str, kind: str, model: str) -> None:
    parsed = parse_provider_id(raw)
    assert (parsed.kind, parsed.model) == (kind, model)


def test_responses_params_use_their_own_names() -> None:
    params, skipped = params_for(
        "responses", {"max_tokens": 10, "reasoning_effort": "low", "temperature": 0}
    )
    assert params == {"max_output_tokens": 10, "reasoning": {"effort": "low"}, "temperature": 0}
    assert skipped == {}


# -- writing ------------------------------------------------------------------------------


def test_the_writer_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    from evalkit.errors import ConfigError

    plan = ImportPlan(project_name="x")
    plan.add("suites", "../../escape.yaml", "x")
    with pytest.raises(ConfigError, match="not a plain relative path"):
        write_plan(plan, tmp_path / "out")
    assert not (tmp_path / "escape.yaml").exists()


def test_yaml_document_round_trips_with_comments() -> None:
    doc = {
        "suite": "s",
        Comment("a note"): None,
        "vars": {"text": "two\nlines", "yes": "yes", "date": "2024-01-01"},
        "cases": [
            {"id": "a", "assert": [Comment("left out: x"), {"type": "contains", "value": "a: b"}]},
        ],
    }
    text = document(doc, ["# header"])
    assert text.startswith("# header\nsuite: s\n# a note\n")
    assert "      # left out: x\n" in text
    assert yaml.safe_load(text) == {
        "suite": "s",
        "vars": {"text": "two\nlines", "yes": "yes", "date": "2024-01-01"},
        "cases": [{"id": "a", "assert": [{"type": "contains", "value": "a: b"}]}],
    }


def test_legacy_functions_become_tools_and_their_transforms_map(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts: ['Weather in {{ city }}?']
            providers:
              - id: openai:chat:gpt-4o-2024-08-06
                config:
                  functions:
                    - name: get_weather
                      parameters: {type: object, properties: {location: {type: string}}, required: [location]}
            tests:
              - vars: {city: Boston}
                assert:
                  - type: is-json
                  - type: is-valid-openai-function-call
                  - type: javascript
                    value: output.name === 'get_weather'
                  - type: javascript
                    value: JSON.parse(output.arguments).location === 'Boston, MA'
                  - type: equals
                    value: get_weather
                    transform: output.name
                  - type: similar
                    value: Boston
                    transform: JSON.parse(output.arguments).location
            """
        )
    )
    contents, report = planned(config)
    suite = suite_of(contents)
    assert suite["tools"][0]["name"] == "get_weather"
    assert suite["cases"][0]["assert"] == [
        {"type": "tool_args_valid"},
        {"type": "tool_called", "name": "get_weather"},
        {"type": "tool_called", "name": "get_weather", "args": {"location": "Boston, MA"}},
        {"type": "tool_called", "name": "get_weather"},
    ]
    left = [item.what for item in report.left_out]
    assert left[0].startswith("`is-json` on a provider with tools")
    assert left[1] == "the transform `JSON.parse(output.arguments).location` into the tool call"
    assert any("legacy `functions` became function `tools`" in n.text for n in report.notes)


def test_a_case_transform_into_the_first_tool_call(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts: ['Weather in {{ city }}?']
            providers:
              - id: openai:chat:gpt-4o-2024-08-06
                config:
                  tools: [{type: function, function: {name: get_weather, parameters: {type: object, properties: {}}}}]
            tests:
              - vars: {city: Oslo}
                options: {transform: 'output[0].function.name'}
                assert: [{type: equals, value: get_weather}, {type: contains, value: x}]
            """
        )
    )
    contents, report = planned(config)
    items = suite_of(contents)["cases"][0]["assert"]
    assert items == [{"type": "tool_called", "name": "get_weather"}]
    assert (
        report.left_out[0].what
        == "`contains` on the tool call's [0].function.name (a transform into the call)"
    )


def test_a_copied_python_file_named_like_a_keyword(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "assert.py").write_text(
        "def get_assert(output, context):\n    return len(output) > 1\n"
    )
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\n"
        "tests: [{vars: {q: a}, assert: [{type: python, value: file://assert.py}]}]\n"
    )
    contents, _ = planned(config)
    (module,) = [v for v in contents.values() if v.startswith('"""Checks generated by')]
    compile(module, "generated", "exec")  # `import ... as assert` would not compile
    assert " as assert\n" not in module


def test_a_suite_whose_only_assertion_was_left_out_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from .import_support import evalkit
    from .import_support import import_promptfoo as run_import

    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['Three words on {{ topic }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\n"
        "defaultTest: {assert: [{type: javascript, value: file://assert.js}]}\n"
        "tests: [{vars: {topic: fruit}}]\n"
    )
    out = tmp_path / "project"
    assert run_import(config, out) == 1
    suite_text = next((out / "suites").glob("*.yaml")).read_text()
    assert "assert: []\n  # left out: a javascript assertion file (file://assert.js)" in suite_text
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
