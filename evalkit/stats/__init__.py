"""The statistics behind evalkit's verdicts, small and exact enough to trust in CI.

- :mod:`.intervals`: Wilson and Clopper–Pearson intervals at any confidence.
- :mod:`.verdict`: a case's ``passed | failed | inconclusive`` from its samples against
  ``case_threshold``, a suite's from its cases against ``threshold``, the flaky predicate.
- :mod:`.sequential`: the stopping rule of adaptive repeats (``repeat: {min, max}``), and
  how many more samples would settle a case or a suite.
- :mod:`.paired`: per case and per suite, a regression or fix beyond noise (``evalkit
  diff``); the exact McNemar test and the seeded paired bootstrap.
- :mod:`.distributions`: the exact binomial, hypergeometric and beta functions under them.
- :mod:`.agreement`: a judge against human labels: agreement, Cohen's kappa, TPR and TNR
  with intervals (``evalkit calibrate``).

Pure standard library; nothing here imports the rest of evalkit.
"""

from .agreement import Agreement, Confusion, Kappa, cohens_kappa
from .intervals import (
    Interval,
    clopper_pearson,
    clopper_pearson_lower,
    clopper_pearson_upper,
    normal_quantile,
    wilson,
    wilson_interval,
    z_of,
)
from .paired import (
    CaseChange,
    Change,
    PairedCounts,
    SuiteChange,
    compare_case,
    compare_suite,
    fisher_one_sided,
    mcnemar_exact,
    paired_bootstrap,
)
from .sequential import (
    Decision,
    Design,
    Operating,
    Step,
    SuiteSettle,
    design,
    operating,
    samples_to_settle,
    suite_samples_to_settle,
)
from .verdict import (
    CaseVerdict,
    SuiteVerdict,
    Verdict,
    case_verdict,
    is_flaky,
    suite_verdict,
)

__all__ = [
    "Agreement",
    "CaseChange",
    "CaseVerdict",
    "Change",
    "Confusion",
    "Decision",
    "Design",
    "Interval",
    "Kappa",
    "Operating",
    "PairedCounts",
    "Step",
    "SuiteChange",
    "SuiteSettle",
    "SuiteVerdict",
    "Verdict",
    "case_verdict",
    "clopper_pearson",
    "clopper_pearson_lower",
    "clopper_pearson_upper",
    "cohens_kappa",
    "compare_case",
    "compare_suite",
    "design",
    "fisher_one_sided",
    "is_flaky",
    "mcnemar_exact",
    "normal_quantile",
    "operating",
    "paired_bootstrap",
    "samples_to_settle",
    "suite_samples_to_settle",
    "suite_verdict",
    "wilson",
    "wilson_interval",
    "z_of",
]
