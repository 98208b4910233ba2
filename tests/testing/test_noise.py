"""A scripted noisy model: a rule with ``p`` applies with that probability per request."""

from __future__ import annotations

import math

import pytest
from openai import OpenAI
from pydantic import ValidationError

from evalkit.testing import Rule, Script, TestingServer

NOISY = Script(
    seed=7,
    rules=[
        Rule(when=["charged twice"], p=0.8, reply="right"),
        Rule(when=["charged twice"], reply="wrong"),
    ],
)


def _answers(script: Script, n: int) -> list[str]:
    with TestingServer(script) as server:
        client = OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        return [
            client.chat.completions.create(
                model="gpt-4.1-mini-2025-04-14",
                messages=[{"role": "user", "content": "I was charged twice"}],
            )
            .choices[0]
            .message.content
            or ""
            for _ in range(n)
        ]


def test_a_rule_with_p_applies_at_that_rate() -> None:
    answers = _answers(NOISY, 400)
    right = answers.count("right")
    assert right + answers.count("wrong") == 400
    # 400 draws at 0.8: the count lies within 4 standard deviations of 320 (sd = 8)
    assert abs(right - 320) <= 4 * math.sqrt(400 * 0.8 * 0.2)


def test_the_seed_makes_the_draws_repeatable() -> None:
    assert _answers(NOISY, 30) == _answers(NOISY, 30)
    other = NOISY.model_copy(update={"seed": 8})
    assert _answers(other, 30) != _answers(NOISY, 30)


def test_p_zero_never_applies_and_p_one_always_does() -> None:
    never = Script(
        rules=[Rule(when=["charged"], p=0.0, reply="a"), Rule(when=["charged"], reply="b")]
    )
    always = Script(
        rules=[Rule(when=["charged"], p=1.0, reply="a"), Rule(when=["charged"], reply="b")]
    )
    assert _answers(never, 20) == ["b"] * 20
    assert _answers(always, 20) == ["a"] * 20


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_p_outside_zero_one_is_refused(p: float) -> None:
    with pytest.raises(ValidationError):
        Rule(when=["x"], p=p, reply="a")
