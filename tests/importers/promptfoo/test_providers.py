"""promptfoo providers → model, API, params, schema and tools; provider ids; legacy
``functions`` and transforms into a tool call."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from evalkit.importers.promptfoo.provider_ids import params_for, parse_provider_id

from ..support import _fresh_generated_modules, planned, suite_of

__all__ = ["_fresh_generated_modules"]


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


def test_providers_from_a_file_and_prompt_configs(tmp_path: Path) -> None:
    (tmp_path / "providers.yaml").write_text(
        "- id: openai:chat:gpt-4o-2024-08-06\n  config: {temperature: 0}\n"
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            prompts:
              - {raw: 'Short {{ q }}', label: short, config: {temperature: 1, tools: [], bogus: 1}}
            providers: file://providers.yaml
            tests: [{vars: {q: hi}}]
            """
        )
    )
    contents, report = planned(config)
    suite = suite_of(contents)
    assert suite["params"] == {"temperature": 1}  # the prompt's config over the provider's
    left = {item.what for item in report.left_out}
    assert left == {"prompt config `bogus`", "prompt config `tools`"}


def test_tools_from_a_file_and_tool_choice(tmp_path: Path) -> None:
    (tmp_path / "tools.json").write_text(
        json.dumps(
            [
                {"type": "function", "function": {"name": "lookup", "description": "Find"}},
                {"type": "web_search"},
            ]
        )
    )
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\n"
        "providers:\n"
        "  - id: openai:chat:gpt-4o-2024-08-06\n"
        "    config:\n"
        "      tools: file://tools.json\n"
        "      tool_choice: {type: function, function: {name: lookup}}\n"
        "      parallel_tool_calls: false\n"
        "tests: [{vars: {q: hi}}]\n"
    )
    contents, report = planned(config)
    suite = suite_of(contents)
    assert suite["tools"] == [
        {
            "name": "lookup",
            "description": "Find",
            "parameters": {"type": "object", "properties": {}},
        }
    ]
    assert suite["tool_choice"] == {"name": "lookup"}
    assert suite["parallel_tool_calls"] is False
    assert [item.what for item in report.left_out] == ["a `web_search` tool"]


@pytest.mark.parametrize(
    ("providers", "what"),
    [
        (
            "[openai:gpt-4o-mini-2024-07-18, openai:embedding:text-embedding-3-small]",
            "an embedding provider",
        ),
        ("[openai:gpt-4o-mini-2024-07-18, 42]", "a provider entry '42'"),
        (
            "[{id: openai:gpt-4o-mini-2024-07-18, delay: 5}]",
            "provider option `delay`",
        ),
        (
            "[{id: openai:gpt-4o-mini-2024-07-18, config: [1]}]",
            "a provider `config` that is not a mapping",
        ),
        (
            "[{id: openai:gpt-4o-mini-2024-07-18, config: {functions: 3}}]",
            "`functions` that are not a list",
        ),
        (
            "[{id: openai:gpt-4o-mini-2024-07-18, config: {tools: 3}}]",
            "`tools` that are not a list",
        ),
        ("[openai:gpt-4o-mini-2024-07-18, 'azure:chat:x']", "provider `azure:chat:x`"),
    ],
)
def test_provider_entries_not_carried(providers: str, what: str, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"prompts: ['{{{{ q }}}}']\nproviders: {providers}\ntests: [{{vars: {{q: a}}}}]\n"
    )
    _, report = planned(config)
    assert any(what in item.what for item in report.left_out), report.left_out


def test_a_non_strict_schema_is_sent_strict_and_two_schemas_of_one_name(tmp_path: Path) -> None:
    def fmt(field: str, strict: bool) -> str:
        schema = {
            "type": "object",
            "properties": {field: {"type": "string"}},
            "required": [field],
            "additionalProperties": False,
        }
        body = {
            "type": "json_schema",
            "json_schema": {"name": "out", "strict": strict, "schema": schema},
        }
        return json.dumps(body)

    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\n"
        "providers:\n"
        f"  - {{id: 'openai:chat:gpt-4o-2024-08-06', config: {{response_format: {fmt('a', False)}}}}}\n"
        f"  - {{id: 'openai:chat:gpt-4.1-2025-04-14', config: {{response_format: {fmt('b', True)}}}}}\n"
        "tests: [{vars: {q: hi}}]\n"
    )
    contents, report = planned(config)
    assert {"schemas/out.py", "schemas/out_2.py"} <= set(contents)
    suite = suite_of(contents)
    assert suite["schema"] == "schemas.out:Out"
    assert suite["variants"]["gpt-4-1-2025-04-14"]["schema"] == "schemas.out_2:Out"
    assert any("sent in strict mode" in n.text for n in report.notes)


def test_responses_api_formats(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\n"
        "providers:\n"
        "  - id: openai:responses:gpt-4.1-2025-04-14\n"
        "    config: {response_format: {type: json_object}, max_tokens: 9, verbosity: low}\n"
        "tests: [{vars: {q: hi}}]\n"
    )
    contents, _ = planned(config)
    suite = suite_of(contents)
    assert suite["api"] == "responses"
    assert suite["params"] == {
        "max_output_tokens": 9,
        "text": {"verbosity": "low", "format": {"type": "json_object"}},  # both kept
    }
