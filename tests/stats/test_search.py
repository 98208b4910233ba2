"""The smallest-settling search the projections share."""

from __future__ import annotations

import pytest

from evalkit.stats.search import smallest


@pytest.mark.parametrize("edge", [1, 2, 3, 7, 64, 65, 1000, 99_999])
def test_finds_the_first_count_that_settles(edge: int) -> None:
    calls: list[int] = []

    def settles(m: int) -> bool:
        calls.append(m)
        return m >= edge

    assert smallest(settles, 100_000) == edge
    assert len(calls) <= 2 * edge.bit_length() + 2  # doubling, then bisection


def test_gives_up_beyond_the_limit() -> None:
    assert smallest(lambda m: m >= 500, 499) is None
    assert smallest(lambda m: m >= 500, 500) == 500
    assert smallest(lambda m: True, 1) == 1
    assert smallest(lambda m: False, 1) is None


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        smallest(lambda m: True, 0)
