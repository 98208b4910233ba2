"""Agreement statistics against values computed by hand, and seeded simulations showing the
intervals cover the true value about as often as they say."""

from __future__ import annotations

import random

import pytest

from evalkit.stats.agreement import Confusion, agreement, cohens_kappa


def test_counts_from_pairs() -> None:
    pairs = [(True, True)] * 3 + [(True, False)] + [(False, True)] * 2 + [(False, False)] * 4
    c = Confusion.of(pairs)
    assert (c.tp, c.fn, c.fp, c.tn, c.n, c.agreed) == (3, 1, 2, 4, 10, 7)


def test_hand_computed_table() -> None:
    # tp=20 fn=5 fp=10 tn=15: po = 35/50 = 0.7; human pass rate 0.5, judge pass rate 0.6,
    # pe = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = (0.7-0.5)/(1-0.5) = 0.4.
    # Fleiss-Cohen-Everitt: A = 0.4(1-1.1*0.6)^2 + 0.3(1-0.9*0.6)^2 = 0.10972,
    # B = 0.36(0.1*1.1^2 + 0.2*0.9^2) = 0.10188, C = (0.4-0.5*0.6)^2 = 0.01,
    # var = (A+B-C) / (50*0.25) = 0.016128.
    a = agreement(Confusion(tp=20, fn=5, fp=10, tn=15))
    assert a.n == 50
    assert a.agreement == pytest.approx(0.7)
    assert a.kappa.value == pytest.approx(0.4)
    assert a.kappa.chance == pytest.approx(0.5)
    assert a.kappa.se == pytest.approx(0.016128**0.5)
    assert a.kappa.interval is not None
    low, high = a.kappa.interval
    assert low == pytest.approx(0.4 - 1.959964 * 0.016128**0.5, abs=1e-6)
    assert high == pytest.approx(0.4 + 1.959964 * 0.016128**0.5, abs=1e-6)
    assert a.tpr == pytest.approx(0.8) and a.tnr == pytest.approx(0.6)
    # Wilson at 35/50: centre (0.7 + z^2/100)/(1 + z^2/50)
    z = 1.959964
    centre = (0.7 + z * z / 100) / (1 + z * z / 50)
    half = z * (0.7 * 0.3 / 50 + z * z / 10000) ** 0.5 / (1 + z * z / 50)
    assert a.agreement_interval.low == pytest.approx(centre - half, abs=1e-6)
    assert a.agreement_interval.high == pytest.approx(centre + half, abs=1e-6)
    assert a.tpr_interval.contains(0.8) and a.tnr_interval.contains(0.6)


def test_perfect_and_chance_level() -> None:
    perfect = agreement(Confusion(tp=10, tn=10))
    assert perfect.agreement == 1.0 and perfect.kappa.value == pytest.approx(1.0)
    assert perfect.agreement_interval.high == 1.0 and perfect.agreement_interval.low < 1.0
    # a judge that passes everything: agreement is the pass rate, kappa 0, TNR 0
    yes_man = agreement(Confusion(tp=8, fp=2))
    assert yes_man.agreement == pytest.approx(0.8)
    assert yes_man.kappa.value == pytest.approx(0.0)
    assert yes_man.tpr == 1.0 and yes_man.tnr == 0.0
    # worse than chance: negative kappa
    assert cohens_kappa(Confusion(fn=5, fp=5)).value == pytest.approx(-1.0)


def test_undefined_kappa_and_empty() -> None:
    same = agreement(Confusion(tp=12))  # both raters pass everything
    assert same.agreement == 1.0 and same.kappa.value is None and same.kappa.interval is None
    assert same.tnr is None and (same.tnr_interval.low, same.tnr_interval.high) == (0.0, 1.0)
    empty = agreement(Confusion())
    assert empty.n == 0 and empty.agreement is None and empty.kappa.value is None
    with pytest.raises(ValueError):
        Confusion(tp=-1)


def _draw(rng: random.Random, probs: list[float], n: int) -> Confusion:
    counts = [0, 0, 0, 0]
    for cell in rng.choices(range(4), weights=probs, k=n):
        counts[cell] += 1
    return Confusion(*counts)


def test_kappa_interval_covers_near_nominal() -> None:
    # population: tp .45, fn .05, fp .10, tn .40 -> po .85, pe .5*.55+.5*.45 = .5, kappa .7
    rng = random.Random(23)
    probs, truth, sims = [0.45, 0.05, 0.10, 0.40], 0.7, 2000
    missed = 0
    for _ in range(sims):
        k = cohens_kappa(_draw(rng, probs, 200))
        assert k.interval is not None
        missed += not (k.interval[0] <= truth <= k.interval[1])
    assert 0.03 <= missed / sims <= 0.07  # nominal 0.05


def test_agreement_and_rate_intervals_cover_near_nominal() -> None:
    rng = random.Random(7)
    probs, sims = [0.45, 0.05, 0.10, 0.40], 2000
    miss_agree = miss_tpr = miss_tnr = 0
    for _ in range(sims):
        a = agreement(_draw(rng, probs, 120))
        miss_agree += not a.agreement_interval.contains(0.85)
        miss_tpr += not a.tpr_interval.contains(0.9)
        miss_tnr += not a.tnr_interval.contains(0.8)
    for missed in (miss_agree, miss_tpr, miss_tnr):
        assert 0.025 <= missed / sims <= 0.075  # nominal 0.05
