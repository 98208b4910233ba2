"""score_model and label_model: the request they make, and how they read the answer."""

from __future__ import annotations

import pytest

from evalkit.checks import CheckContext, Observation
from evalkit.config import Settings
from evalkit.prompts import PromptStore

from .helpers import chat, grade, load_error, spec

MODEL = "gpt-4.1-2025-04-14"
PROMPT = [
    {"role": "system", "content": "You grade answers. Score 1 for an exact match."},
    {
        "role": "user",
        "content": "Reference: {{ item.answer }}. Model answer: {{ sample.output_text }}",
    },
]


def score_model(**extra: object) -> dict:
    return {
        "type": "score_model",
        "name": "match",
        "input": PROMPT,
        "model": MODEL,
        "pass_threshold": 0.5,
        **extra,
    }


def label_model(**extra: object) -> dict:
    return {
        "type": "label_model",
        "input": PROMPT,
        "model": MODEL,
        "labels": ["correct", "partly", "wrong"],
        "passing_labels": ["correct", "partly"],
        **extra,
    }


def needs(raw: dict, text: str, vars: dict, settings: Settings | None = None) -> list[dict]:
    s = spec(raw, settings)
    settings = settings or Settings()
    ctx = CheckContext(settings, PromptStore(settings.prompts))
    return [r.body for r in s.check.needs(s, Observation(text=text, vars=vars), ctx)]


def test_score_model_sends_the_rendered_prompt_with_openais_response_format() -> None:
    raw = score_model(sampling_params={"seed": 7, "temperature": 0, "max_completions_tokens": 300})
    [body] = needs(raw, "Paris", {"answer": "Paris"})
    assert body["model"] == MODEL
    assert body["messages"] == [
        {"role": "system", "content": "You grade answers. Score 1 for an exact match."},
        {"role": "user", "content": "Reference: Paris. Model answer: Paris"},
    ]
    assert (body["seed"], body["temperature"], body["max_completion_tokens"]) == (7, 0, 300)
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert list(schema["schema"]["properties"]) == ["steps", "result"]
    assert schema["schema"]["properties"]["result"]["type"] == "number"


def test_score_model_passes_at_pass_threshold_and_clamps_to_range() -> None:
    answer = {"steps": [{"description": "compare", "conclusion": "exact match"}], "result": 0.9}
    outcome = grade(score_model(), "Paris", {"answer": "Paris"}, [chat(answer)])
    assert outcome.passed and outcome.score == pytest.approx(0.9)
    assert outcome.message == (
        f"score_model 'match' {MODEL}: score 0.9 in range [0, 1] ≥ pass_threshold 0.5: "
        "'exact match'; input 'Reference: Paris. Model answer: Paris'"
    )
    clamped = grade(score_model(), "Paris", {"answer": "Paris"}, [chat({"steps": [], "result": 7})])
    assert clamped.passed and clamped.score == 1.0
    low = grade(score_model(), "Lyon", {"answer": "Paris"}, [chat({"steps": [], "result": 0.2})])
    assert not low.passed and "score 0.2 in range [0, 1] < pass_threshold 0.5" in low.message


def test_score_model_range_scales_the_checks_score() -> None:
    outcome = grade(
        score_model(range=[1, 5], pass_threshold=4),
        "x",
        {"answer": "x"},
        [chat({"steps": [], "result": 4})],
    )
    assert outcome.passed and outcome.score == pytest.approx(0.75)


@pytest.mark.parametrize(
    "answer",
    ['{"steps": [], "result": "high"}', "I would say high", '{"steps": []}', '{"result": true}'],
)
def test_score_model_without_a_numeric_result_fails_saying_what_came(answer: str) -> None:
    outcome = grade(score_model(), "x", {"answer": "x"}, [chat(answer)])
    assert not outcome.passed
    assert (
        f"{MODEL} gave no numeric result" in outcome.message
        or "answered no JSON" in outcome.message
    )


def test_a_bare_number_or_a_fenced_answer_is_read() -> None:
    assert grade(score_model(), "x", {"answer": "x"}, [chat("0.8")]).score == pytest.approx(0.8)
    fenced = '```json\n{"steps": [], "result": 0.7}\n```'
    assert grade(score_model(), "x", {"answer": "x"}, [chat(fenced)]).score == pytest.approx(0.7)


def test_label_model_asks_for_one_of_the_labels_and_passes_on_passing_labels() -> None:
    [body] = needs(label_model(), "Paris", {"answer": "Paris"})
    result = body["response_format"]["json_schema"]["schema"]["properties"]["result"]
    assert result["enum"] == ["correct", "partly", "wrong"]
    partly = grade(
        label_model(), "Paris?", {"answer": "Paris"}, [chat({"steps": [], "result": "partly"})]
    )
    assert partly.passed and partly.score == 1.0
    assert (
        f"label_model {MODEL}: label 'partly' is among passing_labels (correct, partly)"
        in partly.message
    )
    wrong = grade(
        label_model(), "Lyon", {"answer": "Paris"}, [chat({"steps": [], "result": "wrong"})]
    )
    assert not wrong.passed and wrong.score == 0.0


