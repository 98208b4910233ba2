"""The statistics of noisy verdicts, in figures: ``python benchmarks/stats_simulation.py
[--runs N] [--suites M] [--seed S] [--quick]`` prints every table the statistics docs quote.

(a) the adaptive rule of ``repeat: {min: 3, max: 30}``, ``case_threshold: 0.8``,
    ``confidence: 0.95``: its boundaries, then per true rate the share of runs ending
    passed / failed / inconclusive and the mean samples, simulated (seeded, N runs a rate)
    beside the exact figures of the design (dynamic programming over every path);
(b) the rules it replaces or competes with, exactly: peeking at the fixed-sample interval
    after every sample, a fixed ``repeat: 30``, the adaptive rule with linear spending
    only, and the best any valid test can do with 30 samples at 0.97;
(c) other settings (min, max, confidence, case_threshold): the errors at the bar and how
    decisive and cheap the rule is at a few true rates;
(d) the paired tests of ``evalkit diff`` when nothing changed (their false alarms) and when
    something did (how often they see it), for fixed and adaptive repeats;
(e) what "N more samples would settle it" says for a few inconclusive cases.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evalkit.stats import (  # noqa: E402
    Change,
    Decision,
    Design,
    PairedCounts,
    Verdict,
    case_verdict,
    compare_case,
    compare_suite,
    design,
    fisher_one_sided,
    operating,
    samples_to_settle,
)
from evalkit.stats.distributions import binom_cdf  # noqa: E402

RATES = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.97, 1.0]


def run_case(d: Design, rate: float, rng: random.Random) -> tuple[Decision, int, int]:
    passes = samples = 0
    decision = Decision.CONTINUE
    while decision is Decision.CONTINUE:
        samples += 1
        passes += rng.random() < rate
        decision = d.decide(passes, samples)
    return decision, passes, samples


def table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, row in enumerate(rows):
        print("  " + "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
        if j == 0:
            print("  " + "  ".join("-" * w for w in widths))


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def headline(runs: int, rng: random.Random) -> None:
    d = design(0.8, 3, 30, 0.95)
    print("(a) repeat: {min: 3, max: 30}, case_threshold: 0.8, confidence: 0.95")
    print(f"    spending: pass side {d.pass_spending}, fail side {d.fail_spending}")
    rows = [["look", "passed if passes >=", "failed if passes <=", "interval levels (pass/fail)"]]
    for i, n in enumerate(range(d.min_samples, d.max_samples + 1)):
        a, b = d.pass_at[i], d.fail_at[i]
        rows.append(
            [
                str(n),
                str(a) if a <= n else "-",
                str(b) if b >= 0 else "-",
                f"{1 - d.pass_level[i]:.4f} / {1 - d.fail_level[i]:.4f}",
            ]
        )
    table(rows)
    print(f"\n    {runs:,} simulated runs per true rate (seed fixed), exact figures in brackets")
    rows = [["true rate", "passed", "failed", "inconclusive", "mean samples", "wrong verdicts"]]
    for rate in RATES:
        counts = {Decision.PASSED: 0, Decision.FAILED: 0, Decision.INCONCLUSIVE: 0}
        total = 0
        for _ in range(runs):
            decision, _, samples = run_case(d, rate, rng)
            counts[decision] += 1
            total += samples
        exact = d.operating(rate)
        wrong = counts[Decision.PASSED] if rate < 0.8 else counts[Decision.FAILED]
        wrong_exact = exact.passed if rate < 0.8 else exact.failed
        rows.append(
            [
                f"{rate:.2f}",
                f"{pct(counts[Decision.PASSED] / runs)} [{pct(exact.passed)}]",
                f"{pct(counts[Decision.FAILED] / runs)} [{pct(exact.failed)}]",
                f"{pct(counts[Decision.INCONCLUSIVE] / runs)} [{pct(exact.inconclusive)}]",
                f"{total / runs:.2f} [{exact.mean_samples:.2f}]",
                f"{pct(wrong / runs)} [{pct(wrong_exact)}]",
            ]
        )
    table(rows)
    print("    (wrong: passed below the bar, failed at or above it; the bound is 5%)")


def peeking_bounds(bar: float, lo: int, hi: int) -> tuple[list[int], list[int]]:
    pass_at, fail_at = [], []
    for n in range(lo, hi + 1):
        verdicts = [case_verdict(k, n, bar).verdict for k in range(n + 1)]
        pass_at.append(next((k for k, v in enumerate(verdicts) if v is Verdict.PASSED), n + 1))
        fail_at.append(max((k for k, v in enumerate(verdicts) if v is Verdict.FAILED), default=-1))
    return pass_at, fail_at


def alternatives() -> None:
    print("\n(b) other rules, exactly (passed / failed / mean samples)")
    chosen = design(0.8, 3, 30)
    linear = design(0.8, 3, 30, spending="linear")
    fixed = design(0.8, 30, 30)
    peek_pass, peek_fail = peeking_bounds(0.8, 3, 30)
    rules = [
        ("adaptive (chosen)", lambda r: chosen.operating(r)),
        ("adaptive, linear only", lambda r: linear.operating(r)),
        ("fixed repeat: 30", lambda r: fixed.operating(r)),
        ("peeking, 3..30", lambda r: operating(peek_pass, peek_fail, 3, 30, r)),
    ]
    rows = [["rule", *(f"rate {r}" for r in (0.5, 0.75, 0.8, 0.85, 0.97, 1.0))]]
    for name, figures in rules:
        cells = []
        for rate in (0.5, 0.75, 0.8, 0.85, 0.97, 1.0):
            o = figures(rate)
            cells.append(f"{pct(o.passed)} / {pct(o.failed)} / {o.mean_samples:.1f}")
        rows.append([name, *cells])
    table(rows)
    # the most powerful test of "rate <= 0.8" at 5% with 30 samples (Neyman-Pearson, even
    # randomised) bounds what any rule with max 30 can pass at 0.97
    k = next(k for k in range(31) if 1 - binom_cdf(k - 1, 30, 0.8) <= 0.05)
    size = 1 - binom_cdf(k - 1, 30, 0.8)
    edge = binom_cdf(k - 1, 30, 0.8) - binom_cdf(k - 2, 30, 0.8)
    edge_97 = binom_cdf(k - 1, 30, 0.97) - binom_cdf(k - 2, 30, 0.97)
    best = 1 - binom_cdf(k - 1, 30, 0.97) + (0.05 - size) / edge * edge_97
    print(
        f"    no valid rule with max 30 passes a 0.97 case more often than {pct(best)} "
        f"(the randomised Neyman-Pearson test: {k}+ passes of 30)"
    )


def settings() -> None:
    print("\n(c) other settings, exactly: errors at the bar; passed / failed / mean samples")
    configs = [
        (0.8, 3, 30, 0.95),
        (0.8, 3, 30, 0.90),
        (0.8, 3, 30, 0.99),
        (0.8, 3, 40, 0.95),
        (0.8, 3, 50, 0.95),
        (0.8, 5, 20, 0.95),
        (0.9, 3, 30, 0.95),
        (0.9, 3, 60, 0.95),
        (0.95, 3, 100, 0.95),
        (0.5, 3, 30, 0.95),
    ]
    rows = [["bar", "min..max", "conf", "spending", "err@bar", "good", "bad", "perfect"]]
    for bar, lo, hi, conf in configs:
        d = design(bar, lo, hi, conf)
        good_rate = min(1.0, bar + (1 - bar) * 0.85)
        bad_rate = bar - 0.3
        good, bad, perfect = d.operating(good_rate), d.operating(bad_rate), d.operating(1.0)
        rows.append(
            [
                f"{bar}",
                f"{lo}..{hi}",
                f"{conf}",
                f"{d.pass_spending}/{d.fail_spending}",
                f"{pct(d.pass_error)} / {pct(d.fail_error)}",
                f"{good_rate:.3f}: {pct(good.passed)} in {good.mean_samples:.1f}",
                f"{bad_rate:.2f}: {pct(bad.failed)} in {bad.mean_samples:.1f}",
                f"1.0: {perfect.mean_samples:.0f}",
            ]
        )
    table(rows)
    print("    (good: the bar plus 85% of the way to 1; bad: the bar minus 0.3)")


def stopped_counts(d: Design, rate: float) -> dict[tuple[int, int], float]:
    """The exact law of where a case stops: (passes, samples) -> probability."""
    dist = [1.0]
    out: dict[tuple[int, int], float] = {}
    for n in range(1, d.max_samples + 1):
        new = [0.0] * (len(dist) + 1)
        for k, w in enumerate(dist):
            new[k] += w * (1 - rate)
            new[k + 1] += w * rate
        dist = new
        if n < d.min_samples:
            continue
        for k in range(n + 1):
            if dist[k] and d.decide(k, n) is not Decision.CONTINUE:
                out[(k, n)] = dist[k]
                dist[k] = 0.0
    return {key: w for key, w in out.items() if w > 1e-13}


def fisher_size(d: Design, rate: float) -> float:
    law = stopped_counts(d, rate)
    return sum(
        w_a * w_b
        for (k_a, n_a), w_a in law.items()
        for (k_b, n_b), w_b in law.items()
        if fisher_one_sided(k_a, n_a, k_b, n_b)[0] <= 0.05
    )


def paired(suites: int, rng: random.Random) -> None:
    print("\n(d) evalkit diff: per case (Fisher, exact), 'regression' when nothing changed")
    fixed, adaptive = design(0.8, 30, 30), design(0.8, 3, 30)
    rows = [["true rate (both sides)", "repeat: 30", "repeat: {3, 30}"]]
    worst = (0.0, 0.0)
    for j in range(1, 100):
        rate = j / 100
        size = fisher_size(adaptive, rate)
        worst = max(worst, (size, rate))
        if rate in (0.3, 0.5, 0.7, 0.8, 0.9, 0.97):
            rows.append([f"{rate}", pct(fisher_size(fixed, rate)), pct(size)])
    table(rows)
    print(f"    worst over rates 0.01..0.99, adaptive: {pct(worst[0])} at {worst[1]}")

    print(f"\n    per suite (stratified exact test), {suites:,} simulated pairs of 20-case suites")
    rows = [["repeats", "nothing changed: 'regression'", "every case -0.15: seen"]]
    for label, d in (("repeat: 10", design(0.8, 10, 10)), ("repeat: {3, 30}", adaptive)):
        alarms = caught = 0
        for _ in range(suites):
            rates = [rng.choice([0.6, 0.8, 0.9, 0.97, 1.0]) for _ in range(20)]
            same, worse = [], []
            for r in rates:
                _, k_a, n_a = run_case(d, r, rng)
                _, k_b, n_b = run_case(d, r, rng)
                _, k_w, n_w = run_case(d, max(0.0, r - 0.15), rng)
                same.append(PairedCounts(k_a, n_a, k_b, n_b))
                worse.append(PairedCounts(k_a, n_a, k_w, n_w))
            alarms += compare_suite(same).decision is Change.REGRESSION
            caught += compare_suite(worse).decision is Change.REGRESSION
        rows.append([label, pct(alarms / suites), pct(caught / suites)])
    table(rows)


def settling() -> None:
    print("\n(e) samples to settle (case_threshold 0.8, confidence 0.95, the rate held)")
    rows = [["passes/samples", "verdict", "more samples"]]
    for k, n in ((10, 10), (9, 10), (17, 20), (7, 10), (6, 10), (8, 10), (28, 30), (27, 30)):
        more = samples_to_settle(k, n, 0.8)
        rows.append([f"{k}/{n}", case_verdict(k, n, 0.8).verdict.value, str(more)])
    table(rows)
    rows = [["diff, per case", "decision", "p", "more samples a side"]]
    for counts in (
        (10, 10, 9, 10),
        (10, 10, 7, 10),
        (10, 10, 0, 10),
        (1, 1, 0, 1),
        (30, 30, 27, 30),
    ):
        c = compare_case(*counts)
        rows.append(
            [
                f"{counts[0]}/{counts[1]} -> {counts[2]}/{counts[3]}",
                c.decision.value,
                f"{c.p_value:.3g}",
                str(c.samples_to_settle),
            ]
        )
    table(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="simulated runs per rate")
    parser.add_argument("--suites", type=int, default=2000, help="simulated suite pairs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="10,000 runs a rate, 500 suites")
    args = parser.parse_args()
    runs = 10_000 if args.quick else args.runs
    rng = random.Random(args.seed)
    headline(runs, rng)
    alternatives()
    settings()
    paired(500 if args.quick else args.suites, rng)
    settling()
    return 0


if __name__ == "__main__":
    sys.exit(main())
