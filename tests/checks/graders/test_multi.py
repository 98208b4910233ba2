"""multi: calculate_output over named sub-graders, their calls gathered by the parent."""

from __future__ import annotations

import pytest

from evalkit.checks import CheckContext, Observation
from evalkit.config import Settings
from evalkit.prompts import PromptStore

from .helpers import chat, embedding, grade, load_error, spec

MODEL = "gpt-4.1-2025-04-14"
NAME = {
    "name": "name_grader",
    "type": "text_similarity",
    "input": "{{ sample.output_json.name }}",
    "reference": "{{ item.name }}",
    "evaluation_metric": "fuzzy_match",
}
EMAIL = {
    "type": "string_check",
    "input": "{{ sample.output_json.email }}",
    "reference": "{{ item.email }}",
    "operation": "eq",
}
ITEM = {"name": "John Doe", "email": "john.doe@gmail.com"}


def multi(graders: dict, formula: str, threshold: float | None = 0.75) -> dict:
    raw: dict = {"type": "multi", "graders": graders, "calculate_output": formula}
    if threshold is not None:
        raw["pass_threshold"] = threshold
    return raw


def test_openais_example_averages_a_fuzzy_name_and_an_exact_email() -> None:
    raw = multi({"name": NAME, "email": EMAIL}, "(name + email) / 2")
    exact = grade(raw, {"name": "John Doe", "email": "john.doe@gmail.com"}, ITEM)
    assert exact.passed and exact.score == 1.0
    assert (
        exact.message
        == "multi: (name + email) / 2 = 1.000 (name 1.000, email 1.000) ≥ pass_threshold 0.75"
    )
    wrong_email = grade(raw, {"name": "John Doe", "email": "jd@gmail.com"}, ITEM)
    assert not wrong_email.passed and wrong_email.score == pytest.approx(0.5)


def test_sub_graders_that_call_models_ask_through_the_parent_in_order() -> None:
    score = {
        "type": "score_model",
        "input": [{"role": "user", "content": "Is {{ sample.output_json.name }} a name?"}],
        "model": MODEL,
    }
    cosine = {**NAME, "evaluation_metric": "cosine", "model": "text-embedding-3-small"}
    raw = multi(
        {"judge": score, "exact": EMAIL, "close": cosine},
        "0.5 * judge + 0.25 * exact + 0.25 * close",
    )
    s = spec(raw)
    obs = Observation(text='{"name": "John Doe", "email": "john.doe@gmail.com"}', vars=ITEM)
    requests = s.check.needs(s, obs, CheckContext(Settings(), PromptStore(Settings().prompts)))
    assert [r.endpoint for r in requests] == ["chat.completions", "embeddings", "embeddings"]
    assert requests[0].body["messages"] == [{"role": "user", "content": "Is John Doe a name?"}]
    fetched = [chat({"steps": [], "result": 0.8}), embedding(1, 0), embedding(1, 0)]
    outcome = grade(raw, obs.text, ITEM, fetched)
    assert outcome.score == pytest.approx(0.5 * 0.8 + 0.25 + 0.25)
    assert "(judge 0.800, exact 1.000, close 1.000)" in outcome.message


def test_a_label_model_counts_one_when_its_label_passes() -> None:
    label = {
        "type": "label_model",
        "input": [{"role": "user", "content": "{{ sample.output_text }}"}],
        "model": MODEL,
        "labels": ["good", "bad"],
        "passing_labels": ["good"],
    }
    raw = multi(
        {"tone": label, "email": {**EMAIL, "input": "{{ item.email }}"}}, "min(tone, email)", 1
    )
    assert grade(raw, "fine", ITEM, [chat({"steps": [], "result": "good"})]).passed
    assert not grade(raw, "fine", ITEM, [chat({"steps": [], "result": "bad"})]).passed


def test_a_sub_grader_that_cannot_grade_fails_the_whole_check_naming_it() -> None:
    raw = multi({"name": NAME, "email": EMAIL}, "(name + email) / 2")
    outcome = grade(raw, {"name": "John Doe"}, ITEM)
    assert not outcome.passed
    assert outcome.message.startswith(
        "multi: grader 'email': input: sample.output_json.email is missing"
    )
    raw = multi({"name": NAME, "email": EMAIL}, "name / (email - 1)")
    assert (
        "calculate_output 'name / (email - 1)': division by zero"
        in grade(raw, {"name": "x", "email": "john.doe@gmail.com"}, ITEM).message
    )


def test_a_python_sub_grader_runs_in_its_subprocess() -> None:
    python = {"type": "python_grader", "source": "def grade(sample, item):\n    return 0.5\n"}
    raw = multi({"py": python, "email": EMAIL}, "py + email / 2", 1)
    outcome = grade(raw, {"email": "john.doe@gmail.com"}, ITEM)
    assert outcome.passed and outcome.score == 1.0


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (
            multi({"name": NAME}, "name + email"),
            "calculate_output: no grader named 'email' (graders: name)",
        ),
        (multi({"name": NAME}, "name", None), "multi: missing argument 'pass_threshold'"),
        (
            multi({"inner": multi({"name": NAME}, "name")}, "inner"),
            "inner: a multi grader cannot hold another multi grader",
        ),
        (
            multi({"py": {"type": "python", "source": "def grade(s, i): return 1"}}, "py"),
            "`type: python_grader` in evalkit",
        ),
        (
            multi({"x": {"type": "judge", "rubric": "r"}}, "x"),
            "x: type 'judge' is not one of string_check",
        ),
        (
            multi({"first-name": NAME}, "1"),
            "grader name 'first-name' is not a name a formula can use",
        ),
        (multi({}, "1"), "graders: Dictionary should have at least 1 item"),
        (
            multi({"name": {**NAME, "evaluation_metric": "bleurt"}}, "name"),
            "graders.name.text_similarity.evaluation_metric",
        ),
        (
            multi(
                {
                    "s": {
                        "type": "score_model",
                        "input": [{"role": "user", "content": "x"}],
                        "model": "gpt-4.1",
                    }
                },
                "s",
            ),
            "graders.s: grader model 'gpt-4.1' is not a pinned snapshot",
        ),
        (multi({"name": NAME}, "name.__class__"), "is not allowed"),
    ],
)
def test_bad_fields_are_load_time_errors(raw: dict, problem: str) -> None:
    assert problem in load_error(raw)


def test_two_sub_graders_asking_the_same_call_each_get_their_answer() -> None:
    score = {
        "type": "score_model",
        "input": [{"role": "user", "content": "Grade {{ sample.output_text }}"}],
        "model": MODEL,
    }
    raw = multi({"first": score, "second": score}, "first - second + 1", 1)
    s = spec(raw)
    obs = Observation(text="x", vars={})
    requests = s.check.needs(s, obs, CheckContext(Settings(), PromptStore(Settings().prompts)))
    assert len(requests) == 2 and requests[0].key == requests[1].key  # answered once
    answer = chat({"steps": [], "result": 0.4})
    outcome = grade(raw, "x", {}, [answer, answer])
    assert outcome.passed and outcome.score == pytest.approx(1.0)


def test_a_formula_may_leave_a_grader_out_and_negative_values_have_no_score() -> None:
    raw = multi({"name": NAME, "email": EMAIL}, "email - 2", -1.5)
    outcome = grade(raw, {"name": "x", "email": "john.doe@gmail.com"}, ITEM)
    assert outcome.passed and outcome.score is None
    assert "email - 2 = -1.000" in outcome.message
