"""``evalkit import promptfoo`` end to end: configs written like promptfoo's own examples are
imported, pass ``evalkit check``, are recorded against the testing server and replay
offline; what cannot be carried is listed with file and line, and the exit code says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from evalkit.testing import Rule, Script, TestingServer

from ...conftest import API_KEY
from ..support import DATA, _fresh_generated_modules, evalkit, import_promptfoo, parse
from ..support import run as import_run

__all__ = ["_fresh_generated_modules"]

PIN = "gpt-4.1-mini=gpt-4.1-mini-2025-04-14"
JUDGE_PASS = {"pass": True, "score": 0.9, "reason": "The output meets the rubric."}


def judged(*rules: Rule) -> Script:
    """The judge passes every rubric; the model answers by the given rules."""
    return Script(rules=[Rule(when=["Rubric: "], reply=JUDGE_PASS), *rules])


SCRIPTS = {
    "getting-started": judged(
        Rule(when=["French", "Hello world"], reply="Bonjour le monde"),
        Rule(when=["Spanish"], reply="¿Dónde está la biblioteca?"),
        Rule(when=["German"], reply="Guten Morgen!"),
    ),
    "csv-tests": judged(
        Rule(when=["French", "Hello world"], reply="Bonjour le monde, enchanté."),
        Rule(when=["French", "hungry"], reply="J'ai faim."),
        Rule(when=["Pirate", "Hello world"], reply="Ahoy matey, well met!"),
        Rule(when=["Pirate", "hungry"], reply="Arr, me belly be empty!"),
    ),
    "json-output": judged(
        Rule(when=["Banana"], reply={"color": "yellow", "countries": ["Ecuador", "Philippines"]}),
        Rule(when=["Passion fruit"], reply={"color": "purple", "countries": ["Brazil", "Peru"]}),
    ),
    "default-test": judged(
        Rule(
            when=["charged twice"],
            reply="Sorry! We will refund the duplicate charge within 5 business days.",
        ),
        Rule(
            when=["down for an hour"],
            reply="We are looking into it; follow the incident on our status page.",
        ),
    ),
    "self-grading": judged(Rule(when=["question"], reply="Happy to help with that!")),
    "structured-output": judged(
        Rule(
            when=["charged twice"],
            reply={
                "summary": "Customer was charged twice and wants a refund.",
                "category": "billing",
                "urgency": "4",
                "actions": [{"action": "Refund the duplicate charge", "priority": "high"}],
            },
        ),
        Rule(
            when=["reset my password"],
            reply={
                "summary": "Password reset link is broken.",
                "category": "technical_issue",
                "urgency": "3",
                "actions": [{"action": "Send a new reset link", "priority": "medium"}],
            },
        ),
    ),
    "compare-models": judged(
        Rule(when=["Germany"], reply="Berlin"),
        Rule(when=["Italy"], reply="Rome is the capital of Italy."),
        Rule(when=["Spain"], reply="Madrid"),
        Rule(when=["Canada"], reply="Ottawa"),
        Rule(when=["France"], reply="Paris"),
        Rule(when=["Japan"], reply="Tokyo"),
    ),
    "leftovers": judged(Rule(when=["executives"], reply="Revenue grew and costs fell.")),
}


def imported(name: str, tmp_path: Path, *pins: str) -> tuple[int, Path]:
    """Copy a fixture (so relative paths resolve as in a user's repo) and import it."""
    source = tmp_path / "promptfoo"
    shutil.copytree(DATA / name, source)
    out = tmp_path / "project"
    code = import_promptfoo(source / "promptfooconfig.yaml", out, *pins)
    return code, out


@pytest.mark.parametrize(
    "name",
    [
        "getting-started",
        "csv-tests",
        "json-output",
        "default-test",
        "self-grading",
        "compare-models",
        "structured-output",
    ],
)
def test_example_configs_import_check_record_and_replay(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = imported(name, tmp_path, PIN)
    assert code == 0, capsys.readouterr()
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    assert "0 error(s)" in text
    with TestingServer(SCRIPTS[name], api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record", "--all-variants")
        assert code == 0, text
        sent = server.stats.requests
    assert sent > 0
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    code, text = evalkit(out, monkeypatch, capsys, "run", "--all-variants")
    assert code == 0, text
    assert "failed" not in text.replace("0 failed", "")
    code, text = evalkit(out, monkeypatch, capsys, "check", "--strict")
    assert code == 0, text


def test_replay_fails_a_case_whose_answer_no_longer_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The imported checks really gate: a wrong translation fails the imported contains."""
    code, out = imported("getting-started", tmp_path, PIN)
    assert code == 0
    wrong = Script(rules=[Rule(when=["French"], reply="Salut"), Rule(when=["."], reply="Hola")])
    with TestingServer(wrong, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
    assert code == 1
    assert "getting-started::test-1" in text and "Bonjour le monde" in text


def test_getting_started_suite_is_what_a_person_would_write(tmp_path: Path) -> None:
    code, out = imported("getting-started", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/getting-started.yaml").read_text())
    assert suite["prompt"] == "getting-started@v1"
    assert suite["model"] == "gpt-4.1-mini-2025-04-14"
    assert "allow_unpinned" not in suite
    assert suite["variants"] == {
        "gpt-4-1-mini-v2": {"prompt": "getting-started@v2"},
        "gpt-4o-mini-2024-07-18-v1": {"model": "gpt-4o-mini-2024-07-18"},
        "gpt-4o-mini-2024-07-18-v2": {
            "prompt": "getting-started@v2",
            "model": "gpt-4o-mini-2024-07-18",
        },
    }
    german = suite["cases"][2]
    assert german["id"] == "german-greeting-stays-short"
    assert german["assert"] == [
        {"type": "contains", "value": "guten morgen", "ignore_case": True},
        {"type": "javascript", "value": "output.length < 80"},  # UTF-16 units: not `length`
        {"type": "contains", "value": "Good morning", "not": True},
    ]
    assert (
        out / "prompts/getting-started/v1.j2"
    ).read_text() == "Convert this English to {{ language }}: {{ input }}\n"
    lock = (out / "prompts/evalkit.lock").read_text()
    assert "getting-started@v1 sha256:" in lock and "getting-started@v2 sha256:" in lock


def test_unpinned_models_get_allow_unpinned_and_a_comment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = imported("getting-started", tmp_path)
    assert code == 0
    text = (out / "suites/getting-started.yaml").read_text()
    assert "allow_unpinned: true" in text
    assert (
        "# allow_unpinned: true below because these models were given as aliases: gpt-4.1-mini."
        in text
    )
    assert "--pin ALIAS=SNAPSHOT" in text
    code, output = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, output


def test_csv_tests_with_expected_columns_and_load_filter(tmp_path: Path) -> None:
    code, out = imported("csv-tests", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/a-translator-built-with-llm.yaml").read_text())
    assert suite["cases"] == [{"cases_from": "cases/a-translator-built-with-llm.jsonl"}]
    assert suite["variants"] == {"v2": {"prompt": "a-translator-built-with-llm@v2"}}
    rows = [
        json.loads(line)
        for line in (out / "suites/cases/a-translator-built-with-llm.jsonl")
        .read_text()
        .splitlines()
    ]
    assert [r["id"] for r in rows] == [
        "french-hello",
        "french-hunger",
        "pirate-hello",
        "pirate-hunger",
    ]
    assert rows[0]["vars"]["style_config"] == '{"tone":"formal","length":"brief"}'
    assert rows[0]["vars"]["style_config_parsed"] == {"tone": "formal", "length": "brief"}
    assert rows[0]["assert"] == [
        {"type": "contains", "value": "bonjour", "ignore_case": True},
        {"type": "javascript", "value": "output.length < 300"},
    ]
    assert rows[1]["assert"][1] == {"type": "contains", "value": "hungry", "not": True}
    assert rows[2]["assert"] == [
        {"type": "regex", "value": "(?:ahoy|matey)", "ignore_case": True},
        {"type": "starts_with", "value": "Ahoy"},
    ]
    assert rows[3]["assert"] == [
        {
            "type": "judge",
            "rubric": "sounds like a pirate talking about food",
            "model": "gpt-5.5-2026-04-23",
        },
        {
            "type": "similar",
            "value": "Arr, me belly be empty",
            "threshold": 0.7,
            "model": "text-embedding-3-large",
        },
    ]
    v1 = (out / "prompts/a-translator-built-with-llm/v1.j2").read_text()
    assert "- Tone: {{ (style_config_parsed).tone }}" in v1
    v2 = (out / "prompts/a-translator-built-with-llm/v2.j2").read_text()
    assert "Follow the style configuration: {{ style_config }}." in v2


def test_json_output_transforms_and_javascript(tmp_path: Path) -> None:
    code, out = imported("json-output", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/json-object-evals.yaml").read_text())
    assert "schema" not in suite
    banana, passion = suite["cases"]
    assert banana["assert"][0] == {"type": "is_json"}
    assert banana["assert"][1] == {  # && of two tests: the code itself, as JavaScript
        "type": "javascript",
        "value": "JSON.parse(output).color === 'yellow' && JSON.parse(output).countries.includes('Ecuador')",
    }
    # under `transform: JSON.parse(output)`, output.color is the field `color`
    assert passion["assert"][1] == {"type": "equals", "path": "color", "value": "purple"}
    assert passion["assert"][2] == {
        "type": "regex",
        "path": "countries",
        "value": "(?:Brazil|Colombia|India|Indonesia)",
    }
    assert not (out / "checks_imported").exists()  # no generated Python for JavaScript


def test_structured_output_schema_module_and_parsed_output(tmp_path: Path) -> None:
    """With a json_schema response_format promptfoo hands assertions the parsed object."""
    code, out = imported("structured-output", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/support-triage-with-structured-output.yaml").read_text())
    assert suite["schema"] == "schemas.support_triage:SupportTriage"
    assert suite["params"] == {"temperature": 0}
    assert suite["variants"] == {"gpt-4o-2024-08-06": {"model": "gpt-4o-2024-08-06"}}
    schema_source = (out / "schemas/support_triage.py").read_text()
    assert "class SupportTriage(BaseModel):" in schema_source
    assert (
        'summary: str = Field(description="A one-line summary of the customer\'s message")'
        in schema_source
    )
    assert 'urgency: Literal["1", "2", "3", "4", "5"]' in schema_source
    billing, password = suite["cases"]
    assert billing["assert"][1] == {"type": "equals", "path": "category", "value": "billing"}
    assert [a["type"] for a in billing["assert"]] == [
        "is_json",
        "equals",
        "javascript",
        "javascript",
        "judge",
    ]
    # the suite's schema hands the parsed output to the javascript check, as promptfoo does
    assert billing["assert"][2] == {"type": "javascript", "value": "parseInt(output.urgency) >= 3"}
    assert password["assert"][0] == {
        "type": "equals",
        "path": "category",
        "value": "technical_issue",
    }
    assert not (out / "checks_imported").exists()


def test_default_test_budgets_refs_and_file_vars(tmp_path: Path) -> None:
    code, out = imported("default-test", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/support-reply-quality-with-budgets.yaml").read_text())
    assert suite["vars"] == {"company": "Acme Cloud"}
    assert suite["params"] == {"temperature": 0.2, "max_tokens": 400, "seed": 7}
    assert suite["assert"] == [
        {"type": "cost_usd", "max": 0.002},
        {"type": "latency_ms", "max": 8000},
        {
            "type": "judge",
            "rubric": "The reply is polite and does not blame the customer",
            "model": "gpt-4.1-2025-04-14",
        },
        {"type": "finish_reason", "value": "stop"},
    ]
    refund, outage = suite["cases"]
    assert refund["vars"]["ticket"].startswith("I was charged twice")
    assert refund["assert"][2] == {
        "type": "judge",
        "rubric": "Mentions the refund timeline",
        "model": "gpt-4.1-2025-04-14",
        "threshold": 0.7,
    }
    assert outage["assert"][1] == {
        "type": "contains",
        "value": "your fault",
        "ignore_case": True,
        "not": True,
        "weight": 2,
    }
    template = (out / "prompts/support-reply-quality-with-budgets/v1.j2").read_text()
    assert template.startswith('{% message "system" %}\nYou are a support agent for {{ company }}.')
    assert '{% message "user" %}\nCustomer ticket:\n{{ ticket }}\n{% endmessage %}' in template


def test_several_models_one_suite_per_api_family(tmp_path: Path) -> None:
    code, out = imported("compare-models", tmp_path, PIN)
    assert code == 0
    chat = yaml.safe_load(
        (out / "suites/compare-capital-city-answers-across-models-chat.yaml").read_text()
    )
    responses = yaml.safe_load(
        (out / "suites/compare-capital-city-answers-across-models-responses.yaml").read_text()
    )
    assert chat["variants"] == {
        "mini-chat": {"prompt": "compare-capital-city-answers-across-models@v2"},
        "4o-concise": {"model": "gpt-4o-2024-08-06"},
        "4o-chat": {
            "prompt": "compare-capital-city-answers-across-models@v2",
            "model": "gpt-4o-2024-08-06",
        },
    }
    assert responses["api"] == "responses"
    assert responses["params"] == {"max_output_tokens": 100}
    # array vars expand into one case each, as promptfoo does
    assert [c["vars"] for c in chat["cases"][:2]] == [{"country": "France"}, {"country": "Japan"}]
    copied = out / "checks_imported/promptfoo_compare_capital_city_answers_across_models_graders.py"
    assert "def mentions_country" in copied.read_text()


def test_tool_calls_map_to_evalkit_tool_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = imported("tool-calls", tmp_path, PIN)
    assert code == 0
    suite = yaml.safe_load((out / "suites/chat-completions-tool-call-validation.yaml").read_text())
    assert suite["tools"] == [
        {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        }
    ]
    assert suite["tool_choice"] == "auto"
    boston, paris = suite["cases"]
    assert boston["assert"] == [
        {"type": "tool_args_valid"},
        {"type": "tool_called", "name": "get_current_weather"},
        {"type": "tool_called", "name": "get_current_weather", "args": {"location": "Boston, MA"}},
    ]
    assert paris["assert"] == [
        {"type": "tool_called", "name": "get_current_weather"},
        {"type": "tool_sequence", "names": ["get_current_weather"], "order": "in_order"},
    ]
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text


def test_left_out_constructs_are_listed_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = imported("leftovers", tmp_path, PIN)
    captured = capsys.readouterr()
    assert code == 1
    config = "promptfoo/promptfooconfig.yaml"
    expected = [
        f"{config}:2: `outputPath`",
        f"{config}:5: in a prompt: the filter `nl2br`",
        f"{config}:9: provider `anthropic:messages:claude-sonnet-4-20250514`",
        f"{config}:14: the test threshold 0.5",
        f"{config}:15: options.transform `output.trim().toUpperCase()`",
        f"{config}:23: `webhook` assertion",
        f"{config}:27: `redteam`",
        f"{config}:29: unknown key `unknownSetting`",
    ]
    for line in expected:
        assert line in captured.err, line
    assert "2 of 3 assertions carried over (67%)" in captured.out
    assert "javascript" not in captured.err  # the loop runs as JavaScript now
    suite_text = (out / "suites/things-evalkit-cannot-carry.yaml").read_text()
    for line in expected:  # the same list heads the suite, relative to the config's folder
        assert "#   - " + line.removeprefix("promptfoo/") in suite_text, line
    assert str(tmp_path) not in suite_text  # no machine paths in committed files
    checks = "".join(p.read_text() for p in (out / "suites").rglob("*") if p.is_file())
    assert str(tmp_path) not in checks
    assert "      # left out: `webhook` assertion" in suite_text  # and sits where it was
    template = (out / "prompts/things-evalkit-cannot-carry/v1.j2").read_text()
    assert (
        "{# left out by evalkit import (see the import report): {{ article | nl2br }} #}"
        in template
    )
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    with TestingServer(SCRIPTS["leftovers"], api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
    assert code == 0, text
    monkeypatch.delenv("OPENAI_BASE_URL")
    code, text = evalkit(out, monkeypatch, capsys, "run")
    assert code == 0, text


def test_existing_files_are_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = imported("getting-started", tmp_path, PIN)
    assert code == 0
    suite = out / "suites/getting-started.yaml"
    suite.write_text("# my edits\n")
    before = sorted(p for p in out.rglob("*") if p.is_file())
    capsys.readouterr()
    code = import_promptfoo(tmp_path / "promptfoo/promptfooconfig.yaml", out, PIN)
    err = capsys.readouterr().err
    assert code == 2
    assert "the import would overwrite" in err and "suites/getting-started.yaml" in err
    assert "nothing was written" in err
    assert suite.read_text() == "# my edits\n"
    assert sorted(p for p in out.rglob("*") if p.is_file()) == before


def test_into_an_existing_project_uses_its_folders(tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\n\n[tool.evalkit]\nsuites = "evals"\nprompts = "templates"\n'
    )
    source = tmp_path / "promptfoo"
    shutil.copytree(DATA / "getting-started", source)
    assert import_promptfoo(source / "promptfooconfig.yaml", out, PIN) == 0
    assert (out / "evals/getting-started.yaml").is_file()
    assert (out / "templates/getting-started/v1.j2").is_file()
    assert (out / "templates/evalkit.lock").is_file()
    assert '[tool.evalkit]\nsuites = "evals"' in (out / "pyproject.toml").read_text()


def test_names_from_the_config_cannot_leave_the_output_folder(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "promptfooconfig.yaml"
    config.parent.mkdir()
    config.write_text(
        "description: '../../../../etc/evil'\n"
        "prompts:\n  - id: 'Say hi to {{name}}'\n    label: '../../outside'\n"
        "providers: [openai:gpt-4o-mini-2024-07-18]\n"
        "tests:\n  - description: '../../../x'\n    vars: {name: Ada}\n"
    )
    out = tmp_path / "project"
    assert import_promptfoo(config, out) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(out.resolve()) or p == config for p in written)
    suite = yaml.safe_load((out / "suites/etc-evil.yaml").read_text())
    assert suite["prompt"] == "etc-evil@v1"
    assert suite["cases"][0]["id"] == "x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prompts: [a\n", "promptfooconfig.yaml:2: YAML syntax error"),
        ("- just a list\n", "promptfooconfig.yaml:1: a promptfoo config is a YAML mapping"),
        ("prompts: [hi]\ntests: []\n", "promptfooconfig.yaml:1: the config has no `providers:`"),
        (
            "prompts: [file://missing.txt]\nproviders: [openai:gpt-4o-mini-2024-07-18]\n",
            "promptfooconfig.yaml:1: file not found: missing.txt",
        ),
        (
            "prompts: [hi]\nproviders: [anthropic:messages:claude-3]\n",
            "promptfooconfig.yaml:2: no OpenAI chat or responses provider to import",
        ),
    ],
)
def test_unreadable_configs_exit_2_with_file_and_line(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(text)
    out = tmp_path / "project"
    assert import_promptfoo(config, out) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (out / "suites").exists()


def test_bad_pin_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = import_run(
        parse(
            [
                "import",
                "promptfoo",
                str(DATA / "getting-started/promptfooconfig.yaml"),
                "--out",
                str(tmp_path),
                "--pin",
                "gpt-4.1-mini=latest",
            ]
        )
    )
    assert code == 2
    assert "'latest' is not a dated snapshot" in capsys.readouterr().err


JS_CONFIG = """\
description: JavaScript as promptfoo writes it
prompts: ['Name the capital of {{ country }} in a sentence.']
providers: [openai:chat:gpt-4.1-mini-2025-04-14]
defaultTest:
  assert:
    - type: javascript
      value: output.includes('{{ capital }}')
    - type: javascript
      value: |
        const words = output.trim().split(/\\s+/);
        return words.length <= {{ max_words }};
tests:
  - vars: {country: France, capital: Paris, max_words: 8}
    assert:
      - type: javascript
        value: "output.length / 100"
        threshold: 0.2
  - vars: {country: Japan, capital: Tokyo, max_words: 8}
    assert:
      - type: not-javascript
        value: "/\\\\bKyoto\\\\b/.test(output)"
"""


def test_javascript_assertions_run_as_javascript_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "src" / "promptfooconfig.yaml"
    config.parent.mkdir()
    config.write_text(JS_CONFIG)
    out = tmp_path / "project"
    assert import_promptfoo(config, out) == 0, capsys.readouterr()
    suite = yaml.safe_load((out / "suites/javascript-as-promptfoo-writes-it.yaml").read_text())
    france, japan = suite["cases"]
    assert france["assert"][0] == {"type": "contains", "value": "Paris"}  # a literal, per case
    assert france["assert"][1] == {
        "type": "javascript",
        "value": "const words = output.trim().split(/\\s+/);\n"
        "return words.length <= context.vars.max_words;\n",
    }
    assert france["assert"][2] == {
        "type": "javascript",
        "value": "output.length / 100",
        "threshold": 0.2,
    }
    assert japan["assert"][2] == {"type": "regex", "value": "(?a)\\bKyoto\\b", "not": True}
    code, text = evalkit(out, monkeypatch, capsys, "check")
    assert code == 0, text
    good = Script(
        rules=[
            Rule(when=["France"], reply="The capital of France is Paris."),
            Rule(when=["Japan"], reply="Tokyo is the capital of Japan."),
        ]
    )
    with TestingServer(good, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "record")
        assert code == 0, text
        wrong = Script(
            rules=[
                Rule(when=["France"], reply="Paris, of course, the lovely city of lights, is it!"),
                Rule(when=["Japan"], reply="Kyoto was, Tokyo is."),
            ]
        )
    with TestingServer(wrong, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        code, text = evalkit(out, monkeypatch, capsys, "run", "--mode", "rerecord")
    assert code == 1, text
    assert "FAIL javascript-as-promptfoo-writes-it::test-1 " in text  # ten words, at most 8
    assert "FAIL javascript-as-promptfoo-writes-it::test-2 " in text  # mentions Kyoto
    assert "returned false" in text  # the word count, judged by the javascript check
