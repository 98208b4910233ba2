"""The javascript check: promptfoo's result rules, what the code sees, and whole runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks import REGISTRY, ArgumentError, AssertionSpec, Observation, evaluate
from evalkit.cli import main
from evalkit.errors import ConfigError
from evalkit.results.folder import read_results
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project
from .js_support import AnySchema, js, spec

CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "javascript"
NOT = {"not": True}

# -- booleans, numbers, grading results ---------------------------------------------------


def test_a_boolean_passes_or_fails_and_the_message_quotes_the_code() -> None:
    passed = js("output.includes('Paris')", "It is Paris.")
    failed = js("output.includes('Paris')", "It is Lyon.")
    assert passed.passed and passed.score is None
    assert not failed.passed and failed.score is None
    assert failed.message == "javascript `output.includes('Paris')` returned false"


def test_a_long_or_multiline_code_is_quoted_on_one_line_and_cut() -> None:
    value = "const words = output.split(' ');\n" + "// padding\n" * 20 + "return false;"
    message = js(value, "a b").message
    assert message.startswith("javascript `const words = output.split(' '); // padding")
    assert "…` returned false" in message and "\n" not in message


@pytest.mark.parametrize(
    ("value", "threshold", "passed", "score"),
    [
        ("0.4", None, True, 0.4),  # without a threshold a number passes above 0
        ("0", None, False, 0.0),
        ("-2", None, False, 0.0),  # recorded clamped, judged as it is
        ("0.4", 0.5, False, 0.4),  # with one, at least the threshold
        ("0.5", 0.5, True, 0.5),
        ("0", 0.0, True, 0.0),  # 0 >= 0
        ("Math.log(output.length) * 10", None, True, 1.0),  # promptfoo's docs example
    ],
)
def test_a_number_is_a_score_by_promptfoos_rule(
    value: str, threshold: float | None, passed: bool, score: float
) -> None:
    common = {} if threshold is None else {"threshold": threshold}
    outcome = js(value, "hello world", **common)
    assert (outcome.passed, outcome.score) == (passed, score)


def test_the_number_rule_is_in_the_message() -> None:
    assert "not above 0 (without a threshold" in js("0", "x").message
    assert js("0.3", "x", threshold=0.5).message.endswith("returned 0.3: below the threshold 0.5")
    assert "(recorded as score 1)" in js("23.9", "x").message


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "parseFloat(output)"])
def test_a_number_that_is_not_finite_fails(value: str) -> None:
    outcome = js(value, "not a number")
    assert not outcome.passed and "a score must be a finite number" in outcome.message


def test_a_grading_result_decides_with_its_pass() -> None:
    ok = js("({ pass: true, score: 0.7, reason: 'polite' })", "x")
    assert (ok.passed, ok.score) == (True, 0.7) and ok.message.endswith(": polite")
    bad = js("({ pass: false, score: 0.9, reason: 'rude' })", "x")
    assert (bad.passed, bad.score) == (False, 0.9)


def test_a_grading_results_score_ignores_the_threshold_as_in_promptfoo() -> None:
    outcome = js("({ pass: true, score: 0.1, reason: 'r' })", "x", threshold=0.5)
    assert outcome.passed and outcome.score == 0.1
    assert "threshold applies to a returned number" in outcome.message


def test_a_grading_results_score_outside_0_1_is_clamped_when_recorded() -> None:
    outcome = js("({ pass: true, score: 7, reason: 'seven' })", "x")
    assert outcome.passed and outcome.score == 1.0 and "(recorded as score 1)" in outcome.message


def test_a_grading_result_may_carry_promptfoos_other_fields() -> None:
    value = (
        "({ pass: true, score: 1, reason: '', namedScores: { tone: 0.5 }, "
        "componentResults: [{ pass: true }], comment: 'c', metadata: { a: 1 } })"
    )
    assert js(value, "x").passed


def test_a_grading_result_is_read_as_promptfoo_reads_it() -> None:
    # through getters and prototypes, as `result.pass` reads it, and never through toJSON
    instance = "(new (class { get pass() { return true } get score() { return 1 } get reason() { return 'r' } })())"
    assert js(instance, "x").passed
    disguised = "({ pass: false, score: 0, reason: 'no', toJSON() { return { pass: true, score: 1, reason: 'yes' } } })"
    outcome = js(disguised, "x")
    assert (
        not outcome.passed and outcome.score == 0.0 and 'returned {"pass":false' in outcome.message
    )
    dated = js("new Date(0)", "x")
    assert not dated.passed and "returned a Date {}" in dated.message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("({ pass: true, score: 1 })", "reason: Field required"),
        ("({ pass: 1, score: 1, reason: 'r' })", "pass: Input should be a valid boolean"),
        ("({ pass: 'true', score: 1, reason: 'r' })", "pass: Input should be a valid boolean"),
        ("({ pass: true, score: '1', reason: 'r' })", "score: Input should be a valid number"),
        ("({ pass: true, score: NaN, reason: 'r' })", "score"),
        ("({ pass: true, score: 1, reason: 5 })", "reason"),
        ("({ pass: true, score: 1, reason: 'r', comment: null })", "comment"),
        ("({ pass: true, score: 1, reason: 'r', componentResults: {} })", "componentResults"),
        ("({ score: 1, reason: 'r' })", "pass: Field required"),
    ],
)
def test_an_object_that_is_not_a_grading_result_fails_and_says_why(
    value: str, problem: str
) -> None:
    outcome = js(value, "x")
    assert not outcome.passed and "not a grading result" in outcome.message
    assert problem in outcome.message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("'yes'", 'returned "yes"'),
        ("undefined", "returned undefined"),
        ("null", "returned null"),
        ("output.split(',')", 'returned ["a","b"]'),
        ("() => true", "returned a function"),
        ("10n", "returned 10n"),
        ("Symbol('s')", "returned a symbol"),
    ],
)
def test_anything_else_fails_and_says_what_came_back(value: str, shown: str) -> None:
    outcome = js(value, "a,b")
    assert not outcome.passed and shown in outcome.message
    assert "return true/false, a finite number or {pass" in outcome.message


def test_a_body_without_return_gets_a_hint() -> None:
    outcome = js("output.includes('a') &&\n  output.includes('b')", "ab")
    assert not outcome.passed and "end it with `return ...`" in outcome.message


# -- errors and promises ------------------------------------------------------------------


def test_a_thrown_error_fails_with_its_message() -> None:
    value = (
        "if (output.includes('secret')) {\n  throw new Error('leaked a secret');\n}\nreturn true;"
    )
    assert js(value, "fine").passed
    outcome = js(value, "the secret is 42")
    assert not outcome.passed and outcome.message.endswith("threw Error: leaked a secret")


@pytest.mark.parametrize(
    ("value", "text", "said"),
    [
        ("JSON.parse(output).a === 1", "Sure! {", "threw SyntaxError"),
        ("output.match(/z/)[0] === 'z'", "abc", "threw TypeError"),
        ("missingName === 1", "x", "threw ReferenceError: missingName is not defined"),
        ("if (output) {\n  throw 'plain';\n}\nreturn true;", "x", 'threw string: "plain"'),
        ("if (output) {\n  throw { code: 7 };\n}\nreturn true;", "x", 'threw object: {"code":7}'),
    ],
)
def test_engine_errors_fail_the_check(value: str, text: str, said: str) -> None:
    outcome = js(value, text)
    assert not outcome.passed and said in outcome.message


def test_an_error_fails_even_under_not() -> None:
    outcome = js("JSON.parse(output).a === 1", "not json", **NOT)
    assert not outcome.passed and "threw SyntaxError" in outcome.message


def test_promises_that_settle_in_the_sandbox_are_awaited() -> None:
    assert js("Promise.resolve(output === 'a')", "a").passed
    assert not js("Promise.resolve(output === 'a')", "b").passed
    body = "return (async () => {\n  const w = await Promise.resolve(output.split(' '));\n  return w.length === 2;\n})();"
    assert js(body, "a b").passed
    chained = js("Promise.resolve(output).then(s => s.trim()).then(s => s.length / 10)", " abcde ")
    assert chained.passed and chained.score == 0.5


def test_a_rejected_or_pending_promise_fails() -> None:
    rejected = js("Promise.reject(new Error('nope'))", "x")
    assert not rejected.passed and rejected.message.endswith("threw Error: nope")
    pending = js("new Promise(() => {})", "x")
    assert not pending.passed and "a Promise that never settled" in pending.message


# -- not, weight, path, schema ------------------------------------------------------------


def test_not_negates_booleans_numbers_and_grading_results() -> None:
    assert not js("output.includes('sorry')", "I am sorry", **NOT).passed
    assert js("output.includes('sorry')", "All good", **NOT).passed
    flipped = js("output.length / 10", "abcdefgh", threshold=0.5, **NOT)
    assert not flipped.passed and flipped.score == 0.8  # promptfoo keeps the score
    assert flipped.message.startswith("expected the opposite: javascript")
    assert js("({ pass: false, score: 0, reason: 'r' })", "x", **NOT).passed


def test_weight_is_the_assertions_own() -> None:
    assert spec("true", weight=2.5).weight == 2.5
    assert spec("true", weight=0).weight == 0


def test_with_path_output_is_the_value_there() -> None:
    text = '{"user": {"name": "Ada", "age": 36, "tags": ["a", "b"]}, "n": null}'
    assert js("output === 'Ada'", text, path="user.name").passed
    assert js("output === 36 && typeof output === 'number'", text, path="user.age").passed
    assert js("output.name === 'Ada' && output.tags.length === 2", text, path="user").passed
    assert js("output.at(-1) === 'b'", text, path="user.tags").passed
    assert js("output === null", text, path="n").passed


def test_a_missing_path_fails_with_its_reason() -> None:
    outcome = js("true", '{"a": 1}', path="b")
    assert not outcome.passed and "no field 'b'" in outcome.message
    outcome = js("true", "not json", path="b")
    assert not outcome.passed and "output is not JSON" in outcome.message


def test_with_a_schema_output_is_the_parsed_json() -> None:
    text = '{"category": "billing"}'
    assert js("output.category === 'billing'", text, schema=AnySchema).passed
    assert not js("output.category === 'billing'", text).passed  # the text, without one
    assert js("JSON.parse(output).category === 'billing'", text).passed
    assert js("output === 'oops'", "oops", schema=AnySchema).passed  # not JSON: the text


# -- context ------------------------------------------------------------------------------


def test_context_has_the_vars_the_test_and_the_config() -> None:
    vars = {"name": "Ada", "user": {"age": 36}, "words": ["tea", "milk"], "emoji": "😀"}
    assert js("output.includes(context.vars.name)", "Hi Ada", vars=vars).passed
    assert js("context.test.vars.user.age === 36", vars=vars).passed
    assert js("context.vars.words.every(w => output.includes(w))", "tea, milk", vars=vars).passed
    assert js("context.vars.emoji.length === 2", vars=vars).passed
    assert js(
        "output.length <= context.config.maximumOutputSize",
        "short",
        config={"maximumOutputSize": 10},
    ).passed
    assert js("context.config === undefined").passed  # promptfoo sets it only when given


@pytest.mark.parametrize(
    "name", ["prompt", "provider", "providerResponse", "logProbs", "metadata", "trace"]
)
def test_context_fields_evalkit_has_not_fail_rather_than_read_undefined(name: str) -> None:
    outcome = js(f"context.{name} === undefined", "x", **NOT)
    assert not outcome.passed
    assert f"context.{name} is not available in evalkit's javascript check" in outcome.message


def test_config_must_be_json() -> None:
    check = REGISTRY["javascript"]
    args = check.args.model_validate({"value": "true", "config": {"when": float("nan")}})
    with pytest.raises(ArgumentError) as info:
        check.validate(AssertionSpec(type="javascript", args=args), None)  # type: ignore[arg-type]
    assert info.value.key == "config"


def test_checks_built_by_hand_run_too() -> None:
    args = REGISTRY["javascript"].args.model_validate({"value": "output === 'x'"})
    assert evaluate(AssertionSpec(type="javascript", args=args), Observation(text="x")).passed


# -- whole runs: recorded against the testing server, replayed offline --------------------

JS_SUITE = SUITE.replace(
    "  - schema\n",
    "  - schema\n"
    '  - {type: javascript, value: "output.summary.length > 3"}\n'
    "  - type: javascript\n"
    "    value: |\n"
    "      const words = output.summary.split(' ');\n"
    "      return { pass: words.length >= 2, score: Math.min(words.length / 4, 1), reason: `${words.length} words` };\n"
    '  - {type: javascript, value: "output.urgency === context.vars.company.toLowerCase()", not: true}\n'
    "  - {type: javascript, path: category, value: \"output === 'billing'\", weight: 0}\n",
)


def test_a_suite_with_javascript_asserts_records_and_replays(
    project: Project, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.write("suites/triage.yaml", JS_SUITE)
    assert main(["check"]) == 0
    assert main(["record"]) == 0
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.delenv("OPENAI_API_KEY")
    connections = server.stats.connections
    assert main(["run"]) == 0
    assert server.stats.connections == connections
    runs = sorted((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    results = {r.case: r for r in read_results(runs[-1])}
    checks = results["refund"].samples[0].checks
    js_checks = [c for c in checks if "javascript" in c.type]
    assert len(js_checks) == 4
    graded = next(c for c in js_checks if c.score is not None)
    assert graded.score == 1.0 and "4 words" in graded.message
    weightless = next(c for c in js_checks if c.weight == 0)
    assert weightless.passed  # refund is billing
    outage = {c.line: c for c in results["outage"].samples[0].checks}
    assert not outage[weightless.line].passed and results["outage"].passed  # informational


def test_a_failing_javascript_assert_fails_the_run(project: Project, server: TestingServer) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "  - schema\n",
            "  - schema\n  - {type: javascript, value: \"output.urgency === 'low'\"}\n",
        ),
    )
    assert main(["record"]) == 1


def test_evalkit_check_reports_a_syntax_error_at_its_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "  - schema\n",
            '  - schema\n  - type: javascript\n    value: "output.summary.("\n',
        ),
    )
    assert main(["check"]) == 2
    err = capsys.readouterr()
    text = err.err + err.out
    line = SUITE.splitlines().index("  - schema") + 3  # the `value:` line
    assert f"triage.yaml:{line}:" in text and "SyntaxError" in text


def test_evalkit_check_reports_a_refused_global_at_its_line(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "  - schema\n",
            "  - schema\n  - type: javascript\n    not: false\n    value: \"fetch('http://x')\"\n",
        ),
    )
    assert main(["check"]) == 2
    captured = capsys.readouterr()
    line = SUITE.splitlines().index("  - schema") + 4
    assert f"triage.yaml:{line}:" in captured.err + captured.out
    assert "`fetch` is not available" in captured.err + captured.out


def test_a_yaml_date_in_config_is_a_load_error(project: Project) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "  - schema\n",
            "  - schema\n  - {type: javascript, value: 'true', config: {since: 2024-01-01}}\n",
        ),
    )
    with pytest.raises(ConfigError, match="config is not JSON"):
        from evalkit.project.loader import load_suite

        load_suite(project.suite, project_settings(project))


def project_settings(project: Project) -> Any:
    from evalkit.config import load_settings

    return load_settings(project.root)


# -- agreement with node, on promptfoo's rules --------------------------------------------


def corpus() -> list[dict[str, Any]]:
    path = CORPUS_DIR / "corpus.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def evalkit_result(entry: dict[str, Any]) -> tuple[bool, float | None, str]:
    """(passed, recorded score, message) as evalkit judges one corpus line."""
    common: dict[str, Any] = {"not": entry["not"]}
    if entry["threshold"] is not None:
        common["threshold"] = entry["threshold"]
    if entry["config"] is not None:
        common["config"] = entry["config"]
    try:
        built = spec(entry["value"], **common)
    except ConfigError as exc:  # refused at load: the check can only fail
        return False, None, str(exc)
    obs = Observation(
        text=entry["output"],
        vars=entry["vars"],
        schema=AnySchema if entry["structured"] else None,
    )
    outcome = evaluate(built, obs)
    return outcome.passed, outcome.score, outcome.message


def agrees(entry: dict[str, Any], expected: dict[str, Any]) -> bool:
    passed, score, message = evalkit_result(entry)
    if passed != expected["pass"]:
        return False
    if expected["kind"] in ("boolean", "error"):
        ok = score is None  # a boolean's score follows its verdict, as promptfoo's does
    else:
        ok = score == min(max(expected["score"], 0.0), 1.0)
    if expected["kind"] == "error" and entry["same_message"]:
        ok = ok and expected["message"] in message
    return ok


def test_the_corpus_is_large_and_varied() -> None:
    entries = corpus()
    assertions = {e["value"] for e in entries}
    kinds = {e["expected"]["kind"] for e in entries}
    assert len(assertions) >= 80
    assert kinds == {"boolean", "number", "object", "error"}
    assert any(e["expected"]["pass"] for e in entries) and any(e["not"] for e in entries)


def test_quickjs_agrees_with_node_on_every_corpus_line() -> None:
    disagreements = [e["id"] for e in corpus() if not agrees(e, e["expected"])]
    assert disagreements == []


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_still_computes_the_committed_corpus(tmp_path: Path) -> None:
    fresh = tmp_path / "corpus.jsonl"
    done = subprocess.run(
        ["node", "--expose-internals", str(CORPUS_DIR / "make_corpus.mjs"), str(fresh)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert fresh.read_text(encoding="utf-8") == (CORPUS_DIR / "corpus.jsonl").read_text(
        encoding="utf-8"
    )
    entries = [json.loads(line) for line in fresh.read_text(encoding="utf-8").splitlines()]
    assert [e["id"] for e in entries if not agrees(e, e["expected"])] == []
