"""promptfoo's model-graded assertions → judge and similar, and what they note."""

from __future__ import annotations

from .conftest import Mapper


def test_factuality_and_closedqa_become_judge_rubrics(m: Mapper) -> None:
    (factual,) = m.checks({"type": "factuality", "value": "Paris is in France"})
    assert factual["type"] == "judge"
    assert factual["rubric"].endswith("Reference: Paris is in France")
    (closed,) = m.checks({"type": "model-graded-closedqa", "value": "Names a city"})
    assert closed["rubric"] == "Names a city"
    notes = " ".join(n.text for n in m.report.notes)
    assert "factuality is approximated" in notes and "closedqa's criterion" in notes


def test_rubrics_are_templates_over_the_case(m: Mapper) -> None:
    (check,) = m.checks(
        {"type": "llm-rubric", "value": "Mentions {{ city }}"}, vars={"city": "Oslo"}
    )
    assert check["rubric"] == "Mentions Oslo"


def test_a_rubric_that_is_not_text_is_left_out(m: Mapper) -> None:
    m({"type": "llm-rubric", "value": ["a", "b"]})
    assert m.report.left_out[0].what == "an `llm-rubric` whose rubric is not text"


def test_similar_keeps_its_threshold_and_alias(m: Mapper) -> None:
    assert m.checks({"type": "similar:cosine", "value": "hi", "threshold": 0.9}) == [
        {"type": "similar", "value": "hi", "threshold": 0.9, "model": "text-embedding-3-large"}
    ]
