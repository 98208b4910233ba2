"""What a run produces: typed results (:mod:`.models`), the verdicts computed from them
(:mod:`.verdicts`, the only place a pass is decided), the figures (:mod:`.figures`), and the
run folder that holds them (:mod:`.folder`, the only module that names a file in it).

The models, verdicts and figures are re-exported here; the folder is imported by name.
"""

from .figures import Figures, SuiteFigures, percentile
from .models import (
    AuxCall,
    CaseOutcome,
    CaseResult,
    CheckResult,
    SampleResult,
    TurnResult,
    dump_outcome,
)
from .verdicts import SuiteSummary, Verdicts, case_passed, sample_passed

__all__ = [
    "AuxCall",
    "CaseOutcome",
    "CaseResult",
    "CheckResult",
    "Figures",
    "SampleResult",
    "SuiteFigures",
    "SuiteSummary",
    "TurnResult",
    "Verdicts",
    "case_passed",
    "dump_outcome",
    "percentile",
    "sample_passed",
]
