from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from evalkit.checks import REGISTRY, AssertionSpec, Observation, Outcome, evaluate


class Out(BaseModel):
    category: str
    items: list[dict[str, Any]]


def spec(
    kind: str,
    path: str | None = None,
    negate: bool = False,
    threshold: float | None = None,
    **args: Any,
) -> AssertionSpec:
    return AssertionSpec(
        type=kind,
        path=path,
        negate=negate,
        threshold=threshold,
        args=REGISTRY[kind].args.model_validate(args),
    )


OUTPUT = {
    "category": "Billing",
    "items": [{"name": "refund", "qty": 2}],
    "summary": "Customer wants a REFUND now",
}


def obs(text: str | None = None, **kw: Any) -> Observation:
    return Observation(text=json.dumps(OUTPUT) if text is None else text, schema=Out, **kw)


CASES = [
    (
        spec("equals", "category", value="Billing"),
        True,
        "expected Billing at category, got Billing",
    ),
    (
        spec("equals", "category", value="billing"),
        False,
        "expected billing at category, got Billing",
    ),
    (spec("equals", "items[0].qty", value=2), True, ""),
    (spec("equals", value=OUTPUT), True, ""),
    (spec("contains", "summary", value="refund"), False, "to contain 'refund'"),
    (spec("contains", "summary", value="refund", ignore_case=True), True, ""),
    (spec("starts_with", "summary", value="Customer"), True, ""),
    (spec("regex", "summary", value=r"\bREFUND\b"), True, ""),
    (spec("regex", "summary", value=r"^refund"), False, "to match /^refund/"),
    (spec("one_of", "category", values=["Billing", "Other"]), True, ""),
    (spec("one_of", "category", values=["other"]), False, 'one of ["other"], got Billing'),
    (spec("is_json"), True, ""),
    (spec("json_schema", value={"type": "object", "required": ["category"]}), True, ""),
    (
        spec("json_schema", schema={"type": "object", "required": ["nope"]}),
        False,
        "'nope' is a required property",
    ),
    (
        spec("json_schema", value={"type": "object", "properties": {"category": {"enum": ["x"]}}}),
        False,
        "at category: 'Billing' is not one of ['x']",
    ),
    (spec("length", "items", min=1, max=1), True, ""),
    (spec("length", "summary", max=5), False, "expected length at summary in [-inf, 5], got 27"),
    (spec("range", "items[0].qty", min=3), False, "expected at items[0].qty in [3, inf], got 2"),
    (spec("schema"), True, "valid Out"),
    (
        spec("equals", "nope", value=1),
        False,
        "path 'nope': no field 'nope' at the top (has: category, items, summary)",
    ),
    (spec("equals", "items[3].name", value=1), False, "no item [3] at items"),
    (spec("equals", "category", negate=True, value="Billing"), False, "expected the opposite"),
    (spec("contains", "summary", negate=True, value="nothing"), True, ""),
]


@pytest.mark.parametrize(
    ("assertion", "passed", "message"),
    CASES,
    ids=[f"{c[0].describe()}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_checks(assertion: AssertionSpec, passed: bool, message: str) -> None:
    outcome = evaluate(assertion, obs())
    assert outcome.passed is passed, outcome.message
    assert message in outcome.message


def test_schema_failure_shows_pydantic_errors() -> None:
    outcome = evaluate(spec("schema"), obs(json.dumps({"category": 3})))
    assert not outcome.passed
    assert "category: Input should be a valid string" in outcome.message
    assert "items: Field required" in outcome.message


def test_not_json_fails_path_checks_clearly() -> None:
    outcome = evaluate(spec("equals", "category", value="x"), obs("Sure! Here you go"))
    assert not outcome.passed
    assert "output is not JSON" in outcome.message and "Sure! Here you go" in outcome.message
    assert not evaluate(spec("is_json"), obs("nope")).passed
    assert evaluate(spec("contains", value="Here"), obs("Sure! Here you go")).passed


def test_budgets_and_finish_reason() -> None:
    o = obs(
        finish_reason="length",
        input_tokens=120,
        output_tokens=40,
        cost_usd=0.0015,
        latency_ms=950.0,
        model="m",
    )
    assert not evaluate(spec("finish_reason"), o).passed
    assert "truncated" in evaluate(spec("finish_reason"), o).message
    assert evaluate(spec("input_tokens", max=120), o).passed
    assert not evaluate(spec("output_tokens", max=39), o).passed
    assert evaluate(spec("cost_usd", max=0.002), o).passed
    fail = evaluate(spec("latency_ms", max=900), o)
    assert not fail.passed and fail.message == "expected latency_ms <= 900 ms, got 950 ms"
    unpriced = evaluate(spec("cost_usd", max=1), obs(cost_usd=None, model="my-model"))
    assert not unpriced.passed and "no price known for model 'my-model'" in unpriced.message


def score_fn(value: Any, observation: Observation) -> Any:
    return {"bool": True, "score": 0.4, "tuple": (False, "too vague"), "bad": "yes"}[value]


@pytest.fixture
def checks_module(monkeypatch: pytest.MonkeyPatch) -> str:
    import sys
    import types

    module = types.ModuleType("userchecks")
    module.score_fn = score_fn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "userchecks", module)
    return "userchecks:score_fn"


@pytest.mark.parametrize(
    ("value", "threshold", "passed", "message"),
    [
        ("bool", None, True, "returned True"),
        ("score", 0.5, False, "scored 0.400"),
        ("score", 0.3, True, "(threshold 0.3)"),
        ("tuple", None, False, "returned False: too vague"),
        ("bad", None, False, "return a bool, a score"),
    ],
)
def test_python_check(
    checks_module: str, value: str, threshold: float | None, passed: bool, message: str
) -> None:
    outcome = evaluate(
        spec("python", "kind", threshold=threshold, fn=checks_module),
        obs(json.dumps({"kind": value})),
    )
    assert outcome.passed is passed
    assert message in outcome.message


def test_python_check_rejects_unimportable_function() -> None:
    with pytest.raises(ValueError, match="cannot import module 'nowhere'"):
        spec("python", fn="nowhere:fn")


def test_a_new_check_is_one_registration(project, server) -> None:  # type: ignore[no-untyped-def]
    """Docs, "Writing a check": a registration is all the loader, engine and reports need."""
    from pydantic import BaseModel, ConfigDict, Field

    from evalkit.checks import register, value_at
    from evalkit.cli.main import main

    from ..conftest import SUITE

    class WordsArgs(BaseModel):
        model_config = ConfigDict(extra="forbid")
        max: int = Field(ge=1)

    @register("max_words", WordsArgs)
    def max_words(args: WordsArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
        count = len(str(value_at(obs, spec.path)).split())
        return Outcome(count <= args.max, f"expected at most {args.max} words, got {count}")

    try:
        project.write(
            "suites/triage.yaml",
            SUITE.replace(
                "  - schema\n", "  - schema\n  - {type: max_words, path: summary, max: 2}\n"
            ),
        )
        assert main(["record"]) == 1  # "Double charge, wants refund" has 4 words
        project.write(
            "suites/triage.yaml",
            SUITE.replace(
                "  - schema\n", "  - schema\n  - {type: max_words, path: summary, max: 0}\n"
            ),
        )
        assert main(["check"]) == 2  # its argument model is checked at load
    finally:
        del REGISTRY["max_words"]
