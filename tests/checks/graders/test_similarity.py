"""text_similarity through the check contract: thresholds, cosine embeddings, load errors."""

from __future__ import annotations

import math

import pytest

from evalkit.checks import CheckContext, Observation
from evalkit.checks.graders import metrics
from evalkit.config import Settings
from evalkit.prompts import PromptStore

from .helpers import embedding, grade, load_error, spec


def similarity(metric: str, threshold: float | None = 0.5, **extra: object) -> dict:
    raw: dict = {
        "type": "text_similarity",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.reference }}",
        "evaluation_metric": metric,
        **extra,
    }
    if threshold is not None:
        raw["pass_threshold"] = threshold
    return raw


def test_passes_when_the_score_reaches_pass_threshold() -> None:
    text, ref = "the cat sat on the mat today", "the cat sat on the mat"
    score = 18 / 22
    assert grade(similarity("gleu", score), text, {"reference": ref}).passed
    failed = grade(similarity("gleu", score + 0.01), text, {"reference": ref})
    assert not failed.passed
    assert failed.score == pytest.approx(score)
    assert failed.message == (
        f"text_similarity gleu: score 0.818 < pass_threshold {score + 0.01:g}; "
        "input 'the cat sat on the mat today', reference 'the cat sat on the mat'"
    )


@pytest.mark.parametrize(
    "metric",
    [
        "fuzzy_match",
        "bleu",
        "gleu",
        "meteor",
        "rouge_1",
        "rouge_2",
        "rouge_3",
        "rouge_4",
        "rouge_5",
        "rouge_l",
    ],
)
def test_every_local_metric_runs_through_the_check(metric: str) -> None:
    text = "the quick brown fox jumps over the lazy dog"
    outcome = grade(similarity(metric, 0.9), text, {"reference": text})
    assert outcome.passed, outcome.message
    assert metric in outcome.message


def test_cosine_asks_for_two_embeddings_and_reads_them() -> None:
    s = spec(similarity("cosine", 0.7))
    obs = Observation(text="a refund", vars={"reference": "money back"})
    requests = s.check.needs(s, obs, CheckContext(Settings(), PromptStore(Settings().prompts)))
    assert [(r.endpoint, r.body) for r in requests] == [
        ("embeddings", {"model": "text-embedding-3-large", "input": ["a refund"]}),
        ("embeddings", {"model": "text-embedding-3-large", "input": ["money back"]}),
    ]
    outcome = grade(
        similarity("cosine", 0.7),
        "a refund",
        {"reference": "money back"},
        [embedding(1, 0), embedding(1, 1)],
    )
    assert outcome.passed and outcome.score == pytest.approx(1 / math.sqrt(2))
    assert "cosine (text-embedding-3-large): score 0.707 ≥ pass_threshold 0.7" in outcome.message


def test_cosine_may_name_another_embeddings_model() -> None:
    s = spec(similarity("cosine", 0.7, model="nomic-embed-text"))
    assert s.args.model == "nomic-embed-text"


def test_cosine_without_fetched_embeddings_or_with_bad_vectors_fails() -> None:
    raw, vars = similarity("cosine"), {"reference": "x"}
    assert "not fetched" in grade(raw, "y", vars).message
    assert (
        "different lengths" in grade(raw, "y", vars, [embedding(1, 0), embedding(1, 0, 0)]).message
    )
    assert (
        "not all numbers"
        in grade(raw, "y", vars, [embedding(1, float("nan")), embedding(1, 0)]).message
    )
    negative = grade(raw, "y", vars, [embedding(1, 0), embedding(-1, 0)])
    assert not negative.passed and negative.score is None  # -1 is no score in [0, 1]
    assert "score -1.000" in negative.message


def test_pass_threshold_is_required() -> None:
    assert "text_similarity: missing argument 'pass_threshold'" in load_error(
        similarity("bleu", None)
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (similarity("bleurt"), "evaluation_metric: Input should be 'fuzzy_match', 'bleu'"),
        (similarity("bleu", float("inf")), "pass_threshold must be a finite number"),
        (similarity("bleu", "high"), "pass_threshold: Input should be a valid number"),
    ],
)
def test_bad_fields_are_load_time_errors(raw: dict, problem: str) -> None:
    assert problem in load_error(raw)


def test_a_metric_whose_library_is_missing_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(metrics.LIBRARY, "bleu", "evalkit_no_such_library")
    message = load_error(similarity("bleu"))
    assert "evaluation_metric bleu needs the evalkit_no_such_library library" in message
    assert "pip install 'pytest-evalkit[graders]'" in message


def test_texts_past_the_local_metrics_bound_fail_saying_so() -> None:
    long = "word " * 2001  # 10,005 characters
    outcome = grade(similarity("rouge_l"), long, {"reference": "word"})
    assert not outcome.passed
    assert "text_similarity rouge_l: the input is 10005 characters" in outcome.message
    outcome = grade(similarity("fuzzy_match"), "word", {"reference": long})
    assert "the reference is 10005 characters" in outcome.message
