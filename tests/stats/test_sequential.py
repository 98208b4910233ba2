"""The adaptive stopping rule: its error rates by seeded simulation, its exact operating
characteristics, its boundary rules, and the "samples to settle" projections."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import pytest

from evalkit.stats import (
    CaseVerdict,
    Decision,
    Design,
    Verdict,
    case_verdict,
    clopper_pearson,
    clopper_pearson_lower,
    design,
    samples_to_settle,
    suite_samples_to_settle,
)
from evalkit.stats.sequential import operating

RATES = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.97, 1.0]
RUNS = 10_000  # per rate; the benchmark runs more
ALPHA = 0.05


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    inconclusive: int = 0
    samples: int = 0
    squares: int = 0

    def add(self, decision: Decision, samples: int) -> None:
        setattr(self, decision.value, getattr(self, decision.value) + 1)
        self.samples += samples
        self.squares += samples * samples

    @property
    def mean(self) -> float:
        return self.samples / RUNS

    @property
    def mean_error(self) -> float:
        """The standard error of the mean samples."""
        variance = self.squares / RUNS - self.mean**2
        return math.sqrt(max(variance, 0.0) / RUNS)


def simulate(d: Design, rate: float, rng: random.Random) -> Tally:
    tally = Tally()
    for _ in range(RUNS):
        passes = samples = 0
        decision = Decision.CONTINUE
        while decision is Decision.CONTINUE:
            samples += 1
            passes += rng.random() < rate
            decision = d.decide(passes, samples)
        tally.add(decision, samples)
    return tally


@pytest.fixture(scope="module")
def headline() -> Design:
    return design(0.8, 3, 30, 0.95)


@pytest.fixture(scope="module")
def simulated(headline: Design) -> dict[float, Tally]:
    rng = random.Random(20240611)
    return {rate: simulate(headline, rate, rng) for rate in RATES}


def not_above(count: int, bound: float) -> bool:
    """The simulation does not show the true rate above ``bound`` beyond its own noise:
    the 99.9% one-sided Clopper-Pearson lower bound of count/RUNS is at most ``bound``.
    With a fixed seed the test is deterministic; this margin makes it fail only when the
    simulated error rate is above the promise by more than the simulation can explain."""
    return clopper_pearson_lower(count, RUNS, 0.001) <= bound


@pytest.mark.parametrize("rate", [r for r in RATES if r < 0.8])
def test_passed_is_rare_when_the_true_rate_is_below_the_bar(
    simulated: dict[float, Tally], rate: float
) -> None:
    assert not_above(simulated[rate].passed, ALPHA)


@pytest.mark.parametrize("rate", [r for r in RATES if r >= 0.8])
def test_failed_is_rare_when_the_true_rate_is_at_or_above_the_bar(
    simulated: dict[float, Tally], rate: float
) -> None:
    assert not_above(simulated[rate].failed, ALPHA)


def test_at_the_bar_both_errors_hold_and_most_runs_end_inconclusive(
    simulated: dict[float, Tally],
) -> None:
    at_bar = simulated[0.8]
    assert not_above(at_bar.passed, ALPHA) and not_above(at_bar.failed, ALPHA)
    # at least 1 - 2 alpha = 90% in theory; "the large majority" with simulation slack
    assert at_bar.inconclusive / RUNS > 0.85


def test_clear_models_settle_the_right_way_and_cheaply(simulated: dict[float, Tally]) -> None:
    good, bad = simulated[0.97], simulated[0.5]
    assert good.failed == 0 and bad.passed == 0
    assert good.passed / RUNS > 0.92  # the best any valid test can do with 30 is 0.944
    assert bad.failed / RUNS > 0.94
    assert good.mean + 3 * good.mean_error <= 25
    assert bad.mean + 3 * bad.mean_error <= 15
    assert simulated[1.0].passed == RUNS and simulated[1.0].mean == 19  # 0.8^19 < 0.05/2


@pytest.mark.parametrize("rate", RATES)
def test_the_exact_operating_characteristics_match_the_simulation(
    headline: Design, simulated: dict[float, Tally], rate: float
) -> None:
    exact = headline.operating(rate)
    tally = simulated[rate]
    assert exact.passed + exact.failed + exact.inconclusive == pytest.approx(1.0)
    for share, count in (
        (exact.passed, tally.passed),
        (exact.failed, tally.failed),
        (exact.inconclusive, tally.inconclusive),
    ):
        spread = 4 * math.sqrt(share * (1 - share) / RUNS) + 1e-9
        assert abs(count / RUNS - share) <= spread, (rate, share, count)
    assert abs(tally.mean - exact.mean_samples) <= 4 * tally.mean_error + 1e-9


def test_the_headline_design_in_figures(headline: Design) -> None:
    # the exact figures the docs quote
    assert headline.pass_error <= ALPHA and headline.fail_error <= ALPHA
    good, bad, bar = headline.operating(0.97), headline.operating(0.5), headline.operating(0.8)
    assert good.passed == pytest.approx(0.942, abs=5e-4)
    assert good.mean_samples == pytest.approx(23.59, abs=5e-3)
    assert bad.failed == pytest.approx(0.961, abs=5e-4)
    assert bad.mean_samples == pytest.approx(13.78, abs=5e-3)
    assert bar.inconclusive == pytest.approx(0.903, abs=5e-4)
    assert (headline.pass_spending, headline.fail_spending) == ("half-linear", "linear")
    # no failure in 19 passes at look 19; one failure is allowed from look 29, two at 30
    assert headline.decide(19, 19) is Decision.PASSED
    assert headline.decide(18, 18) is Decision.CONTINUE
    assert headline.decide(28, 29) is Decision.PASSED
    assert headline.decide(28, 30) is Decision.PASSED
    assert headline.decide(27, 30) is Decision.INCONCLUSIVE
    # three failures in three samples are not quite enough at the first look (0.2^3 =
    # 0.008 is more than that look's share of alpha, 0.05/28), four are
    assert headline.decide(0, 3) is Decision.CONTINUE
    assert headline.decide(0, 4) is Decision.FAILED


def peeking_design(bar: float, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """The rule the spec rules out: the fixed-sample verdict read after every sample."""
    pass_at, fail_at = [], []
    for n in range(lo, hi + 1):
        verdicts = [case_verdict(k, n, bar).verdict for k in range(n + 1)]
        pass_at.append(next((k for k, v in enumerate(verdicts) if v is Verdict.PASSED), n + 1))
        fail_at.append(max((k for k, v in enumerate(verdicts) if v is Verdict.FAILED), default=-1))
    return pass_at, fail_at


def test_peeking_at_a_fixed_sample_interval_breaks_the_promise() -> None:
    pass_at, fail_at = peeking_design(0.8, 3, 30)
    at_bar = operating(pass_at, fail_at, 3, 30, 0.8)
    assert at_bar.passed > 0.08 and at_bar.failed > 0.11  # 8.6% and 11.7%, not 5%


@pytest.mark.parametrize("bar", [0.5, 0.7, 0.8, 0.9, 0.95])
@pytest.mark.parametrize(("lo", "hi"), [(1, 10), (3, 30), (5, 50), (2, 100)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_every_design_keeps_both_errors_within_one_minus_confidence(
    bar: float, lo: int, hi: int, confidence: float
) -> None:
    d = design(bar, lo, hi, confidence)
    alpha = 1 - confidence
    assert d.pass_error <= alpha + 1e-12 and d.fail_error <= alpha + 1e-12
    # below the bar "passed" is rarer still, above it "failed" (monotone in the rate)
    for rate in (bar - 0.2, bar - 0.05, bar - 0.01):
        if rate > 0:
            assert d.operating(rate).passed <= d.pass_error + 1e-12
    for rate in (bar + 0.01, bar + 0.04, min(1.0, bar + 0.2)):
        assert d.operating(rate).failed <= d.fail_error + 1e-12
    for i, n in enumerate(range(lo, hi + 1)):
        assert d.fail_at[i] < d.pass_at[i] <= n + 1 and d.fail_at[i] >= -1


@pytest.mark.parametrize("n", [2, 5, 14, 30, 61])
@pytest.mark.parametrize("bar", [0.5, 0.8, 0.9])
def test_one_look_is_the_fixed_sample_rule(n: int, bar: float) -> None:
    d = design(bar, n, n)
    for k in range(n + 1):
        fixed = case_verdict(k, n, bar).verdict
        assert d.decide(k, n).value == fixed.value, (k, n)
        step = d.step(k, n)
        assert step.interval.low == pytest.approx(clopper_pearson(k, n, 0.95, "one-sided").low)


def test_one_sample_designs_keep_todays_pass_fail() -> None:
    d = design(0.8, 1, 1)
    assert d.decide(1, 1) is Decision.PASSED and d.decide(0, 1) is Decision.FAILED
    assert d.step(1, 1).to_verdict().certain


def test_min_and_max_are_honoured(headline: Design) -> None:
    for n in (1, 2):
        for k in range(n + 1):
            assert headline.decide(k, n) is Decision.CONTINUE  # not even 0 of 2 stops
    for k in range(31):
        assert headline.decide(k, 30) is not Decision.CONTINUE
    with pytest.raises(ValueError, match="max"):
        headline.decide(31, 31)
    with pytest.raises(ValueError, match="passes <= samples"):
        headline.decide(4, 3)


def test_a_bar_of_one_fails_at_the_first_look_with_a_failure_and_passes_only_at_max() -> None:
    d = design(1.0, 3, 10)
    assert d.decide(0, 1) is Decision.CONTINUE  # min is honoured even when certain
    assert d.decide(2, 3) is Decision.FAILED
    assert d.decide(3, 3) is Decision.CONTINUE and d.decide(9, 9) is Decision.CONTINUE
    assert d.decide(10, 10) is Decision.PASSED and d.decide(9, 10) is Decision.FAILED
    exact = d.operating(0.9)
    assert exact.passed == pytest.approx(0.9**10)  # what repeat: 10 would give
    assert design(0.0, 2, 5).decide(0, 2) is Decision.PASSED


@pytest.mark.parametrize(
    ("bar", "lo", "hi"), [(0.8, 3, 30), (0.9, 3, 50), (0.5, 1, 25), (0.95, 10, 40)]
)
def test_the_interval_of_a_look_says_what_its_decision_says(bar: float, lo: int, hi: int) -> None:
    d = design(bar, lo, hi)
    for n in range(lo, hi + 1):
        for k in range(n + 1):
            step = d.step(k, n)
            assert step.interval.method == "clopper-pearson-sequential"
            assert (step.decision is Decision.PASSED) == (step.interval.low >= bar), (n, k)
            assert (step.decision is Decision.FAILED) == (step.interval.high <= bar), (n, k)
            # stricter than, or as strict as, the fixed-sample interval of the same counts
            fixed = clopper_pearson(k, n, 0.95, "one-sided")
            assert step.interval.low <= fixed.low + 1e-9 and step.interval.high >= fixed.high - 1e-9


def test_a_stopped_step_becomes_the_case_verdict(headline: Design) -> None:
    verdict = headline.step(19, 19).to_verdict()
    assert isinstance(verdict, CaseVerdict)
    assert (verdict.verdict, verdict.passes, verdict.samples) == (Verdict.PASSED, 19, 19)
    assert verdict.interval.low >= 0.8 and not verdict.certain
    assert headline.step(27, 30).to_verdict().verdict is Verdict.INCONCLUSIVE
    with pytest.raises(ValueError, match="still sampling"):
        headline.step(10, 10).to_verdict()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.8, 0, 30), "1 <= min"),
        ((0.8, 5, 4), "min <= max"),
        ((0.8, 3, 1001), "max <= 1000"),
        ((1.5, 3, 30), "threshold"),
        ((0.8, 3, 30, 1.0), "confidence"),
    ],
)
def test_bad_designs_are_refused(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        design(*args)  # type: ignore[arg-type]


def test_large_designs_use_linear_spending_and_still_hold() -> None:
    d = design(0.8, 3, 400)
    assert d.pass_spending == d.fail_spending == "linear"
    assert d.pass_error <= ALPHA and d.fail_error <= ALPHA


# --- samples to settle ---------------------------------------------------------------


def test_samples_to_settle_by_hand() -> None:
    # 10 of 10 against 0.8: no failure in N settles when 0.8^N <= 0.05, N >= 14: 4 more
    assert samples_to_settle(10, 10, 0.8) == 4
    assert samples_to_settle(14, 14, 0.8) == 0  # settled already
    assert samples_to_settle(0, 3, 0.8) == 0  # failed already
    assert samples_to_settle(8, 10, 0.8) is None  # exactly at the bar: never
    assert samples_to_settle(1, 1, 0.8) == 0  # one sample is certain
    assert samples_to_settle(4, 5, 1.0) == 0  # so is a bar of 1
    assert samples_to_settle(99, 100, 0.985, limit=10) is None  # beyond the limit


@pytest.mark.parametrize(("passes", "samples"), [(9, 10), (6, 10), (7, 10), (17, 20)])
def test_samples_to_settle_is_where_the_held_rate_starts_to_settle(
    passes: int, samples: int
) -> None:
    # at multiples of the sample count the held rate gives whole counts, where the
    # projection must agree with the fixed-sample rule: unsettled before, settled after
    more = samples_to_settle(passes, samples, 0.8)
    assert more is not None and more > 0
    for factor in range(1, (samples + more) // samples + 6):
        total = samples * factor
        verdict = case_verdict(passes * factor, total, 0.8).verdict
        if total < samples + more:
            assert verdict is Verdict.INCONCLUSIVE, (factor, more)
        else:
            assert verdict is not Verdict.INCONCLUSIVE, (factor, more)
            expected = Verdict.PASSED if passes / samples > 0.8 else Verdict.FAILED
            assert verdict is expected


def tally(passes: int, samples: int, threshold: float = 0.8) -> CaseVerdict:
    return case_verdict(passes, samples, threshold)


def test_suite_samples_to_settle() -> None:
    # 8 passed, 2 inconclusive leaning to pass (10/10 needs 4 more, 9/10 needs more)
    cases = [tally(14, 14)] * 8 + [tally(10, 10), tally(9, 10)]
    nine = samples_to_settle(9, 10, 0.8)
    assert nine is not None and nine > 4
    # threshold 0.9 needs 9 of 10: the cheaper one is enough
    settle = suite_samples_to_settle(cases, 0.9)
    assert settle is not None
    assert (settle.verdict, settle.cases, settle.samples) == (Verdict.PASSED, 1, 4)
    # threshold 1.0 needs both
    both = suite_samples_to_settle(cases, 1.0)
    assert both is not None and (both.cases, both.samples) == (2, 4 + nine)


def test_suite_samples_to_settle_towards_failure_and_when_it_cannot() -> None:
    leaning_fail = tally(6, 10)
    more = samples_to_settle(6, 10, 0.8)
    assert more is not None
    # 7 passed, 3 leaning to fail, threshold 0.9: two must fail for even the high end
    # (7 + 1) / 10 to miss 0.9
    cases = [tally(14, 14)] * 7 + [leaning_fail] * 3
    settle = suite_samples_to_settle(cases, 0.9)
    assert settle is not None and (settle.verdict, settle.cases, settle.samples) == (
        Verdict.FAILED,
        2,
        2 * more,
    )
    # already settled, nothing open, or open cases exactly at the bar: no projection
    assert suite_samples_to_settle([tally(14, 14)] * 10, 0.9) is None
    assert suite_samples_to_settle([tally(14, 14)] * 8 + [tally(8, 10)] * 2, 0.9) is None
    assert suite_samples_to_settle([], 0.9) is None


@pytest.mark.parametrize("spending", ["linear", "half-linear", "quadratic"])
def test_every_spending_function_keeps_the_bounds(spending: str) -> None:
    d = design(0.8, 3, 30, spending=spending)
    assert d.pass_spending == d.fail_spending == spending
    assert d.pass_error <= ALPHA and d.fail_error <= ALPHA
    with pytest.raises(ValueError, match="spending"):
        design(0.8, 3, 30, spending="pocock")


def test_the_chosen_spending_is_the_best_scored_for_the_headline() -> None:
    # half-linear keeps enough for two failures at look 30 (0.942 passed at 0.97);
    # linear spends it early and allows one (0.841): the choice is worth 10 points
    chosen, linear = design(0.8, 3, 30), design(0.8, 3, 30, spending="linear")
    assert chosen.operating(0.97).passed - linear.operating(0.97).passed > 0.09
    assert linear.operating(0.97).mean_samples < chosen.operating(0.97).mean_samples


def test_an_adaptive_case_left_unsettled_still_gets_a_projection() -> None:
    # the last look of {3, 22} is stricter than one fixed look of 22: 21 of 22 would pass
    # repeat: 22 but is inconclusive here; its suite still needs samples to settle
    d = design(0.8, 3, 22)
    step = d.step(21, 22)
    assert step.decision is Decision.INCONCLUSIVE
    assert case_verdict(21, 22, 0.8).verdict is Verdict.PASSED
    settle = suite_samples_to_settle([step.to_verdict()], 1.0)
    assert settle is not None and settle.verdict is Verdict.PASSED and settle.samples >= 1


@pytest.mark.parametrize(
    ("bar", "lo", "hi"), [(0.8, 3, 30), (0.9, 5, 80), (0.6, 1, 20), (0.95, 3, 150)]
)
def test_the_adaptive_rule_is_never_more_lenient_than_one_look(
    bar: float, lo: int, hi: int
) -> None:
    # a case the adaptive rule settles at some look would be settled the same way by a
    # fixed repeat of that many samples: the looks only ever make it stricter
    d = design(bar, lo, hi)
    for i, n in enumerate(range(lo, hi + 1)):
        if d.pass_at[i] <= n:
            assert case_verdict(d.pass_at[i], n, bar).verdict is Verdict.PASSED
        if d.fail_at[i] >= 0:
            assert case_verdict(d.fail_at[i], n, bar).verdict is Verdict.FAILED


@pytest.mark.parametrize("n", [3, 10, 25])
def test_the_operating_figures_of_one_look_are_the_binomial_sums(n: int) -> None:
    from evalkit.stats.distributions import binom_pmf

    d = design(0.8, n, n)
    verdicts = [case_verdict(k, n, 0.8).verdict for k in range(n + 1)]
    for rate in (0.3, 0.8, 0.95):
        exact = d.operating(rate)
        passed = sum(binom_pmf(k, n, rate) for k, v in enumerate(verdicts) if v is Verdict.PASSED)
        failed = sum(binom_pmf(k, n, rate) for k, v in enumerate(verdicts) if v is Verdict.FAILED)
        assert exact.passed == pytest.approx(passed) and exact.failed == pytest.approx(failed)
        assert exact.mean_samples == pytest.approx(n)


def test_operating_figures_are_a_law_and_the_mean_stays_within_min_and_max() -> None:
    for bar, lo, hi in ((0.8, 3, 30), (0.5, 2, 12), (0.9, 10, 40)):
        d = design(bar, lo, hi)
        for rate in (0.0, 0.2, bar, 0.99, 1.0):
            o = d.operating(rate)
            assert o.passed + o.failed + o.inconclusive == pytest.approx(1.0)
            assert min(o.passed, o.failed, o.inconclusive) >= 0.0
            assert lo <= o.mean_samples <= hi
        assert d.operating(0.0).failed == pytest.approx(1.0)
        assert d.operating(1.0).passed == pytest.approx(1.0)


def test_designs_are_cached() -> None:
    assert design(0.8, 3, 30) is design(0.8, 3, 30, 0.95)
    assert design(0.8, 3, 30) is not design(0.8, 3, 30, 0.9)


def test_before_min_the_interval_is_the_plain_one(headline: Design) -> None:
    step = headline.step(2, 2)
    assert step.decision is Decision.CONTINUE and not step.stopped
    assert step.interval == clopper_pearson(2, 2, 0.95, "one-sided")


def test_another_setting_holds_its_errors_by_simulation() -> None:
    # a second design, simulated at its bar: both errors within 10% (confidence 0.9)
    d = design(0.9, 5, 60, 0.9)
    rng = random.Random(99)
    at_bar = simulate(d, 0.9, rng)
    assert not_above(at_bar.passed, 0.1) and not_above(at_bar.failed, 0.1)
    exact = d.operating(0.9)
    assert abs(at_bar.passed / RUNS - exact.passed) <= 4 * math.sqrt(exact.passed / RUNS)