def test_label_model_fails_on_a_label_it_was_not_given() -> None:
    outcome = grade(label_model(), "x", {"answer": "x"}, [chat({"steps": [], "result": "maybe"})])
    assert not outcome.passed
    assert "answered maybe, not one of the labels correct, partly, wrong" in outcome.message


def test_a_server_without_strict_schemas_gets_the_schema_its_way() -> None:
    settings = Settings.model_validate(
        {"servers": {"gpt-4.1-*": {"base_url": "http://127.0.0.1:8080/v1", "structured": "prompt"}}}
    )
    [body] = needs(score_model(), "x", {"answer": "x"}, settings)
    assert "response_format" not in body
    assert '"result"' in body["messages"][0]["content"]


def test_content_parts_and_images() -> None:
    raw = score_model(
        input=[
            {
                "role": "user",
                "type": "message",
                "content": [
                    {"type": "input_text", "text": "Does the picture show {{ item.thing }}?"},
                    {"type": "input_image", "image_url": "{{ item.url }}", "detail": "low"},
                ],
            }
        ]
    )
    [body] = needs(raw, "yes", {"thing": "a cat", "url": "https://example.com/cat.png"})
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Does the picture show a cat?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
                },
            ],
        }
    ]
    outcome = grade(raw, "yes", {"thing": "a cat", "url": "file:///etc/passwd"}, [chat("1")])
    assert "is not an http(s) URL or a data:image URL" in outcome.message


def test_a_template_that_cannot_render_fails_before_the_answer_is_read() -> None:
    outcome = grade(score_model(), "x", {}, [chat("1")])
    assert "input[2]: item.answer is missing" in outcome.message


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (score_model(model="gpt-4.1"), "grader model 'gpt-4.1' is not a pinned snapshot"),
        (score_model(pass_threshold=None), "score_model: missing argument 'pass_threshold'"),
        (score_model(range=[1, 0]), "the first number must be the smaller"),
        (score_model(range=[0, 1, 2]), "range: Tuple should have at most 2 items"),
        (score_model(pass_threshold=0), "must lie in range (0, 1]"),
        (score_model(pass_threshold=2), "must lie in range (0, 1]"),
        (score_model(input=[]), "input: List should have at least 1 item"),
        (score_model(input=[{"role": "judge", "content": "x"}]), "input.0.role: Input should be"),
        (score_model(input=[{"role": "user", "content": "{{ items.x }}"}]), "uses items"),
        (
            score_model(sampling_params={"temprature": 0}),
            "unknown argument 'sampling_params.temprature'",
        ),
        (label_model(passing_labels=["right"]), "passing_labels: 'right' not among labels"),
        (label_model(labels=["a", "a"], passing_labels=["a"]), "labels: each label once"),
        (label_model(labels=[]), "labels: List should have at least 1 item"),
    ],
)
def test_bad_fields_are_load_time_errors(raw: dict, problem: str) -> None:
    assert problem in load_error(raw)


def test_allow_unpinned_is_not_a_grader_field() -> None:
    assert "unknown argument 'allow_unpinned'" in load_error(score_model(allow_unpinned=True))


def test_sampling_params_map_to_the_chat_apis_parameters() -> None:
    raw = score_model(
        sampling_params={"top_p": 0.5, "reasoning_effort": "low", "max_completion_tokens": 50}
    )
    [body] = needs(raw, "x", {"answer": "x"})
    assert (body["top_p"], body["reasoning_effort"], body["max_completion_tokens"]) == (
        0.5,
        "low",
        50,
    )
    assert "temperature" not in body and "seed" not in body
    [plain] = needs(score_model(), "x", {"answer": "x"})
    assert not {"temperature", "top_p", "seed", "max_completion_tokens", "max_tokens"} & set(plain)


def test_developer_messages_and_several_text_parts() -> None:
    raw = label_model(
        input=[
            {"role": "developer", "content": "Label {{ sample.output_text }}."},
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Answer: {{ sample.output_text }}"},
                    {"type": "output_text", "text": "Reference: {{ item.answer }}"},
                    "Pick one.",
                ],
            },
        ]
    )
    [body] = needs(raw, "Paris", {"answer": "Paris"})
    assert body["messages"] == [
        {"role": "developer", "content": "Label Paris."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Answer: Paris"},
                {"type": "text", "text": "Reference: Paris"},
                {"type": "text", "text": "Pick one."},
            ],
        },
    ]


def test_a_model_grader_without_a_fetched_answer_says_so() -> None:
    outcome = grade(score_model(), "x", {"answer": "x"})
    assert "score_model: no answer was fetched (run it in a suite)" in outcome.message


def test_an_audio_part_is_refused_when_the_suite_loads() -> None:
    raw = score_model(
        input=[
            {
                "role": "user",
                "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}],
            }
        ]
    )
    assert "bad arguments for assertion 'score_model': input.0.content" in load_error(raw)
